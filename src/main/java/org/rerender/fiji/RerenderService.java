package org.rerender.fiji;

import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.rerender.config.RerenderConfig;
import org.rerender.engine.DeviceChoice;
import org.rerender.engine.Djl;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.model.download.ModelManifest;
import org.rerender.model.download.ModelStore;
import org.rerender.pipeline.ComponentCache;
import org.rerender.pipeline.DiffusionModels;
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
 * <p>
 * Commands get the models through a {@link Lease} held for the whole job (a read lock). Loading, reloading and
 * freeing need the write side: while one command uses the models, another command that wants to load (even the same
 * networks) or Free Models fails fast with a clear {@link RerenderException} after {@link #busyWaitMillis}, rather than
 * waiting behind a job of minutes or closing weights under it. One model-using command runs at a time.
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
	/** Read side: held by a {@link Lease} while its job uses the models. Write side: loading and freeing. */
	private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
	/** How long a load or free waits for running jobs to end before it fails (package-private for tests). */
	long busyWaitMillis = 2000;
	private volatile Set<String> names = Set.of();
	/** The device of the last successful load (the loaded networks live there while {@link #names} is not empty). */
	private volatile DeviceChoice.Resolved onDevice;
	private volatile boolean disposed;

	static final String BUSY = "Another Rerender command is using the models; wait for it to finish (or cancel it), then try again.";

	/**
	 * A job's hold on the models: from the first {@link #models} call until {@link #close()}, no other command can
	 * reload or free them (they fail with a {@link RerenderException} after a short wait instead of closing weights
	 * under a running job). Use it with try-with-resources on the thread that runs the job; a lease is not shared
	 * between threads.
	 */
	public final class Lease implements AutoCloseable {
		private boolean reading, closed;

		private Lease() {}

		/** The models for a job's config on a device ({@code auto}, {@code cpu}, {@code cuda:N}); see {@link #models(DiffusionModels.Files, String)}. */
		public DiffusionModels models(RerenderConfig config, ModelStore store, String device) {
			return models(DiffusionModels.resolve(config, store == null ? ModelStore.standard() : store,
				ModelManifest.packaged()), device);
		}

		/**
		 * The models of explicit files on a device. Each network is kept while the next job needs it from the same
		 * files (and LoRA, device, dtype); only the changed ones are freed and reloaded. Loading needs the models to
		 * itself: while another command holds a lease this waits briefly, then throws {@link RerenderException}. When
		 * {@code auto} falls back to the CPU the log says why.
		 */
		public DiffusionModels models(DiffusionModels.Files files, String device) {
			if (closed) throw new IllegalStateException("lease closed");
			DeviceChoice.Resolved target = resolve(device);
			release(); // our own read side would block the write side
			writeLock();
			try {
				DiffusionModels models;
				try {
					models = DiffusionModels.load(files, target, loaded);
					onDevice = target;
				}
				finally {
					names = loaded.names();
				}
				if (target.reason() != null && log != null) log.info("Rerender: device " + target.describe());
				lock.readLock().lock(); // downgrade: held until close()
				reading = true;
				return models;
			}
			finally {
				lock.writeLock().unlock();
			}
		}

		private void release() {
			if (reading) lock.readLock().unlock();
			reading = false;
		}

		/** Ends the hold; the models stay loaded for the next command. */
		@Override
		public void close() {
			if (closed) return;
			closed = true;
			release();
			if (disposed && lock.writeLock().tryLock()) { // the context closed while this job ran
				try {
					loaded.clear();
					names = Set.of();
				}
				finally {
					lock.writeLock().unlock();
				}
			}
		}
	}

	/**
	 * The device a choice ({@code auto}, {@code cpu}, {@code cuda:N}) resolves to now. For {@code auto}, the memory
	 * the loaded networks hold on GPU 0 does not count as "too little free memory".
	 */
	public DeviceChoice.Resolved resolve(String device) {
		return DeviceChoice.parse(device).resolve(Djl.engine(), holdsGpu0());
	}

	/** Whether the loaded networks live on GPU 0 (then their memory counts as ours, not as used, for {@code auto}). */
	public boolean holdsGpu0() {
		DeviceChoice.Resolved held = onDevice;
		return held != null && held.device().isGpu() && held.device().getDeviceId() == 0 && !names.isEmpty();
	}

	/** A new lease; it holds nothing until its first {@code models(...)} call. */
	public Lease lease() {
		return new Lease();
	}

	private void writeLock() {
		try {
			if (lock.writeLock().tryLock(busyWaitMillis, TimeUnit.MILLISECONDS)) return;
		}
		catch (InterruptedException e) {
			Thread.currentThread().interrupt();
		}
		throw new RerenderException(BUSY);
	}

	/**
	 * Frees the loaded models (the next job loads them again) and returns the names of the freed networks. While a
	 * command holds a {@link Lease} this waits briefly, then throws {@link RerenderException} and frees nothing.
	 */
	public Set<String> freeModels() {
		writeLock();
		try {
			Set<String> freed = loaded.names();
			loaded.clear();
			return freed;
		}
		finally {
			names = loaded.names();
			lock.writeLock().unlock();
		}
	}

	/** Whether models are loaded now. */
	public boolean modelsLoaded() {
		return !names.isEmpty();
	}

	/**
	 * The names of the loaded networks (workspace, unet, controlnet, vae, text-encoder, tokenizer, hed), in (re)load
	 * order; {@link DiffusionModels#describe} says them as users read them.
	 */
	public Set<String> loadedComponents() {
		return names;
	}

	/** Frees the models; when a job still holds them, its lease frees them as it closes. */
	@Override
	public void dispose() {
		disposed = true;
		try {
			freeModels();
		}
		catch (RerenderException e) {
			if (log != null) log.warn("Rerender: models are freed when the running command ends");
		}
		super.dispose();
	}
}
