package org.rerender.model.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.rerender.engine.Djl;

/**
 * Small constant tensors made once per device and kept for the JVM's life: the 0-dim scalars of {@link Scalars}'
 * fallback, timestep-embedding tables, DFT tables. A tensor made from host memory is, on CUDA, a synchronous
 * host→device copy that drains the GPU queue and cannot be captured in a CUDA graph; the per-step path takes its
 * constants from here instead (made on first use, i.e. during a warm-up step or before the loop).
 *
 * <p>Each device's constants live in one root manager of their own, never closed (they are small and bounded:
 * at most {@link #MAX_ENTRIES} entries over all devices; beyond that {@link #get} returns null and the caller makes a
 * per-call tensor in its own manager, as before). Never modify a returned tensor in place.
 */
public final class DeviceConstants {
	/** Upper bound on cached tensors (user-chosen values such as the guidance scale make new keys). */
	public static final int MAX_ENTRIES = 4096;
	private static final Map<Device, NDManager> MANAGERS = new ConcurrentHashMap<>();
	private static final Map<Key, NDArray> CACHE = new ConcurrentHashMap<>();

	private record Key(Device device, Object what) {}

	private DeviceConstants() {}

	/**
	 * The constant for {@code what} on {@code device}, made by {@code make} (in the constants' manager) on first use.
	 * {@code what} must identify the content completely (a record of every input). Null when the cache is full.
	 */
	public static NDArray get(Device device, Object what, Function<NDManager, NDArray> make) {
		Key k = new Key(device, what);
		NDArray a = CACHE.get(k);
		if (a != null) return a;
		synchronized (CACHE) {
			a = CACHE.get(k);
			if (a != null) return a;
			if (CACHE.size() >= MAX_ENTRIES) return null;
			NDManager m = MANAGERS.computeIfAbsent(device, Djl::newManager);
			a = make.apply(m);
			a.attach(m);
			CACHE.put(k, a);
			return a;
		}
	}

	/**
	 * The constant as a view (a new handle on the same storage, no copy) owned by {@code into}: use this whenever the
	 * constant is the <em>first</em> operand of an op, because DJL attaches an op's result to its first operand's
	 * manager, and results attached to the never-closed constants' manager would leak on every call. Null when the
	 * cache is full.
	 */
	public static NDArray borrow(NDManager into, Object what, Function<NDManager, NDArray> make) {
		NDArray c = get(into.getDevice(), what, make);
		if (c == null) return null;
		NDArray view = c.reshape(c.getShape());
		view.attach(into);
		return view;
	}

	/** Number of cached constants (tests). */
	public static int size() {
		return CACHE.size();
	}

	/**
	 * Arrays held by the constants' managers beyond the cached constants themselves: anything else there was computed
	 * from a constant used as a first operand and is never freed (tests assert 0).
	 */
	public static int strayArrays() {
		int held = 0;
		for (NDManager m : MANAGERS.values())
			if (m instanceof ai.djl.ndarray.BaseNDManager b) held += b.getManagedArrays().size();
		return held - CACHE.size();
	}
}
