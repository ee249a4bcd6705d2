package org.rerender.fiji;

import java.io.File;

import org.rerender.config.RerenderConfig;
import org.rerender.engine.DeviceChoice;
import org.rerender.engine.Djl;
import org.rerender.engine.Progress;
import org.rerender.model.download.ModelManifest;
import org.rerender.model.download.ModelStore;
import org.rerender.pipeline.ComponentCache;
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
 * models. It owns the diffusion models across commands: loaded lazily on the first job, network by network; the next
 * job keeps every network whose files, LoRA, device and dtype are unchanged and reloads only the others (another
 * ControlNet reloads the ControlNet, another LoRA strength the UNet and text encoder); all are freed on
 * {@link #dispose()} and on {@link #freeModels()} ({@code Plugins > Rerender > Free Models}).
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

	private final ComponentCache loaded = new ComponentCache();

	/** The models for a job's config on the CPU (loaded once; reloaded only when the job needs other files). */
	public synchronized DiffusionModels models(RerenderConfig config, ModelStore store) {
		return models(config, store, "cpu");
	}

	/**
	 * The models for a job's config on a device ({@code auto}, {@code cpu}, {@code cuda:N}). Each network is kept
	 * while the next job needs it from the same files (and LoRA, device, dtype); only the changed ones are freed and
	 * reloaded. When {@code auto} falls back to the CPU the log says why.
	 */
	public synchronized DiffusionModels models(RerenderConfig config, ModelStore store, String device) {
		return models(DiffusionModels.resolve(config, store == null ? ModelStore.standard() : store,
			ModelManifest.packaged()), device);
	}

	/** The models of explicit files on a device, through the same cache (see {@link #models(RerenderConfig, ModelStore, String)}). */
	public synchronized DiffusionModels models(DiffusionModels.Files files, String device) {
		DeviceChoice.Resolved target = DeviceChoice.parse(device).resolve(Djl.engine());
		DiffusionModels models = DiffusionModels.load(files, target, loaded);
		if (target.reason() != null && log != null) log.info("Rerender: device " + target.describe());
		return models;
	}

	/** Frees the loaded models (the next job loads them again). */
	public synchronized void freeModels() {
		loaded.clear();
	}

	/** Whether models are loaded now. */
	public synchronized boolean modelsLoaded() {
		return !loaded.isEmpty();
	}

	/** The names of the loaded networks (workspace, unet, controlnet, vae, text-encoder, tokenizer, hed), in (re)load order. */
	public synchronized java.util.Set<String> loadedComponents() {
		return loaded.names();
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
