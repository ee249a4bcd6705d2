package org.rerender.model.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.function.Function;

/**
 * A computation recorded once on fixed ("static") input tensors and replayed on new values: on the first
 * {@link #run} the inputs are copied into static buffers of this graph, the body runs on them under the
 * {@link Recorder} (a CUDA graph capture), and its output is kept; every later run copies the new inputs into the
 * same buffers with a device copy and replays. Shapes and dtypes must stay those of the first run (else an error).
 *
 * <p>The buffers, the output and whatever the body allocated while recorded live in this graph's own manager, freed
 * by {@link #close}. The body must depend on its input tensors only (no host data, no per-call Java state).
 * {@link #cuda} records with {@link TorchExtCudaGraph} (run on an NVIDIA H200); {@link #rerun} records nothing and
 * replays by running the body again, which gives the same buffer handling on the CPU (tests).
 */
public final class StepGraph implements AutoCloseable {
	/** How a body is recorded and replayed. */
	public interface Recorder extends AutoCloseable {
		/**
		 * Runs {@code call} eagerly, where the recording will run (a CUDA graph: on its capture stream), so lazily made
		 * state exists before recording.
		 */
		default NDArray warmUp(java.util.function.Supplier<NDArray> call) {
			return call.get();
		}

		/** Runs (or records) {@code body} once; returns its output, valid after the call. */
		NDArray record(java.util.function.Supplier<NDArray> body);

		/** Recomputes the recorded output in place from the current buffer values. */
		void replay();

		@Override
		void close();
	}

	/** How many {@link StepGraph} bodies this thread is running now (recording, or replaying by rerun). */
	private static final ThreadLocal<int[]> IN_BODY = ThreadLocal.withInitial(() -> new int[1]);

	private final NDManager manager;
	private final Function<NDList, NDArray> body;
	private final Recorder recorder;
	private NDList buffers;
	private NDArray output;
	private int replays;

	private StepGraph(NDManager parent, Function<NDList, NDArray> body, Recorder recorder) {
		this.manager = parent.newSubManager();
		this.body = body;
		this.recorder = recorder;
	}

	/** Captured as a CUDA graph on {@code device} (needs {@link TorchExtCudaGraph#supported()}). */
	public static StepGraph cuda(NDManager parent, Device device, Function<NDList, NDArray> body) {
		return new StepGraph(parent, body, new CudaRecorder(device));
	}

	/** With any recorder (tests: one that fails, as a capture can). */
	public static StepGraph with(NDManager parent, Function<NDList, NDArray> body, Recorder recorder) {
		return new StepGraph(parent, body, recorder);
	}

	/** Replay-by-rerun: the same static-buffer logic without a graph (any device). */
	public static StepGraph rerun(NDManager parent, Function<NDList, NDArray> body) {
		return new StepGraph(parent, body, new RerunRecorder());
	}

	/**
	 * The eager warm-up before recording: runs {@code call} (typically the same computation on the caller's own
	 * tensors) where the recording will run, and returns its result.
	 */
	public NDArray warmUp(java.util.function.Supplier<NDArray> call) {
		return recorder.warmUp(call);
	}

	/**
	 * Copies {@code inputs} into the static buffers (made on the first call) and records or replays; returns a copy of
	 * the output in {@code resultManager}.
	 */
	public NDArray run(NDList inputs, NDManager resultManager) {
		if (buffers == null) {
			NDList made = new NDList();
			for (NDArray in : inputs) {
				NDArray b = in.duplicate();
				b.attach(manager);
				made.add(b);
			}
			try {
				output = recorder.record(() -> inBody(() -> body.apply(made)));
			}
			catch (RuntimeException | Error e) {
				made.close(); // nothing recorded: the next call records afresh (or the caller falls back)
				throw e;
			}
			buffers = made;
			output.attach(manager);
		} else {
			if (inputs.size() != buffers.size()) throw new IllegalArgumentException(inputs.size() + " inputs, recorded with " + buffers.size());
			for (int i = 0; i < inputs.size(); i++) copyInto(buffers.get(i), inputs.get(i));
			recorder.replay();
			replays++;
		}
		NDArray out = output.duplicate();
		out.attach(resultManager);
		return out;
	}

	/**
	 * Whether this thread is inside a graph's body now (being recorded, or rerun as a replay): work done there is part
	 * of the recording, so per-call caches must neither serve nor keep arrays ({@link ContextKeyValues}).
	 */
	public static boolean inBody() {
		return IN_BODY.get()[0] > 0;
	}

	private static NDArray inBody(java.util.function.Supplier<NDArray> body) {
		int[] depth = IN_BODY.get();
		depth[0]++;
		try {
			return body.get();
		}
		finally {
			depth[0]--;
		}
	}

	/** Whether the body has been recorded (a failed recording leaves it unrecorded). */
	public boolean recorded() {
		return buffers != null;
	}

	/** Replays so far (the first run records). */
	public int replays() {
		return replays;
	}

	/** {@code dst ← src} on the device (same shape and dtype), without a host copy. */
	static void copyInto(NDArray dst, NDArray src) {
		if (!dst.getShape().equals(src.getShape()) || dst.getDataType() != src.getDataType())
			throw new IllegalArgumentException("static buffer " + dst.getShape() + " " + dst.getDataType() + " cannot take " + src.getShape()
				+ " " + src.getDataType() + " (shapes and dtypes are fixed by the first run)");
		if (TorchExt.active()) TorchExt.copyInto(dst, src);
		else dst.set(new NDIndex("..."), src);
	}

	@Override
	public void close() {
		recorder.close();
		manager.close();
	}

	private static final class RerunRecorder implements Recorder {
		private java.util.function.Supplier<NDArray> body;
		private NDArray output;

		@Override
		public NDArray record(java.util.function.Supplier<NDArray> b) {
			body = b;
			output = b.get();
			return output;
		}

		@Override
		public void replay() {
			try (NDArray fresh = body.get()) {
				copyInto(output, fresh);
			}
		}

		@Override
		public void close() {}
	}

	private static final class CudaRecorder implements Recorder {
		private final Device device;
		private TorchExtCudaGraph graph;

		CudaRecorder(Device device) {
			this.device = device;
		}

		private TorchExtCudaGraph graph() {
			if (graph == null) graph = TorchExtCudaGraph.create(device);
			return graph;
		}

		@Override
		public NDArray warmUp(java.util.function.Supplier<NDArray> call) {
			return graph().onSideStream(call);
		}

		@Override
		public NDArray record(java.util.function.Supplier<NDArray> body) {
			graph().begin();
			NDArray out;
			try {
				out = body.get();
			}
			catch (RuntimeException | Error e) {
				try {
					graph.end(); // leave capture mode; its own failure must not hide the body's
				}
				catch (RuntimeException end) {
					e.addSuppressed(end);
				}
				discard();
				throw e;
			}
			try {
				graph.end();
				graph.replay(); // capture recorded the kernels without running them
			}
			catch (RuntimeException | Error e) {
				out.close();
				discard(); // a used graph cannot capture again: a later recording starts from a new one
				throw e;
			}
			return out;
		}

		private void discard() {
			graph.close();
			graph = null;
		}

		@Override
		public void replay() {
			graph.replay();
		}

		@Override
		public void close() {
			if (graph != null) graph.close();
		}
	}
}
