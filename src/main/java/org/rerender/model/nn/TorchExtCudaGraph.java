package org.rerender.model.nn;

import ai.djl.Device;

/**
 * CUDA-graph capture of DJL ops ({@code at::cuda::CUDAGraph} in {@code libRerenderTorchExt}, built with
 * {@code make CUDA=1}). <b>Unrun so far and not wired into the engine</b>: capture needs a loop body without host
 * synchronisation or host-to-device copies (no {@code NDManager.create(float[])}, no {@code toFloatArray()}) and fixed
 * input/output tensors, which the denoising step does not yet guarantee.
 *
 * <pre>
 * try (TorchExtCudaGraph g = TorchExtCudaGraph.begin(device)) {
 *     NDArray out = step(staticInput);   // recorded, not run
 *     g.end();
 *     for (...) { staticInput.set(next...); g.replay(); use(out); }
 * }
 * </pre>
 */
public final class TorchExtCudaGraph implements AutoCloseable {
	private long handle;

	private TorchExtCudaGraph(long handle) {
		this.handle = handle;
	}

	/** Whether {@link TorchExt} is active and was built with the CUDA-graph entry points. */
	public static boolean supported() {
		return TorchExt.active() && TorchExt.status().contains("cuda graphs");
	}

	/** Starts capturing the calling thread's CUDA work on {@code device}. */
	public static TorchExtCudaGraph begin(Device device) {
		if (!device.isGpu()) throw new IllegalArgumentException("CUDA graphs need a GPU device, not " + device);
		if (!supported()) throw new IllegalStateException("libRerenderTorchExt has no CUDA-graph support: " + TorchExt.status());
		return new TorchExtCudaGraph(nativeBegin(device.getDeviceId()));
	}

	/** Ends the capture and instantiates the graph. */
	public void end() {
		nativeEnd(handle);
	}

	/** Runs the captured kernels again, on the current stream. */
	public void replay() {
		nativeReplay(handle);
	}

	@Override
	public void close() {
		if (handle != 0) nativeDelete(handle);
		handle = 0;
	}

	private static native long nativeBegin(int device);

	private static native void nativeEnd(long handle);

	private static native void nativeReplay(long handle);

	private static native void nativeDelete(long handle);
}
