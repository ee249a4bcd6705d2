package org.rerender.diffusion.rerender;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.diffusion.DdimSampler;
import org.rerender.engine.Djl;
import org.rerender.image.FloatImage;
import org.rerender.model.unet.Branch;
import org.rerender.model.unet.SelfAttentionSite;
import org.rerender.model.unet.UNetCallContext;
import org.rerender.testing.TensorAssert;

/**
 * The Rerender engine with CFG-batched sampling ({@link DdimSampler.Cfg#BATCHED}: one call on {@code [uncond; cond]})
 * against the default separate calls, with every constraint of the reference set on: the anchor, its recorded
 * attention store, the constrained key frame and its refreshed "previous" store agree within the fixtures' DDIM
 * tolerances. The hooks are shown to matter (the constrained key frame is far from the unconstrained one, the two
 * branches' stored inputs differ), so agreement means each batch half got its own branch's features.
 */
class RerenderBatchedCfgTest {
	record Run(FloatImage anchor, FloatImage key, FloatImage unconstrained, Map<AttentionStore.Key, float[]> first,
		Map<AttentionStore.Key, float[]> previous) {}

	static RerenderFixture fx;
	static KeyFrameSettings settings;
	static Run separate, batched;

	@BeforeAll
	static void run() throws Exception {
		fx = new RerenderFixture();
		settings = fx.settings(true, fx.settings.get("loose_cfattn").getAsBoolean(), "cross", "warp", "ada", "mask");
		assertNotEquals(1.0, settings.guidanceScale(), "CFG must be on for the batched path to run");
		// the hooks under test are the cross-frame attention's; pass 2 runs too unless the set's mask window is empty
		// (then the engine runs one pass, the original's pass 2 being identical), which still exercises every hook
		assertTrue(!settings.crossSteps().isEmpty(), "cross-frame attention must run");
		separate = run(DdimSampler.Cfg.SEPARATE);
		batched = run(DdimSampler.Cfg.BATCHED);
		fx.engine.cfg(DdimSampler.Cfg.SEPARATE);
	}

	static Run run(DdimSampler.Cfg cfg) {
		fx.engine.cfg(cfg);
		assertSame(cfg, fx.engine.cfg());
		long t0 = System.nanoTime();
		try {
			return runTimed();
		}
		finally {
			System.out.printf(java.util.Locale.ROOT, "%s CFG: anchor + constrained + unconstrained key frame %.2f s (tiny networks, CPU)%n", cfg,
				(System.nanoTime() - t0) / 1e9);
		}
	}

