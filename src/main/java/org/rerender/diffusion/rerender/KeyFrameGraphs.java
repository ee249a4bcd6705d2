package org.rerender.diffusion.rerender;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Supplier;
import org.rerender.diffusion.ControlledDenoiser;
import org.rerender.diffusion.Denoiser;
import org.rerender.model.nn.Precision;
import org.rerender.model.nn.StepGraph;
import org.rerender.model.nn.TorchExtCudaGraph;
import org.rerender.model.unet.AttentionHook;
import org.rerender.model.unet.Branch;
import org.rerender.model.unet.SelfAttentionSite;
import org.rerender.model.unet.UNetCallContext;

/**
 * The Rerender key frame's UNet+ControlNet calls replayed from recorded graphs ({@link StepGraph}: a CUDA graph on a
 * GPU), with the cross-frame attention and FreeU inside. Owned by the caller of {@link KeyFrameEngine#graphs}; one set
 * serves every pass of every frame of the engine (anchor, both passes of each key frame), and {@link #close} frees it.
 *
 * <p>The cross-frame hook reads and writes Java-side stores per step, which a recorded graph cannot do. So the recorded
 * body has, per decoder self-attention layer the hook touches, two static K/V input buffers (the step's "first" and
 * "previous" stored inputs, each an entry or, batched, the store's {@code [uncond; cond]} pair) that it concatenates
 * along the tokens as the hook does, and one static output: a copy of the layer's own input. Before each replay the
 * step's stored inputs are copied into the buffers (device copies; from a host store, over the bus first); after it, when
 * the step records (anchor) or refreshes ("previous"), the outputs are put into the store, as the hook would have put
 * the inputs. FreeU is tensor work inside the call and is recorded with it; the per-step constraints (mask blend,
 * AdaIN, shape-aware fusion) run between calls, as before.
 *
 * <p>One graph per call signature: whether the step attends to the stores (a different K/V shape: {@code 2·tokens})
 * or to itself (the anchor, steps outside the cross-attention window, key frames without cross-frame attention), the CFG
 * layout (a separate branch's batch B or the batched {@code 2B}), the input shapes, the layers touched (loose mode) and
 * FreeU's factors; the networks and control scales must stay those of the graph's first call (else it is recorded
 * again). The separate branches share a graph (their context is an input). At most {@link #MAX_GRAPHS} are kept, the
 * least recently used one freed first (each holds its own memory pool on a GPU: the activations of one call).
 *
 * <p>Each graph's first call runs eagerly through the hooked denoiser (a warm-up where the capture will run, as
 * {@link org.rerender.diffusion.GraphedDenoiser} does), its second records. A failed warm-up or recording gives graphing up
 * for good: one log line, and every later call runs eagerly through the hooks (the output is the same).
 */
public final class KeyFrameGraphs implements AutoCloseable {
	/** Graphs kept at once (batched or separate CFG, each attending to the stores or to itself). */
	public static final int MAX_GRAPHS = 4;

	/** What makes a graph: shapes and settings its recording fixed. */
	private record Signature(boolean storedKv, boolean batched, List<Integer> touched, FreeUHook freeU, List<Shape> shapes,
		List<DataType> types) {}

	private static final class Entry {
		final StepGraph graph;
		final ControlledDenoiser networks; // its networks and control scales were recorded (its conditioning is not used)
		int calls;

		Entry(StepGraph graph, ControlledDenoiser networks) {
			this.graph = graph;
			this.networks = networks;
		}
	}

	private final NDManager manager;
	private final Supplier<StepGraph.Recorder> recorders;
	private final Map<Signature, Entry> graphs = new LinkedHashMap<>(8, 0.75f, true);
	private boolean abandoned;
	private int recorded, replays, eager;

	/**
	 * @param parent the graphs' buffers and outputs live in a sub-manager of it (on the compute device)
	 * @param recorders makes each new graph's recorder ({@link StepGraph#cudaRecorder}, {@link StepGraph#rerunRecorder}, a test's)
	 */
	public KeyFrameGraphs(NDManager parent, Supplier<StepGraph.Recorder> recorders) {
		this.manager = parent.newSubManager();
		this.recorders = Objects.requireNonNull(recorders);
	}

	/**
	 * CUDA graphs on a GPU ({@link TorchExtCudaGraph}; if the native library cannot capture, the first warm-up fails and
	 * the calls run eagerly, with one log line), replay-by-rerun elsewhere (the same buffer logic, no speed-up: tests and
	 * rehearsals).
	 */
	public static KeyFrameGraphs forDevice(NDManager parent) {
		Device d = parent.getDevice();
		return new KeyFrameGraphs(parent, d.isGpu() ? () -> StepGraph.cudaRecorder(d) : StepGraph::rerunRecorder);
	}

