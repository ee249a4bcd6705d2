package org.rerender.fiji;

import java.io.File;
import java.util.List;
import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.engine.RerenderException;
import org.rerender.model.download.Downloader;
import org.rerender.model.download.ModelEntry;
import org.rerender.model.download.ModelManifest;
import org.rerender.model.download.ModelStore;
import org.scijava.ItemIO;
import org.scijava.app.StatusService;
import org.scijava.command.Command;
import org.scijava.command.ContextCommand;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

/**
 * {@code Plugins > Rerender > Download Models}: downloads the model files (resumable, checksummed) into the model
 * folder, with progress in the status bar; cancel keeps partial files for the next run.
 */
@Plugin(type = Command.class, menuPath = "Plugins>Rerender>Download Models", headless = true)
public class DownloadModelsCommand extends ContextCommand {

	static final String REQUIRED = "required (HED pipeline)", ALL = "all (adds canny, SD 1.5 base, community checkpoints)",
		LIST = "only the ids below";

	@Parameter
	private StatusService status;

	@Parameter
	private LogService log;

	@Parameter(label = "Models", choices = { REQUIRED, ALL, LIST },
		description = "Which manifest entries to download; 'Model Status' lists them with their ids.")
	private String models = REQUIRED;

	@Parameter(label = "Model ids", required = false,
		description = "Comma-separated ids (e.g. controlnet-canny,rev-animated-v11) when 'only the ids below' is chosen.")
	private String model_ids = "";

	@Parameter(label = "Model folder", style = FileWidget.DIRECTORY_STYLE, required = false, persist = false,
		description = "Leave empty for the default (<Fiji>/models/rerender, or -Drerender.models).")
	private File model_folder;

	@Parameter(label = "Manifest (advanced)", style = FileWidget.OPEN_STYLE, required = false, persist = false,
		description = "Another model manifest JSON, e.g. pointing to an institute mirror; empty: the packaged one.")
	private File manifest_file;

	@Parameter(label = "Use this folder from now on", description = "Save the folder as the default model folder (a preference).")
	private boolean remember_folder = false;

	@Parameter(label = "Retries", min = "0", max = "20", description = "Retries for transient network errors.")
	private int retries = 4;

	@Parameter(type = ItemIO.OUTPUT, label = "Download report")
	private String report;

	private final Cancel cancelToken = new Cancel();

	@Override
	public void run() {
		ModelStore store = model_folder == null || model_folder.getPath().isBlank() ? ModelStore.standard()
			: new ModelStore(model_folder.toPath());
		if (remember_folder && model_folder != null) ModelStore.savePreference(store.directory());
		StringBuilder sb = new StringBuilder("Model folder: " + store.directory() + "\n");
		try (EscapeWatch esc = EscapeWatch.start(() -> cancel(EngineCommand.CANCELLED_BY_ESC))) { // Esc stops the download
			ModelManifest manifest = Manifests.load(manifest_file);
			List<ModelEntry> chosen = manifest.select(models.equals(ALL) ? "all" : models.equals(LIST) ? model_ids : null);
			if (chosen.isEmpty()) throw new RerenderException("No model selected: enter ids such as gmflow,hed-annotator.");
			Downloader.Options o = new Downloader.Options();
			o.maxRetries = retries;
			o.log = s -> log.info("Rerender: " + s);
			Downloader d = new Downloader(store, o);
			for (ModelEntry e : chosen) {
				Downloader.Result r = d.download(e, new StatusProgress(status), cancelToken);
				sb.append(r.describe()).append('\n');
				log.info("Rerender: " + r.describe());
			}
			status.showStatus("Rerender: models ready in " + store.directory());
		}
		catch (CancelledException e) {
			sb.append("Cancelled; partial downloads are kept and resume next time.\n");
			cancel("Download cancelled; partial files are kept and resume next time.");
		}
		catch (RerenderException e) {
			sb.append(e.getMessage()).append('\n');
			log.error("Rerender: " + e.getMessage());
			cancel(e.getMessage());
		}
		finally {
			status.clearStatus();
			report = sb.toString();
		}
	}

	@Override
	public void cancel(String reason) {
		cancelToken.request();
		super.cancel(reason);
	}
}
