package org.rerender.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.rerender.model.nn.Precision;
import org.rerender.model.nn.Scope;
import org.rerender.model.nn.StepGraph;
import org.rerender.model.unet.Branch;

/**
 * The plain CFG-batched denoiser call ({@link ControlledDenoiser#epsBatchedPrepared}) through a {@link StepGraph}:
 * static buffers for the latent {@code [x; x]}, the timestep sinusoid, the {@code [uncond; cond]} context and the
 * encoded hint; the first batched call runs eagerly (warm-up: cached constants, allocator, kernel choice), the second records
 * (a CUDA graph on a GPU; the warm-up runs on its capture stream) and every later one copies its inputs into the buffers and replays. Switched on by
 * {@value #PROPERTY}{@code =true} in the key-frame benchmark; default off. Run on an NVIDIA H200 (README, GPU: 0.388 s
 * per key frame at 512²); {@link StepGraph#rerun} exercises the same buffer logic on the CPU. Single-branch calls go to
 * the wrapped denoiser.
 */
public final class GraphedDenoiser implements Denoiser, AutoCloseable {
	/** System property: {@code true} wraps the benchmark's batched denoiser in a CUDA graph. */
	public static final String PROPERTY = "rerender.cudagraph";

	private ControlledDenoiser inner;
	private final StepGraph graph;
	private boolean abandoned; // recording failed: plain calls from then on
	private final NDManager manager;
	private int batchedCalls;

	/**
	 * @param inner a plain denoiser (no per-call hooks)
	 * @param graphOf makes the graph from its parent manager and body (e.g. {@code (m, b) -> StepGraph.cuda(m, device, b)})
	 */
	public GraphedDenoiser(ControlledDenoiser inner, NDManager parent, BiFunction<NDManager, Function<NDList, NDArray>, StepGraph> graphOf) {
		if (!inner.plain()) throw new IllegalArgumentException("only a denoiser without per-call hooks can be replayed");
		this.inner = inner;
		this.manager = parent.newSubManager();
		this.graph = graphOf.apply(manager, in -> this.inner.epsBatchedPrepared(in.get(0), in.get(1), in.get(2), in.size() > 3 ? in.get(3) : null));
	}

	/**
	 * Goes on with another key frame's conditioning (context, hint) on the same recorded graph: {@code next} must run
	 * the same networks with the same control scales (the graph replays those); its tensors are copied in per call.
	 */
	public GraphedDenoiser rebind(ControlledDenoiser next) {
		if (!next.plain() || !inner.sameNetworks(next))
			throw new IllegalArgumentException("a recorded graph can only take the conditioning of a plain denoiser with the same networks and scales");
		inner = next;
		return this;
	}

	@Override
	public NDArray eps(NDArray x, int timestep, Branch branch, int step) {
		return inner.eps(x, timestep, branch, step);
	}

	@Override
	public NDArray epsBatched(NDArray x, int timestep, int step) {
		if (abandoned) return inner.epsBatched(x, timestep, step);
		if (batchedCalls++ == 0) {
			// the warm-up where the recording will run; if that cannot be set up (e.g. no CUDA-graph support in the
			// native library), run plainly from now on
			try {
				return graph.warmUp(() -> inner.epsBatched(x, timestep, step));
			}
			catch (RuntimeException e) {
				return abandon("CUDA-graph warm-up failed", e, x, timestep, step);
			}
		}
		if (!graph.recorded()) {
			// the recording call: if capture fails (e.g. an op that synchronises), run plainly from now on
			try {
				return graphed(x, timestep);
			}
			catch (RuntimeException e) {
				return abandon("CUDA-graph recording failed", e, x, timestep, step);
			}
		}
		return graphed(x, timestep);
	}

	private NDArray abandon(String what, RuntimeException e, NDArray x, int timestep, int step) {
		abandoned = true;
		System.getLogger(GraphedDenoiser.class.getName()).log(System.Logger.Level.WARNING,
			what + ", the denoiser runs op by op: " + e.getMessage());
		return inner.epsBatched(x, timestep, step);
	}

	/** Whether graphing was given up after a failed warm-up or recording (the calls then run op by op). */
	public boolean abandoned() {
		return abandoned;
	}

	private NDArray graphed(NDArray x, int timestep) {
		try (Scope s = Scope.of(x)) {
			NDManager m = x.getManager();
			DataType net = inner.networkType(); // the static buffers are in the networks' type; x and eps in the caller's
			NDArray x2 = Precision.as(NDArrays.concat(new NDList(x, x), 0), net);
			NDArray tEmb = inner.batchedSinusoid(m, timestep, x2.getShape().get(0), net);
			NDList cond = inner.batchedConditioning();
			NDList in = new NDList(x2, tEmb, cond.get(0));
			if (cond.get(1) != null) in.add(cond.get(1));
			return s.keep(Precision.as(graph.run(in, m), x.getDataType()));
		}
	}

	/** Replays so far (tests, benchmark). */
	public int replays() {
		return graph.replays();
	}

	@Override
	public void close() {
		graph.close();
		manager.close();
	}
}