	/** Whether graphing was given up (a failed warm-up or recording); the calls then run eagerly through the hooks. */
	public boolean abandoned() {
		return abandoned;
	}

	/** Graphs recorded so far (a re-recording counts again). */
	public int recorded() {
		return recorded;
	}

	/** Replays so far. */
	public int replays() {
		return replays;
	}

	/** Calls that ran eagerly through the hooks (warm-ups, and every call after graphing was given up). */
	public int eagerCalls() {
		return eager;
	}

	/** Graphs held now. */
	public int size() {
		return graphs.size();
	}

	/**
	 * A pass's denoiser that goes through these graphs: {@code hooked} is the pass's denoiser with its hooks ({@code attn}
	 * and {@code freeU}), used for the warm-ups and whenever graphing is off; {@code sites} are the UNet's decoder
	 * self-attention layers.
	 */
	Denoiser pass(ControlledDenoiser hooked, CrossFrameAttention attn, FreeUHook freeU, List<SelfAttentionSite> sites, PhaseClock clock,
		String pass)
	{
		List<Integer> touched = new ArrayList<>();
		for (SelfAttentionSite s : sites)
			if (attn.touches(s)) touched.add(s.layer());
		return new Pass(hooked, attn, freeU, List.copyOf(touched), clock == null ? PhaseClock.OFF : clock, pass);
	}

	private final class Pass implements Denoiser {
		final ControlledDenoiser hooked;
		final CrossFrameAttention attn;
		final FreeUHook freeU;
		final List<Integer> touched;
		final PhaseClock clock;
		final String name;

		Pass(ControlledDenoiser hooked, CrossFrameAttention attn, FreeUHook freeU, List<Integer> touched, PhaseClock clock, String name) {
			this.hooked = hooked;
			this.attn = attn;
			this.freeU = freeU;
			this.touched = touched;
			this.clock = clock;
			this.name = name;
		}

		@Override
		public NDArray eps(NDArray x, int timestep, Branch branch, int step) {
			return call(x, timestep, Objects.requireNonNull(branch), step);
		}

		@Override
		public NDArray epsBatched(NDArray x, int timestep, int step) {
			return call(x, timestep, null, step);
		}

		private NDArray eagerCall(NDArray x, int timestep, Branch branch, int step) {
			eager++;
			return branch == null ? hooked.epsBatched(x, timestep, step) : hooked.eps(x, timestep, branch, step);
		}

		/** One call (branch null: CFG-batched); the result in x's manager and type. */
		private NDArray call(NDArray x, int timestep, Branch branch, int step) {
			if (abandoned) return eagerCall(x, timestep, branch, step);
			if (!hooked.sharedSinusoid())
				return abandon("setup", new IllegalStateException("UNet and ControlNet timestep embeddings differ in width"), x, timestep, branch, step);
			boolean stored = attn.attendsStoredAt(step);
			AttentionStore written = attn.writtenAt(step);
			DataType net = hooked.networkType();
			List<NDArray> temps = new ArrayList<>();
			try (NDManager call = x.getManager().newSubManager()) {
				NDArray xin = branch == null ? NDArrays.concat(new NDList(x, x), 0) : x;
				if (xin != x) xin.attach(call);
				NDArray xn = Precision.as(xin, net);
				if (xn != xin && xn != x) xn.attach(call);
				NDArray tEmb = hooked.batchedSinusoid(call, timestep, xn.getShape().get(0), net);
				NDList cond = branch == null ? hooked.batchedConditioning() : hooked.conditioning(branch);
				NDList in = new NDList(xn, tEmb, cond.get(0));
				boolean hint = cond.get(1) != null;
				if (hint) in.add(cond.get(1));
				if (stored)
					for (int layer : touched) {
						in.add(attn.storedInput(true, step, branch, layer, net, x.getDevice(), temps));
						in.add(attn.storedInput(false, step, branch, layer, net, x.getDevice(), temps));
					}
				clock.mark(name + ": cross-frame attention K/V (store reads, writes)", stored ? in.get(in.size() - 1) : null);
				Entry e = entry(signature(stored, branch == null, touched, freeU, in), hooked, hint);
				if (e == null) return eagerCall(x, timestep, branch, step);
				if (e.calls++ == 0) {
					// the warm-up, where the recording will run: the eager hooked call (it reads and writes the stores itself)
					try {
						return e.graph.warmUp(() -> eagerCall(x, timestep, branch, step));
					}
					catch (RuntimeException ex) {
						return abandon("warm-up", ex, x, timestep, branch, step);
					}
				}
				NDList outs;
				if (!e.graph.recorded()) {
					try {
						outs = e.graph.runStatic(in);
						recorded++;
					}
					catch (RuntimeException ex) {
						return abandon("recording", ex, x, timestep, branch, step);
					}
				} else {
					outs = e.graph.runStatic(in);
					replays++;
				}
				NDArray eps = Precision.as(outs.get(0), x.getDataType());
				if (eps == outs.get(0)) eps = eps.duplicate(); // the static output is overwritten by the next replay
				eps.attach(x.getManager());
				clock.mark(name + ": UNet+ControlNet calls", eps);
				if (written != null) // what the hook would have stored: the layers' inputs, from the graph's static outputs
					for (int k = 0; k < touched.size(); k++)
						CrossFrameAttention.store(written, step, branch, touched.get(k), outs.get(1 + k));
				clock.mark(name + ": cross-frame attention K/V (store reads, writes)", null);
				return eps;
			}
			finally {
				temps.forEach(NDArray::close);
			}
		}

