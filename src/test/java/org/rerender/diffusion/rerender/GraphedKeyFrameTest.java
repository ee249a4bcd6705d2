package org.rerender.diffusion.rerender;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.config.Period;
import org.rerender.config.RerenderConfig;
import org.rerender.diffusion.DdimSampler;
import org.rerender.model.nn.StepGraph;
import org.rerender.model.unet.Branch;
import org.rerender.model.unet.UNetCallContext;
import org.rerender.testing.CapturedLog;

/**
 * The Rerender key frame's UNet+ControlNet calls through {@link KeyFrameGraphs} on the CPU, with a recorder that replays
 * by running the recorded body again on the static buffers: an anchor and two key frames (the first refreshing the
 * "previous" store, the second not) equal the eager ones bit for bit — decoded images and both stores — with separate and
 * batched CFG, pass 2 resumed, steps outside the cross-attention window (their own graph), loose mode, and F16 stores
 * beside F32 networks (the conversions of a GPU's host stores). The recorder also checks what a rerun alone would not:
 * while a body is recorded or replayed the stores, the eager hook and the per-call conditioning refuse to be touched
 * (so a body that read them, which a CUDA graph would replay with the values of its capture, fails here), and the
 * stores change only after a replay, from its static outputs.
 */
class GraphedKeyFrameTest {
	static RerenderFixture fx;

	@BeforeAll
	static void load() throws Exception {
		fx = new RerenderFixture();
	}

	@AfterAll
	static void close() {
		if (fx != null) fx.close();
	}

	/**
	 * Replays by rerunning, checking around each replay that the Java-side state is poisoned inside (every accessor of the
	 * stores and the eager hook throws) and that the stores are not written during it.
	 */
	static final class CheckingRecorder implements StepGraph.Recorder {
		final List<AttentionStore> stores;
		Supplier<NDList> body;
		NDList outputs;
		int records, replays;

		CheckingRecorder(List<AttentionStore> stores) {
			this.stores = stores;
		}

		void assertPoisoned() {
			for (AttentionStore s : stores) {
				assertThrows(IllegalStateException.class, s::entries, "a store's entries inside a recorded body");
				assertThrows(IllegalStateException.class, () -> s.pair(0, 0), "a store's pair inside a recorded body");
				assertThrows(IllegalStateException.class, () -> s.get(new AttentionStore.Key(0, Branch.COND, 0)));
			}
			CrossFrameAttention hook = CrossFrameAttention.recorder(null, java.util.Set.of(0), Long.MAX_VALUE); // the guard comes first
			assertThrows(IllegalStateException.class, () -> hook.keyValueInput(UNetCallContext.of(0, Branch.COND),
				fx.tiny.unet.decoderSelfAttentionSites().get(0), null), "the eager hook inside a recorded body");
		}

		@Override
		public NDList record(Supplier<NDList> b) {
			assertPoisoned();
			records++;
			body = b;
			outputs = b.get();
			return outputs;
		}

		@Override
		public void replay() {
			assertPoisoned();
			replays++;
			try (NDList fresh = body.get()) {
				assertEquals(outputs.size(), fresh.size());
				for (int i = 0; i < fresh.size(); i++) StepGraph.copyInto(outputs.get(i), fresh.get(i));
			}
		}

		@Override
		public void close() {}
	}

	/** Decoded anchor, first store, key frame 1, "previous" after it, key frame 2 (no refresh), "previous" after it. */
	record Run(List<float[]> results, int records, int replays, int eager) {}

	/** Settings with every constraint, pass 2 resumed at step 2 of 4 (SDEdit at step 1). */
	static KeyFrameSettings allOn() {
		return RerenderFixture.allOn(4);
	}

	/** Cross-frame attention at steps 2–3 only (steps 0–1 attend to themselves), loose mode, FreeU identity, other constraints on. */
	static KeyFrameSettings partialLoose() {
		return KeyFrameSettings.from(RerenderConfig.builder().prompt("x").ddimSteps(4).x0Strength(0.75).crossPeriod(new Period(0.5, 1))
			.warpPeriod(new Period(0, 0.5)).adaPeriod(new Period(0.5, 1)).maskPeriod(new Period(0.2, 0.9)).looseCfattn(true).build());
	}

