package org.rerender.model.nn;

import ai.djl.Device;
import java.util.function.Supplier;

/**
 * CUDA-graph capture of DJL ops ({@code at::cuda::CUDAGraph} in {@code libRerenderTorchExt}, built with
 * {@code make CUDA=1}; run on an NVIDIA H200 against torch 2.11.0+cu130, and compiled against 2.14.1+cu130). Used through
 * {@link StepGraph#cuda}. The captured body must not synchronise with the host or copy host data to the device (no
 * {@code NDManager.create(float[])}, no {@code toFloatArray()}) and must read its inputs from fixed tensors.
 *
 * <p>Each graph owns one side stream: {@link #onSideStream} runs an eager warm-up there (so per-stream lazy state such
 * as cuBLAS workspaces exists before capture, as PyTorch recommends), {@link #begin}/{@link #end} capture on it in
 * CUDA's thread-local mode (other Java threads' CUDA calls cannot invalidate the capture).
 *
 * <pre>
 * try (TorchExtCudaGraph g = TorchExtCudaGraph.create(device)) {
 *     g.onSideStream(() -> step(staticInput));   // warm-up, eager
 *     g.begin();
 *     NDArray out = step(staticInput);           // recorded, not run
 *     g.end();
 *     for (...) { copy next values into staticInput; g.replay(); use(out); }
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
		return TorchExt.active() && TorchExt.built(TorchExt.CUDA_GRAPHS);
	}

	/** A graph (nothing captured yet) with its own side stream on {@code device}. */
	public static TorchExtCudaGraph create(Device device) {
		if (!device.isGpu()) throw new IllegalArgumentException("CUDA graphs need a GPU device, not " + device);
		if (!supported()) throw new IllegalStateException("libRerenderTorchExt has no CUDA-graph support: " + TorchExt.status());
		return new TorchExtCudaGraph(nativeCreate(device.getDeviceId()));
	}

	/** Runs {@code work} eagerly on this graph's side stream (synchronised before and after). */
	public <T> T onSideStream(Supplier<T> work) {
		nativeStream(open(), true);
		T result;
		try {
			result = work.get();
		}
		catch (RuntimeException | Error e) {
			try {
				nativeStream(handle, false);
			}
			catch (RuntimeException restore) {
				e.addSuppressed(restore); // the work's own failure is the one to report
			}
			throw e;
		}
		nativeStream(handle, false);
		return result;
	}

	/** Starts capturing the calling thread's CUDA work on the side stream. */
	public void begin() {
		nativeBegin(open());
	}

	/** Ends the capture and instantiates the graph (the recorded kernels have not run yet). */
	public void end() {
		nativeEnd(open());
	}

	/** Runs the captured kernels, on the current stream. */
	public void replay() {
		nativeReplay(open());
	}

	/** The native handle; a closed graph is an error here, not a null dereference in native code. */
	private long open() {
		if (handle == 0) throw new IllegalStateException("this CUDA graph is closed");
		return handle;
	}

	@Override
	public void close() {
		if (handle != 0) nativeDelete(handle);
		handle = 0;
	}

	private static native long nativeCreate(int device);

	private static native void nativeStream(long handle, boolean enter);

	private static native void nativeBegin(long handle);

	private static native void nativeEnd(long handle);

	private static native void nativeReplay(long handle);

	private static native void nativeDelete(long handle);
}
