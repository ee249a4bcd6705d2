package org.rerender.fiji;

import java.io.File;

import org.rerender.config.RerenderConfig;
import org.rerender.engine.DeviceChoice;
import org.rerender.engine.Djl;
import org.rerender.engine.Progress;
import org.rerender.model.download.ModelManifest;
import org.rerender.model.download.ModelStore;
import org.rerender.pipeline.DiffusionModels;
import org.rerender.video.VideoInfo;
import org.rerender.video.VideoReader;
import org.scijava.app.StatusService;
import org.scijava.log.LogService;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.service.AbstractService;
import org.scijava.service.SciJavaService;
import org.scijava.service.Service;

/**
 * The plugin's SciJava service. It starts with Fiji, so {@link #initialize()} does nothing heavy: no natives, no
 * models. It owns the diffusion models across commands: loaded lazily on the first job, kept while the next job needs
 * the same files, reloaded when they change (another base model or ControlNet), freed on {@link #dispose()} and on
 * {@link #freeModels()}.
 */
@Plugin(type = Service.class)
public class RerenderService extends AbstractService implements SciJavaService {

	@Parameter(required = false)
	private StatusService status;

	@Parameter(required = false)
	private LogService log;

	/** A progress sink for the engine that reports to the status bar (throttled to whole percents). */
	public Progress progress() {
		if (status == null) return Progress.NONE;
		int[] last = { -1 };
		return (stage, done, total) -> {
			int pct = total > 0 ? (int) (100 * Math.min(done, total) / total) : -1;
			if (pct == last[0] && total > 0) return;
			last[0] = pct;
			if (total > 0) status.showStatus((int) Math.min(done, total), (int) total, stage);
			else status.showStatus(stage + " (" + done + ")");
		};
	}

	/** Clears the progress bar. */
	public void done() {
		if (status != null) status.clearStatus();
	}

	/** Logs a message the user should see (codec fallbacks, skipped audio). */
	public void warn(String message) {
		if (log != null) log.warn(message);
	}

	private DiffusionModels models;

	/** The models for a job's config on the CPU (loaded once; reloaded only when the job needs other files). */
	public synchronized DiffusionModels models(RerenderConfig config, ModelStore store) {
		return models(config, store, "cpu");
	}

	/**
	 * The models for a job's config on a device ({@code auto}, {@code cpu}, {@code cuda:N}); loaded once, reloaded
	 * only when the job needs other files or another device. When {@code auto} falls back to the CPU the log says why.
	 */
	public synchronized DiffusionModels models(RerenderConfig config, ModelStore store, String device) {
		DiffusionModels.Files files = DiffusionModels.resolve(config, store == null ? ModelStore.standard() : store,
			ModelManifest.packaged());
		DeviceChoice.Resolved target = DeviceChoice.parse(device).resolve(Djl.engine());
		if (models != null && models.files().equals(files) && models.target().device().equals(target.device())) return models;
		freeModels();
		models = DiffusionModels.load(files, target);
		if (target.reason() != null && log != null) log.info("Rerender: device " + target.describe());
		return models;
	}

	/** Frees the loaded models (the next job loads them again). */
	public synchronized void freeModels() {
		if (models != null) models.close();
		models = null;
	}

	/** Whether models are loaded now. */
	public synchronized boolean modelsLoaded() {
		return models != null;
	}

	@Override
	public void dispose() {
		freeModels();
		super.dispose();
	}

	/** Decodes the whole video to count its frames (see {@link VideoReader#probe}). */
	public VideoInfo probe(File video) {
		return VideoReader.probe(video.toPath());
	}
}
