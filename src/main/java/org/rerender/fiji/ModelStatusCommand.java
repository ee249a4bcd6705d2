package org.rerender.fiji;

import ij.measure.ResultsTable;
import java.awt.GraphicsEnvironment;
import java.io.File;
import java.util.List;
import org.rerender.engine.RerenderException;
import org.rerender.model.download.ModelManifest;
import org.rerender.model.download.ModelStore;
import org.rerender.pipeline.DiffusionModels;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

/**
 * {@code Plugins > Rerender > Model Status}: what is installed in the model folder, what is missing, sizes; as a
 * results table ("Rerender Model Status") and in the log; and which networks the service holds loaded now.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Rerender>Model Status", headless = true)
public class ModelStatusCommand extends ContextCommand {

	@Parameter
	private LogService log;

	@Parameter(required = false)
	private RerenderService rerender;

	@Parameter(label = "Model folder", style = FileWidget.DIRECTORY_STYLE, required = false, persist = false,
		description = "Leave empty for the default (<Fiji>/models/rerender, or -Drerender.models).")
	private File model_folder;

	@Parameter(label = "Manifest (advanced)", style = FileWidget.OPEN_STYLE, required = false, persist = false,
		description = "Another model manifest JSON, e.g. pointing to an institute mirror; empty: the packaged one.")
	private File manifest_file;

	@Parameter(type = ItemIO.OUTPUT, label = "Model status")
	private String status_report;

	@Parameter(type = ItemIO.OUTPUT, label = "All required models installed")
	private boolean complete;

	@Override
	public void run() {
		ModelStore store = model_folder == null || model_folder.getPath().isBlank() ? ModelStore.standard()
			: new ModelStore(model_folder.toPath());
		List<ModelStore.Status> st;
		try {
			st = store.status(Manifests.load(manifest_file).entries());
		}
		catch (RerenderException e) { // an unreadable manifest: a clear reason, no stack trace
			status_report = e.getMessage();
			cancel(e.getMessage());
			return;
		}
		complete = st.stream().allMatch(s -> !s.entry().required() || s.installed());
		status_report = "Model folder: " + store.directory() + "\n" + ModelStore.table(st)
			+ (complete ? "" : "Required files are missing: run Plugins > Rerender > Download Models.\n");
		if (rerender != null && rerender.modelsLoaded())
			status_report += "Loaded in memory: " + DiffusionModels.describe(rerender.loadedComponents())
				+ " (Plugins > Rerender > Free Models frees them)\n";
		log.info(status_report);
		ResultsTable rt = new ResultsTable();
		for (ModelStore.Status s : st) {
			rt.incrementCounter();
			rt.addValue("id", s.entry().id());
			rt.addValue("file", s.entry().file());
			rt.addValue("state", s.state().name().toLowerCase());
			rt.addValue("bytes", s.bytesOnDisk());
			rt.addValue("required", s.entry().required() ? "yes" : "no");
			rt.addValue("folder", store.directory().toString());
		}
		if (!GraphicsEnvironment.isHeadless()) rt.show("Rerender Model Status");
	}
}
