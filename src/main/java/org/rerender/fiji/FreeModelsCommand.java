package org.rerender.fiji;

import org.rerender.engine.RerenderException;
import org.rerender.pipeline.DiffusionModels;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * {@code Plugins > Rerender > Free Models}: frees the networks the service keeps loaded between commands (their CPU or
 * GPU memory); the next Rerender command loads them again. While another Rerender command runs, nothing is freed and
 * the command is canceled with a message saying to wait for it.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Rerender>Free Models", headless = true)
public class FreeModelsCommand extends ContextCommand {

	@Parameter
	private RerenderService rerender;

	@Parameter(required = false)
	private LogService log;

	@Parameter(type = ItemIO.OUTPUT, label = "Freed")
	private String freed;

	@Override
	public void run() {
		try {
			var names = rerender.freeModels();
			freed = names.isEmpty() ? "No models were loaded." : "Freed " + DiffusionModels.describe(names) + ".";
			if (log != null) log.info("Rerender: " + freed);
		}
		catch (RerenderException e) { // a running command holds the models: nothing was freed
			freed = e.getMessage();
			cancel(freed);
		}
	}
}
