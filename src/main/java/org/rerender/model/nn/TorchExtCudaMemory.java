package org.rerender.model.nn;

import ai.djl.Device;

/**
 * libtorch's CUDA caching-allocator statistics through {@code libRerenderTorchExt} (built with {@code make CUDA=1}):
 * the figures {@code torch.cuda.max_memory_allocated} and friends report, which DJL does not expose. The key-frame
 * benchmark uses them so that our memory is measured like the PyTorch rows beside it. Run on an NVIDIA H200 with torch
 * 2.11.0+cu130 (bench/gpu, 2026-11-26).
 */
public final class TorchExtCudaMemory {
	/** Bytes held by tensors ({@code allocated}) and by the allocator's segments ({@code reserved}), now and at peak. */
	public record Stats(long allocated, long peakAllocated, long reserved, long peakReserved) {}

	private TorchExtCudaMemory() {}

	/**
	 * Whether the library is loaded (also when the fused ops are switched off: the statistics do not depend on them)
	 * and was built with the CUDA memory entry points.
	 */
	public static boolean supported() {
		return TorchExt.loaded() && TorchExt.built(TorchExt.CUDA_MEMORY);
	}

	/** The allocator's statistics for {@code device} since the last {@link #resetPeaks}. */
	public static Stats read(Device device) {
		long[] v = nativeStats(gpu(device));
		return new Stats(v[0], v[1], v[2], v[3]);
	}

	/** Starts a new peak window (as {@code torch.cuda.reset_peak_memory_stats}). */
	public static void resetPeaks(Device device) {
		nativeResetPeaks(gpu(device));
	}

	/**
	 * After freeing networks on {@code device}: hands libtorch's now unused cached blocks back to the driver, so other
	 * programs (and GPU Status) see the memory free again. Best effort, for {@code close()} paths: on the CPU, when the
	 * library is not loaded yet (it is not loaded for this) or lacks the CUDA entry points, or when the call fails,
	 * nothing happens.
	 */
	public static void releaseCached(Device device) {
		if (!device.isGpu() || !TorchExt.loadedAlready() || !TorchExt.built(TorchExt.CUDA_MEMORY)) return;
		try {
			nativeEmptyCache();
		}
		catch (RuntimeException | LinkageError e) {
			System.getLogger(TorchExtCudaMemory.class.getName()).log(System.Logger.Level.DEBUG, "empty_cache failed: " + e);
		}
	}

	private static int gpu(Device device) {
		if (!device.isGpu()) throw new IllegalArgumentException("CUDA allocator statistics need a GPU device, not " + device);
		requireSupported();
		return device.getDeviceId();
	}

	private static void requireSupported() {
		if (!supported()) throw new IllegalStateException("libRerenderTorchExt has no CUDA memory support: " + TorchExt.status());
	}

	private static native long[] nativeStats(int device);

	private static native void nativeResetPeaks(int device);

	private static native void nativeEmptyCache();
}