		private NDArray abandon(String what, RuntimeException e, NDArray x, int timestep, Branch branch, int step) {
			abandoned = true;
			System.getLogger(KeyFrameGraphs.class.getName()).log(System.Logger.Level.WARNING,
				"CUDA-graph " + what + " of the Rerender key-frame call failed, key frames run op by op: " + e.getMessage());
			closeGraphs();
			return eagerCall(x, timestep, branch, step);
		}
	}

	private static Signature signature(boolean stored, boolean batched, List<Integer> touched, FreeUHook freeU, NDList in) {
		List<Shape> shapes = new ArrayList<>(in.size());
		List<DataType> types = new ArrayList<>(in.size());
		for (NDArray a : in) {
			shapes.add(a.getShape());
			types.add(a.getDataType());
		}
		return new Signature(stored, batched, touched, freeU, List.copyOf(shapes), List.copyOf(types));
	}

	/** The graph for {@code sig}: the one held, made again for other networks, or a new one (the least recently used freed). */
	private Entry entry(Signature sig, ControlledDenoiser d, boolean hint) {
		Entry e = graphs.get(sig);
		if (e != null && e.networks.sameNetworks(d)) return e;
		if (e != null) {
			graphs.remove(sig);
			e.graph.close();
		}
		while (graphs.size() >= MAX_GRAPHS) {
			Iterator<Entry> eldest = graphs.values().iterator();
			eldest.next().graph.close();
			eldest.remove();
		}
		e = new Entry(StepGraph.multi(manager, body(d, sig.storedKv(), hint ? 4 : 3, sig.touched(), sig.freeU()),
			recorders.get()), d);
		graphs.put(sig, e);
		return e;
	}

	/**
	 * The recorded call: inputs {@code [x, tEmb, context, (hint), (first_k, previous_k for each touched layer k, when
	 * storedKv)]}, all static buffers; outputs {@code [ε, input_k for each touched layer k]}. It reads nothing but its
	 * buffers and the networks' weights: the stores, the steps and the conditioning are handled outside it.
	 */
	private static Function<NDList, NDList> body(ControlledDenoiser networks, boolean storedKv, int nIn, List<Integer> touched, FreeUHook freeU) {
		Map<Integer, Integer> slot = new HashMap<>();
		for (int k = 0; k < touched.size(); k++) slot.put(touched.get(k), k);
		return in -> {
			NDManager outputs = in.get(0).getManager(); // the graph's own (the UNet's scopes move x while they run)
			NDArray[] inputs = new NDArray[touched.size()];
			AttentionHook hook = (ctx, site, normed) -> {
				Integer k = slot.get(site.layer());
				if (k == null) return normed;
				NDArray copy = normed.duplicate(); // the static output the store takes after the replay
				copy.attach(outputs);
				inputs[k] = copy;
				if (!storedKv) return normed;
				NDArray kv = NDArrays.concat(new NDList(in.get(nIn + 2 * k), in.get(nIn + 2 * k + 1)), 1); // [first | previous]
				kv.attach(normed.getManager()); // freed with the layer's scope
				return kv;
			};
			NDArray eps = networks.epsPrepared(in.get(0), in.get(1), in.get(2), nIn > 3 ? in.get(3) : null,
				new UNetCallContext(-1, null, hook, freeU, null));
			NDList out = new NDList(eps);
			for (int k = 0; k < inputs.length; k++) {
				if (inputs[k] == null) throw new IllegalStateException("decoder self-attention layer " + touched.get(k) + " was not reached");
				out.add(inputs[k]);
			}
			return out;
		};
	}

	private void closeGraphs() {
		for (Entry e : graphs.values()) e.graph.close();
		graphs.clear();
	}

	@Override
	public void close() {
		closeGraphs();
		manager.close();
	}
}
