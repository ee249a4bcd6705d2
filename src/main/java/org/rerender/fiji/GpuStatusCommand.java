package org.rerender.fiji;

import org.rerender.engine.RerenderException;
import org.rerender.pipeline.GpuStatus;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * {@code Plugins > Rerender > GPU Status}: what {@code bin/rerender gpu-status} prints ({@link GpuStatus}): libtorch
 * version, CUDA natives yes/no, the GPUs CUDA sees, the device the choice resolves to with its memory and precision
 * (and why {@code auto} took the CPU), and whether the fused native ops are used. As a string output and in the log.
 * An explicit GPU that cannot work cancels the command with the reason (as the CLI exits 1).
 */
@Plugin(type = Command.class, menuPath = "Plugins>Rerender>GPU Status", headless = true)
public class GpuStatusCommand extends ContextCommand {

	@Parameter(required = false)
	private LogService log;

	@Parameter(required = false)
	private RerenderService rerender;

	@Parameter(label = "Device", choices = { "auto", "cpu", "cuda:0", "cuda:1" }, persist = false,
		description = "The device choice to check, as the Rerender commands' device parameter.")
	private String device = "auto";

	@Parameter(type = ItemIO.OUTPUT, label = "GPU status")
	private String gpu_status;

	@Override
	public void run() {
		try {
			// as the next job would resolve it: memory our loaded networks hold on GPU 0 is ours, not used
			gpu_status = GpuStatus.probe(device, rerender != null && rerender.holdsGpu0()).line();
			if (log != null) log.info("Rerender GPU status: " + gpu_status);
		}
		catch (RerenderException e) {
			gpu_status = e.getMessage();
			if (log != null) log.warn("Rerender GPU status: " + gpu_status);
			cancel(gpu_status);
		}
	}
}
