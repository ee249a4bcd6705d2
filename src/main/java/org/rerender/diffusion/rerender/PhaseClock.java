package org.rerender.diffusion.rerender;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.rerender.model.nn.TorchExt;

/**
 * Optional per-phase breakdown of a key frame, for benchmarks ({@link KeyFrameEngine#phases}): the engine marks the
 * end of each phase, and the time since the previous mark goes to that phase. Before taking the time a mark waits for
 * the device to finish the array it is given (one value read back), so on a GPU each phase gets its own device time
 * (and the frame loses the overlap of host and device work: a phases run is slower than a plain one). Marks are
 * sequential, not nested: a phase that interrupts another (the cross-frame attention hook inside a network call) ends
 * the interrupted one's current stretch, which resumes under its own name. Also counts the fused-op (torchext) calls
 * of each phase. {@link #OFF} (the engine's default) does nothing and costs nothing.
 */
public final class PhaseClock {
	/** Called after each mark, outside the timed stretches (a benchmark counts native ops per phase here). */
	@FunctionalInterface
	public interface Listener {
		void phaseEnded(String phase);
	}

	/** One phase's totals since the last {@link #reset}. */
	public record Phase(double seconds, int marks, long fusedCalls) {}

	public static final PhaseClock OFF = new PhaseClock(false, false, null);

	private final boolean on, sync;
	private final Listener listener;
	private final Map<String, Phase> totals = new LinkedHashMap<>();
	private long last = System.nanoTime();
	private long lastFused = TorchExt.calls();

	private PhaseClock(boolean on, boolean sync, Listener listener) {
		this.on = on;
		this.sync = sync;
		this.listener = listener;
	}

	/** A clock that drains the device at every mark; {@code listener} may be null. */
	public static PhaseClock synced(Listener listener) {
		return new PhaseClock(true, true, listener);
	}

	/**
	 * A clock that never waits for the device (its times are host times): for counting what each phase issues, where
	 * the read-back of a synced mark would add its own ops to the phase.
	 */
	public static PhaseClock unsynced(Listener listener) {
		return new PhaseClock(true, false, listener);
	}

	public boolean enabled() {
		return on;
	}

	/** Starts a stretch now (the time before it belongs to no phase). */
	public void start() {
		if (!on) return;
		last = System.nanoTime();
		lastFused = TorchExt.calls();
	}

	/** Ends the current stretch as {@code phase}, after the device has made {@code wait} (null: host work only). */
	public void mark(String phase, NDArray wait) {
		if (!on) return;
		if (sync && wait != null) sync(wait);
		long t = System.nanoTime();
		long fused = TorchExt.calls();
		Phase p = totals.getOrDefault(phase, new Phase(0, 0, 0));
		totals.put(phase, new Phase(p.seconds() + (t - last) / 1e9, p.marks() + 1, p.fusedCalls() + fused - lastFused));
		if (listener != null) listener.phaseEnded(phase);
		start();
	}

	/** The phases in the order they first ended. */
	public Map<String, Phase> totals() {
		return Collections.unmodifiableMap(totals);
	}

	/** Forgets the totals. */
	public void reset() {
		totals.clear();
		start();
	}

	/** Waits for the device to finish {@code a} (reads one of its values back). */
	static void sync(NDArray a) {
		if (a.isEmpty()) return;
		try (NDManager m = a.getManager().newSubManager()) {
			NDArray flat = a.flatten();
			flat.attach(m); // what is made from it below lands in m too
			flat.get(0).toType(DataType.FLOAT32, false).getFloat();
		}
	}
}
