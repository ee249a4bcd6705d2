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
 *
 * <p>A body may have several outputs ({@link #multi}: e.g. ε and the layer inputs a Rerender key frame stores), all
 * static: {@link #runStatic} hands out the recorded outputs themselves, valid until the next run. While a body is
 * recorded or replayed, {@link #checkOutsideBody} throws: Java-side state that changes per call (a store of tensors,
 * per-call conditioning) calls it in its accessors, so a body that reads such state fails where it is recorded (on a GPU
 * the capture then fails and the caller falls back to plain calls) and, with {@link #rerun}, at every replay on the CPU.
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

		/** Runs (or records) {@code body} once; returns its outputs, valid after the call. */
		NDList record(java.util.function.Supplier<NDList> body);

		/** Recomputes the recorded output in place from the current buffer values. */
		void replay();

		@Override
		void close();
	}

	private final NDManager manager;
	private final Function<NDList, NDList> body;
	private final Recorder recorder;
	private NDList buffers;
	private NDList outputs;
	private int replays;
	/** Bodies being recorded or replayed on this thread (see {@link #checkOutsideBody}). */
	private static final ThreadLocal<int[]> IN_BODY = ThreadLocal.withInitial(() -> new int[1]);

	private StepGraph(NDManager parent, Function<NDList, NDList> body, Recorder recorder) {
		this.manager = parent.newSubManager();
		this.body = body;
		this.recorder = recorder;
	}

	/** Captured as a CUDA graph on {@code device} (needs {@link TorchExtCudaGraph#supported()}). */
	public static StepGraph cuda(NDManager parent, Device device, Function<NDList, NDArray> body) {
		return new StepGraph(parent, single(body), cudaRecorder(device));
	}

	/** With any recorder (tests: one that fails, as a capture can). */
	public static StepGraph with(NDManager parent, Function<NDList, NDArray> body, Recorder recorder) {
		return new StepGraph(parent, single(body), recorder);
	}

	/** Replay-by-rerun: the same static-buffer logic without a graph (any device). */
	public static StepGraph rerun(NDManager parent, Function<NDList, NDArray> body) {
		return new StepGraph(parent, single(body), rerunRecorder());
	}

	/** A body with several outputs (all static; {@link #runStatic}), recorded and replayed by {@code recorder}. */
	public static StepGraph multi(NDManager parent, Function<NDList, NDList> body, Recorder recorder) {
		return new StepGraph(parent, body, recorder);
	}

	/** The CUDA-graph recorder on {@code device} ({@link TorchExtCudaGraph}). */
	public static Recorder cudaRecorder(Device device) {
		return new CudaRecorder(device);
	}

	/** The replay-by-rerun recorder (any device). */
	public static Recorder rerunRecorder() {
		return new RerunRecorder();
	}

	private static Function<NDList, NDList> single(Function<NDList, NDArray> body) {
		return in -> new NDList(body.apply(in));
	}

	/**
	 * Throws if called while a body is being recorded or replayed on this thread: for accessors of Java-side state that
	 * a recorded body must not read (a CUDA graph would replay the value it had when recorded, and a write would happen
	 * once, at recording).
	 * @param what what was touched, for the message
	 */
	public static void checkOutsideBody(String what) {
		if (inBody())
			throw new IllegalStateException(what + " was touched inside a recorded step: a graph body may read only its static buffers");
	}

	/** Runs {@code r} with {@link #checkOutsideBody} armed. */
	private static void inBody(Runnable r) {
		int[] depth = IN_BODY.get();
		depth[0]++;
		try {
			r.run();
		}
		finally {
			depth[0]--;
		}
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
		NDArray out = runStatic(inputs).get(0).duplicate();
		out.attach(resultManager);
		return out;
	}

	/**
	 * Copies {@code inputs} into the static buffers (made on the first call) and records or replays; returns the recorded
	 * outputs themselves (owned by this graph: read or copy them, do not close them; the next run overwrites them).
	 */
	public NDList runStatic(NDList inputs) {
		if (buffers == null) {
			NDList made = new NDList();
			for (NDArray in : inputs) {
				NDArray b = in.duplicate();
				b.attach(manager);
				made.add(b);
			}
			NDList[] recorded = new NDList[1];
			try {
				inBody(() -> recorded[0] = recorder.record(() -> body.apply(made)));
			}
			catch (RuntimeException | Error e) {
				made.close(); // nothing recorded: the next call records afresh (or the caller falls back)
				throw e;
			}
			buffers = made;
			outputs = recorded[0];
			for (NDArray o : outputs) o.attach(manager);
		} else {
			if (inputs.size() != buffers.size()) throw new IllegalArgumentException(inputs.size() + " inputs, recorded with " + buffers.size());
			for (int i = 0; i < inputs.size(); i++) copyInto(buffers.get(i), inputs.get(i));
			inBody(recorder::replay);
			replays++;
		}
		return outputs;
	}

	/**
	 * Whether this thread is inside a graph's body now (being recorded, or rerun as a replay): work done there is part
	 * of the recording, so per-call caches must neither serve nor keep arrays ({@link ContextKeyValues}).
	 */
	public static boolean inBody() {
		return IN_BODY.get()[0] > 0;
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
	public static void copyInto(NDArray dst, NDArray src) {
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
		private java.util.function.Supplier<NDList> body;
		private NDList outputs;

		@Override
		public NDList record(java.util.function.Supplier<NDList> b) {
			body = b;
			outputs = b.get();
			return outputs;
		}

		@Override
		public void replay() {
			try (NDList fresh = body.get()) {
				if (fresh.size() != outputs.size()) throw new IllegalStateException("a replay made " + fresh.size() + " outputs, recorded " + outputs.size());
				for (int i = 0; i < fresh.size(); i++) copyInto(outputs.get(i), fresh.get(i));
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
		public NDList record(java.util.function.Supplier<NDList> body) {
			graph().begin();
			NDList out;
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