	static Run run(DdimSampler.Cfg cfg, KeyFrameSettings s, boolean graphed, boolean onHost, DataType storage) {
		List<CheckingRecorder> recorders = new ArrayList<>();
		List<AttentionStore> stores = new ArrayList<>();
		KeyFrameGraphs graphs = graphed ? new KeyFrameGraphs(fx.manager, () -> {
			CheckingRecorder r = new CheckingRecorder(stores);
			recorders.add(r);
			return r;
		}) : null;
		fx.engine.cfg(cfg).storesOnHost(onHost).storage(storage).graphs(graphs);
		try {
			List<float[]> out = new ArrayList<>();
			KeyFrameEngine.AnchorResult a = fx.engine.translateAnchor(fx.frame(1), fx.prompts, s, NoiseStreams.seeded(7, 0), null, null);
			try (KeyFrameSequence seq = new KeyFrameSequence(a.anchor(), fx.manager, 2)) {
				stores.add(a.anchor().attention());
				stores.add(seq.previousStyle());
				out.add(a.decoded().data());
				out.add(values(a.anchor().attention()));
				out.add(fx.engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, s, NoiseStreams.seeded(7, 1), null, null)
					.decoded().data());
				out.add(values(seq.previousStyle()));
				assertFalse(seq.refreshDue());
				out.add(fx.engine.translateKeyFrame(seq, fx.frame(1), fx.flows(), fx.prompts, s, NoiseStreams.seeded(7, 2), null, null)
					.decoded().data());
				out.add(values(seq.previousStyle()));
			}
			finally {
				a.anchor().close();
			}
			if (graphs == null) return new Run(out, 0, 0, 0);
			assertFalse(graphs.abandoned(), "graphing was given up");
			int rec = recorders.stream().mapToInt(r -> r.records).sum(), rep = recorders.stream().mapToInt(r -> r.replays).sum();
			assertEquals(graphs.recorded(), rec);
			assertEquals(graphs.replays(), rep);
			return new Run(out, rec, rep, graphs.eagerCalls());
		}
		finally {
			fx.engine.cfg(DdimSampler.Cfg.SEPARATE).storesOnHost(false).storage(null).graphs(null);
			if (graphs != null) graphs.close();
		}
	}

	/** A store's entries in (step, branch, layer) order, as one array. */
	static float[] values(AttentionStore s) {
		List<float[]> parts = new ArrayList<>();
		for (Map.Entry<AttentionStore.Key, NDArray> e : s.entries().entrySet()) parts.add(e.getValue().toType(DataType.FLOAT32, false).toFloatArray());
		int n = parts.stream().mapToInt(p -> p.length).sum(), at = 0;
		float[] all = new float[n];
		for (float[] p : parts) {
			System.arraycopy(p, 0, all, at, p.length);
			at += p.length;
		}
		return all;
	}

	/** Eager runs by their settings (each is needed by more than one test). */
	static final Map<String, Run> EAGER = new java.util.HashMap<>();

	static Run eager(DdimSampler.Cfg cfg, KeyFrameSettings s, boolean onHost, DataType storage) {
		return EAGER.computeIfAbsent(cfg + " " + s + " " + onHost + " " + storage, k -> run(cfg, s, false, onHost, storage));
	}

	static void assertSame(String what, DdimSampler.Cfg cfg, KeyFrameSettings s, boolean onHost, DataType storage) {
		Run eager = eager(cfg, s, onHost, storage), graphed = run(cfg, s, true, onHost, storage);
		String[] names = {"anchor", "anchor store", "key frame 1", "previous store after key frame 1", "key frame 2", "previous store after key frame 2"};
		for (int i = 0; i < names.length; i++)
			assertArrayEquals(eager.results().get(i), graphed.results().get(i), what + ", " + cfg + ": " + names[i]);
		assertArrayEquals(eager.results().get(3), eager.results().get(5), "key frame 2 does not refresh");
		assertFalse(java.util.Arrays.equals(eager.results().get(1), eager.results().get(3)), "key frame 1 refreshed the previous store");
		assertTrue(graphed.replays() > graphed.records(), what + ": replays " + graphed.replays() + ", recordings " + graphed.records());
		System.out.printf("%s, %s: %d graphs recorded, %d replays, %d eager calls (warm-ups)%n", what, cfg, graphed.records(),
			graphed.replays(), graphed.eager());
	}

	@Test
	void separateCfgEqualsEager() {
		assertSame("all constraints", DdimSampler.Cfg.SEPARATE, allOn(), false, null);
	}

	@Test
	void batchedCfgEqualsEager() {
		assertSame("all constraints", DdimSampler.Cfg.BATCHED, allOn(), false, null);
	}

	@Test
	void partialWindowLooseEqualsEager() {
		assertSame("cross-attention at steps 2-3, loose, stores on host in F16", DdimSampler.Cfg.BATCHED, partialLoose(), true,
			DataType.FLOAT16);
	}

	/**
	 * On the CPU the host store is the compute device's own; F16 storage beside the F32 networks makes the conversions a
	 * GPU's host store makes (each stored input converted on the way in, each read on the way out).
	 */
	@Test
	void storesOnHostInF16EqualEager() {
		assertSame("stores on host, in F16", DdimSampler.Cfg.SEPARATE, allOn(), true, DataType.FLOAT16);
	}

	/**
	 * F16 networks beside the F32 DDIM state, as on a GPU (CPU F16 kernels): the graph's ε is cast at its door, the stores
	 * (F16, the compute type) take the static outputs as they are. Anchor and one key frame, batched CFG. Heavy: the CPU's
	 * F16 kernels are slow (724 s on the shared 2-core machine at load 13–20; passed, bit for bit).
	 */
	@Test
	@org.junit.jupiter.api.Tag(org.rerender.testing.Tags.HEAVY)
	void f16NetworksEqualEager() throws Exception {
		KeyFrameSettings s = allOn();
		try (NDManager half = fx.tiny.weights.newSubManager()) {
			org.rerender.model.unet.UNet unet = new org.rerender.model.unet.UNet(
				org.rerender.model.unet.UNetConfig.fromJson(fx.tiny.configs.getAsJsonObject("unet")));
			org.rerender.model.nn.WeightLoader.load(unet, fx.tiny.sd.withPrefix("model.diffusion_model."), half, DataType.FLOAT16, "tiny UNet F16");
			org.rerender.model.controlnet.ControlNet cnet = new org.rerender.model.controlnet.ControlNet(
				org.rerender.model.unet.UNetConfig.fromJson(fx.tiny.configs.getAsJsonObject("controlnet")));
			org.rerender.model.nn.WeightLoader.load(cnet, fx.tiny.control.withPrefix("control_model."), half, DataType.FLOAT16,
				"tiny ControlNet F16");
			org.rerender.model.vae.AutoencoderKL vae = new org.rerender.model.vae.AutoencoderKL(
				org.rerender.model.vae.VaeConfig.fromJson(fx.tiny.configs.getAsJsonObject("vae")));
			org.rerender.model.nn.WeightLoader.load(vae, fx.tiny.sd.withPrefix("first_stage_model."), half, DataType.FLOAT16, "tiny VAE F16");
			KeyFrameEngine engine = new KeyFrameEngine(new KeyFrameEngine.Models(unet, cnet, vae), half, DataType.FLOAT16)
				.cfg(DdimSampler.Cfg.BATCHED);
			KeyFrameEngine.Prompts prompts = new KeyFrameEngine.Prompts(fx.prompts.cond().toType(DataType.FLOAT16, false),
				fx.prompts.uncond().toType(DataType.FLOAT16, false));
			List<List<float[]>> runs = new ArrayList<>();
			for (boolean graphed : new boolean[] {false, true})
				try (KeyFrameGraphs graphs = graphed ? new KeyFrameGraphs(half, StepGraph::rerunRecorder) : null) {
					engine.graphs(graphs);
					List<float[]> out = new ArrayList<>();
					KeyFrameEngine.AnchorResult a = engine.translateAnchor(fx.frame(1), prompts, s, NoiseStreams.seeded(7, 0), null, null);
					try (KeyFrameSequence seq = new KeyFrameSequence(a.anchor(), half, 1)) {
						assertEquals(DataType.FLOAT16, a.anchor().attention().storage());
						out.add(a.decoded().data());
						out.add(engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), prompts, s, NoiseStreams.seeded(7, 1), null, null).decoded().data());
						out.add(values(seq.previousStyle()));
					}
					finally {
						a.anchor().close();
					}
					if (graphs != null) assertTrue(graphs.replays() > 0 && !graphs.abandoned());
					runs.add(out);
				}
			for (int i = 0; i < 3; i++) assertArrayEquals(runs.get(0).get(i), runs.get(1).get(i), "F16 networks, result " + i);
		}
	}

	/** A body that reads the store (at recording, or only at replays) fails, as does one that reads the conditioning. */
	@Test
	void aBodyThatReadsJavaSideStateFails() {
		try (NDManager m = fx.manager.newSubManager(); AttentionStore store = new AttentionStore(m, DataType.FLOAT32)) {
			NDArray x = m.ones(new Shape(1, 2, 3));
			store.put(new AttentionStore.Key(0, Branch.COND, 0), x);
			AttentionStore.Key key = new AttentionStore.Key(0, Branch.COND, 0);
			try (StepGraph g = StepGraph.multi(m, in -> new NDList(in.get(0).add(store.get(key))), StepGraph.rerunRecorder())) {
				IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.runStatic(new NDList(x)));
				assertTrue(e.getMessage().contains("attention store"), e.getMessage());
			}
			int[] runs = {0};
			try (StepGraph g = StepGraph.multi(m, in -> {
				if (runs[0]++ > 0) store.pair(0, 0); // sneaks a read in at the replays only
				return new NDList(in.get(0).mul(2));
			}, StepGraph.rerunRecorder())) {
				g.runStatic(new NDList(x));
				assertThrows(IllegalStateException.class, () -> g.runStatic(new NDList(x)));
			}
			try (StepGraph g = StepGraph.multi(m, in -> {
				store.put(key, in.get(0)); // a write inside the body would happen once, at capture
				return new NDList(in.get(0).mul(2));
			}, StepGraph.rerunRecorder())) {
				assertThrows(IllegalStateException.class, () -> g.runStatic(new NDList(x)));
			}
			org.rerender.diffusion.ControlledDenoiser d = new org.rerender.diffusion.ControlledDenoiser(m, fx.tiny.unet, null, fx.prompts.cond(),
				fx.prompts.uncond(), null, null, null);
			try (StepGraph g = StepGraph.multi(m, in -> new NDList(in.get(0).add(d.conditioning(Branch.COND).get(0).sum())),
				StepGraph.rerunRecorder())) {
				assertThrows(IllegalStateException.class, () -> g.runStatic(new NDList(x)));
			}
			assertEquals(1, store.size(), "outside a body the store works as before");
		}
	}

	/** A failed recording (as a CUDA capture can fail) gives graphing up with one log line; the key frame is the eager one. */
	@Test
	void aFailedRecordingFallsBackToEagerWithOneLogLine() {
		KeyFrameSettings s = allOn();
		Run eager = eager(DdimSampler.Cfg.BATCHED, s, false, null);
		KeyFrameGraphs graphs = new KeyFrameGraphs(fx.manager, () -> new StepGraph.Recorder() {
			@Override
			public NDList record(Supplier<NDList> body) {
				throw new IllegalStateException("operation not permitted when stream is capturing");
			}

			@Override
			public void replay() {
				throw new AssertionError("nothing was recorded");
			}

			@Override
			public void close() {}
		});
		fx.engine.cfg(DdimSampler.Cfg.BATCHED).graphs(graphs);
		try (CapturedLog log = CapturedLog.of(KeyFrameGraphs.class)) {
			KeyFrameEngine.AnchorResult a = fx.engine.translateAnchor(fx.frame(1), fx.prompts, s, NoiseStreams.seeded(7, 0), null, null);
			try (KeyFrameSequence seq = new KeyFrameSequence(a.anchor(), fx.manager, 2)) {
				assertArrayEquals(eager.results().get(0), a.decoded().data(), "anchor after a failed recording");
				float[] k1 = fx.engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, s, NoiseStreams.seeded(7, 1), null, null)
					.decoded().data();
				assertArrayEquals(eager.results().get(2), k1, "key frame after a failed recording");
			}
			finally {
				a.anchor().close();
			}
			assertTrue(graphs.abandoned());
			assertEquals(0, graphs.replays());
			assertEquals(0, graphs.size(), "the failed graph was freed");
			List<String> warnings = log.messages(Level.WARNING);
			assertEquals(1, warnings.size(), "one log line: " + warnings);
			assertTrue(warnings.get(0).contains("op by op"), warnings.get(0));
		}
		finally {
			fx.engine.cfg(DdimSampler.Cfg.SEPARATE).graphs(null);
			graphs.close();
		}
	}

	/**
	 * Graphed key frames hold no more arrays from frame to frame; closing the graphs and the anchor leaves nothing. A key
	 * frame on recorded graphs (copy-ins, replays, store writes) makes no tensor from host memory in its DDIM loop besides
	 * the run's noise draws (a host copy inside a CUDA capture would break it, one between replays would drain the GPU).
	 */
	@Test
	void noArraysLeftBehindPerFrame() {
		KeyFrameSettings s = allOn();
		try (NDManager run = fx.manager.newSubManager()) {
			KeyFrameEngine engine = new KeyFrameEngine(new KeyFrameEngine.Models(fx.tiny.unet, fx.tiny.controlNet, fx.tiny.vae), run,
				DataType.FLOAT32).cfg(DdimSampler.Cfg.BATCHED);
			try (KeyFrameGraphs graphs = new KeyFrameGraphs(run, StepGraph::rerunRecorder)) {
				engine.graphs(graphs);
				KeyFrameEngine.AnchorResult a = engine.translateAnchor(fx.frame(1), fx.prompts, s, NoiseStreams.seeded(7, 0), null, null);
				try (KeyFrameSequence seq = new KeyFrameSequence(a.anchor(), run, 1)) {
					int steady = -1;
					for (int k = 0; k < 3; k++) {
						int key = k;
						Runnable frame = () -> engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, s, NoiseStreams.seeded(7, 1 + key),
							null, null);
						if (k < 2) frame.run();
						else { // on recorded graphs only (the spy slows the frame down)
							List<org.rerender.testing.HostTensors.Hit> hits = org.rerender.testing.HostTensors.hits(frame);
							List<String> bad = hits.stream().filter(h -> h.inSampler() && !HostTensorCountTest.allowedInLoop(h))
								.map(org.rerender.testing.HostTensors.Hit::site).toList();
							assertEquals(List.of(), bad, "host-made tensors in a graphed key frame's DDIM loop");
						}
						int n = run.getManagedArrays().size();
						if (k == 1) steady = n; // after the first key frame has recorded its graph
						if (k > 1) assertEquals(steady, n, "arrays held after key frame " + (k + 1));
					}
				}
				finally {
					a.anchor().close();
				}
				assertTrue(graphs.replays() > 0);
				assertEquals(2, graphs.size(), "one graph attending to itself (anchor), one to the stores (key frames)");
			}
			assertEquals(0, run.getManagedArrays().size(), "nothing left after the graphs and the anchor are closed");
		}
	}
}