	static Run runTimed() {
		KeyFrameEngine.AnchorResult a = fx.engine.translateAnchor(fx.frame(1), fx.prompts, settings,
			fx.new Noise(List.of("in.noise.vae.frame1"), false), null, null);
		try (AnchorState anchor = a.anchor()) {
			Map<AttentionStore.Key, float[]> first = floats(anchor.attention());
			KeyFrameEngine.KeyFrameResult key, off;
			Map<AttentionStore.Key, float[]> prev;
			try (KeyFrameSequence seq = new KeyFrameSequence(anchor, fx.manager, fx.settings.get("style_update_freq").getAsInt())) {
				key = fx.engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, settings,
					fx.new Noise(List.of("in.noise.vae.frame2", "in.noise.vae.blend", "in.noise.vae.blend_rec"), false, true), null, null);
				prev = floats(seq.previousStyle());
			}
			try (KeyFrameSequence seq = new KeyFrameSequence(anchor, fx.manager, 1)) {
				off = fx.engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, settings.unconstrained(),
					fx.new Noise(List.of("in.noise.vae.frame2"), false), null, null);
			}
			return new Run(a.decoded(), key.decoded(), off.decoded(), first, prev);
		}
	}

	static Map<AttentionStore.Key, float[]> floats(AttentionStore s) {
		Map<AttentionStore.Key, float[]> m = new TreeMap<>();
		s.entries().forEach((k, v) -> m.put(k, v.toType(DataType.FLOAT32, false).toFloatArray()));
		return m;
	}

	@AfterAll
	static void close() {
		if (fx != null) fx.close();
	}

	@Test
	void anchorAgrees() {
		RerenderFixture.log("batched vs separate: anchor decoded", TensorAssert.assertClose("anchor decoded",
			batched.anchor().data(), separate.anchor().data(), 2e-4, 1e-4));
	}

	@Test
	void recordedStoreAgreesPerBranch() {
		compareStores("first", batched.first(), separate.first());
		assertBranchesDiffer(separate.first());
	}

	@Test
	void constrainedKeyFrameAgrees() {
		RerenderFixture.log("batched vs separate: key frame decoded", TensorAssert.assertClose("key frame decoded",
			batched.key().data(), separate.key().data(), 2e-4, 1e-4));
		compareStores("previous (refreshed)", batched.previous(), separate.previous());
		RerenderFixture.log("batched vs separate: unconstrained decoded", TensorAssert.assertClose("unconstrained decoded",
			batched.unconstrained().data(), separate.unconstrained().data(), 2e-4, 1e-4));
	}

	@Test
	void constraintsChangeTheKeyFrame() {
		double d = maxDiff(separate.key().data(), separate.unconstrained().data());
		RerenderFixture.log("constrained vs unconstrained key frame", d);
		assertTrue(d > 1e-2, "the constraints must change the key frame far beyond the tolerance (max diff " + d + ")");
	}

	static void compareStores(String name, Map<AttentionStore.Key, float[]> got, Map<AttentionStore.Key, float[]> ref) {
		assertEquals(ref.keySet(), got.keySet(), name + ": the same (step, branch, layer) entries");
		assertTrue(ref.keySet().stream().anyMatch(k -> k.branch() == Branch.UNCOND), name + ": uncond entries kept");
		double max = 0;
		for (AttentionStore.Key k : ref.keySet())
			max = Math.max(max, TensorAssert.assertClose(name + "[" + k + "]", got.get(k), ref.get(k), 2e-4, 1e-4));
		RerenderFixture.log("batched vs separate: store " + name, max);
	}

	/** The cond and uncond inputs differ by far more than the tolerance: a swapped half would be caught. */
	static void assertBranchesDiffer(Map<AttentionStore.Key, float[]> store) {
		double min = Double.MAX_VALUE;
		for (AttentionStore.Key k : store.keySet())
			if (k.branch() == Branch.COND) {
				float[] u = store.get(new AttentionStore.Key(k.step(), Branch.UNCOND, k.layer()));
				min = Math.min(min, maxDiff(store.get(k), u));
			}
		RerenderFixture.log("store: smallest cond vs uncond difference", min);
		assertTrue(min > 1e-2, "cond and uncond entries must differ (" + min + ")");
	}

	static double maxDiff(float[] a, float[] b) {
		assertEquals(a.length, b.length);
		double m = 0;
		for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
		return m;
	}

	/** The hook on a batched call: records, reads and refreshes each half under its own branch. */
	@Test
	void batchedHookActsPerHalf() {
		try (NDManager m = Djl.newCpuManager(); AttentionStore first = new AttentionStore(m, DataType.FLOAT32);
			AttentionStore prev = new AttentionStore(m, DataType.FLOAT32))
		{
			SelfAttentionSite site = new SelfAttentionSite(3, 0, 0, 2);
			CrossFrameAttention rec = CrossFrameAttention.recorder(first, Set.of(1), Long.MAX_VALUE);
			NDArray both = m.create(new float[] {1, 1, 2, 2, /* cond */ 3, 3, 4, 4}, new Shape(2, 2, 2));
			assertSame(both, rec.keyValueInput(UNetCallContext.of(1, null), site, both));
			AttentionStore.Key u = new AttentionStore.Key(1, Branch.UNCOND, 0), c = new AttentionStore.Key(1, Branch.COND, 0);
			assertArrayEquals(new float[] {1, 1, 2, 2}, first.get(u).toFloatArray(), "first half = uncond");
			assertArrayEquals(new float[] {3, 3, 4, 4}, first.get(c).toFloatArray(), "second half = cond");
			prev.put(u, m.create(new float[] {5, 5, 6, 6}, new Shape(1, 2, 2)));
			prev.put(c, m.create(new float[] {7, 7, 8, 8}, new Shape(1, 2, 2)));
			CrossFrameAttention hook = CrossFrameAttention.constrainer(first, prev, Set.of(1), Set.of(1), Long.MAX_VALUE, true);
			NDArray cur = m.create(new float[] {9, 9, 10, 10, 11, 11, 12, 12}, new Shape(2, 2, 2));
			NDArray kv = hook.keyValueInput(UNetCallContext.of(1, null), site, cur);
			assertEquals(new Shape(2, 4, 2), kv.getShape());
			assertArrayEquals(new float[] {1, 1, 2, 2, 5, 5, 6, 6, /* cond */ 3, 3, 4, 4, 7, 7, 8, 8}, kv.toFloatArray(),
				"each half attends to its own branch's [first; previous]");
			assertArrayEquals(new float[] {9, 9, 10, 10}, prev.get(u).toFloatArray(), "uncond previous refreshed from the first half");
			assertArrayEquals(new float[] {11, 11, 12, 12}, prev.get(c).toFloatArray(), "cond previous refreshed from the second half");
		}
	}
}
