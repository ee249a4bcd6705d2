package org.rerender.diffusion.rerender;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.flow.FlowField;
import org.rerender.flow.FlowOps;
import org.rerender.image.FloatImage;
import org.rerender.model.nn.Attention;
import org.rerender.model.unet.Branch;
import org.rerender.model.unet.SelfAttentionSite;
import org.rerender.model.unet.UNetCallContext;

/** The constraints against their formulas on small hand-made tensors (no model). */
class ConstraintUnitTest {

	/** A mask step ≥ S would leave pass 2 nothing to resume from (it would then rerun pass 1's refreshes from step 0). */
	@Test
	void settingsRejectStepsOutsideTheStepsRun() {
		KeyFrameSettings ok = new KeyFrameSettings(4, 7.5, 1, 0.75, Set.of(0, 3), Set.of(1), Set.of(2), Set.of(3), 0.5, 0, true,
			false, org.rerender.diffusion.constraints.FreeU.IDENTITY);
		assertEquals(4, ok.steps());
		for (int bad : new int[] {4, 5, -1}) {
			IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
				() -> new KeyFrameSettings(4, 7.5, 1, 0.75, Set.of(), Set.of(), Set.of(), Set.of(1, bad), 0.5, 0, true, false,
					org.rerender.diffusion.constraints.FreeU.IDENTITY));
			org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("mask step " + bad), e.getMessage());
			org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
				() -> new KeyFrameSettings(4, 7.5, 1, 0.75, Set.of(bad), Set.of(), Set.of(), Set.of(), 0.5, 0, true, false,
					org.rerender.diffusion.constraints.FreeU.IDENTITY));
		}
	}

	@Test
	void latentFlowIsTheMeanOfTheTwoCentralPixelsOverEight() {
		int w = 32, h = 16;
		FlowField f = new FlowField(w, h, new float[2 * w * h]);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) f.set(x, y, x * 1.5f + y, -y * 0.25f + x * x * 0.01f);
		FlowField lf = FlowMasks.latentFlow(f);
		assertEquals(4, lf.width());
		assertEquals(2, lf.height());
		for (int j = 0; j < 2; j++)
			for (int i = 0; i < 4; i++) {
				double u = 0, v = 0;
				for (int y = 8 * j + 3; y <= 8 * j + 4; y++)
					for (int x = 8 * i + 3; x <= 8 * i + 4; x++) {
						u += f.u(x, y) / 8.0 / 4;
						v += f.v(x, y) / 8.0 / 4;
					}
				assertEquals(u, lf.u(i, j), 1e-5);
				assertEquals(v, lf.v(i, j), 1e-5);
			}
	}

	@Test
	void warpMaskIsOneWhereNoPixelOfTheBlockIsNearAnOcclusion() {
		FloatImage occ = new FloatImage(32, 16, 1);
		occ.set(20, 3, 0, 1f);
		org.rerender.flow.BidirectionalFlow still = new org.rerender.flow.BidirectionalFlow(FlowField.zeros(32, 16), FlowField.zeros(32, 16));
		FlowMasks m = FlowMasks.complete(FlowMasks.AnchorPart.compute(still), still,
			new org.rerender.flow.BidirectionalFlow(FlowField.zeros(32, 16), FlowField.zeros(32, 16)), true);
		// zero flow: nothing occluded, warp mask all ones, fusion mask all ones, everything flat
		for (float v : m.warpMask().data()) assertEquals(1f, v);
		for (float v : m.fusionMask().data()) assertEquals(1f, v);
		for (float v : m.noiseRescale().data()) assertEquals(1f, v);
		FloatImage soft = FlowOps.softMask(occ);
		FloatImage wm = FlowOps.oneMinus(FlowOps.maxPool8(soft));
		// the occluded pixel makes its block 0; pooling (±4) and blur (±4) reach 8 px further, fading
		assertEquals(0f, wm.get(2, 0, 0));
		float next = wm.get(3, 0, 0);
		org.junit.jupiter.api.Assertions.assertTrue(next > 0 && next < 1, "partly near the occlusion: " + next);
		assertEquals(1f, wm.get(0, 0, 0));
		assertEquals(1f, wm.get(0, 1, 0));
	}

	@Test
	void badMaskDilatesEveryTouchedLatentCell() {
		FloatImage tmp = new FloatImage(64, 32, 1);
		tmp.set(11, 12, 0, 1f); // bilinear ↓8 reads pixels 8j+3..8j+4: (11,12) → latent (1,1)
		FloatImage bad = FlowMasks.badMask(tmp);
		assertEquals(8, bad.width());
		for (int y = 0; y < 4; y++)
			for (int x = 0; x < 8; x++) assertEquals(Math.abs(x - 1) <= 1 && Math.abs(y - 1) <= 1 ? 1f : 0f, bad.get(x, y, 0), x + "," + y);
		tmp.set(11, 12, 0, 0f);
		tmp.set(13, 12, 0, 1f); // not a sampled pixel: ignored
		for (float v : FlowMasks.badMask(tmp).data()) assertEquals(0f, v);
	}

	private static SelfAttentionSite site(int layer, long ch) {
		return new SelfAttentionSite(3 + layer, layer, 0, ch);
	}

	@Test
	void storeIsKeyedByStepBranchLayerNotCallOrder() {
		try (NDManager m = Djl.newCpuManager(); AttentionStore s = new AttentionStore(m, DataType.FLOAT16)) {
			AttentionStore.Key a = new AttentionStore.Key(3, Branch.UNCOND, 2), b = new AttentionStore.Key(1, Branch.COND, 5);
			s.put(a, m.create(new float[] {1, 2}, new Shape(1, 1, 2)));
			s.put(b, m.create(new float[] {3, 4}, new Shape(1, 1, 2)));
			assertEquals(DataType.FLOAT16, s.get(a).getDataType());
			assertArrayEquals(new float[] {1, 2}, s.get(a).toType(DataType.FLOAT32, false).toFloatArray());
			assertEquals(b, s.entries().keySet().iterator().next(), "entries sorted by step first");
			try (AttentionStore c = s.copy(m)) {
				assertEquals(s.device(), c.device(), "a copy lives where the original does");
				c.put(a, m.create(new float[] {9, 9}, new Shape(1, 1, 2)));
				assertArrayEquals(new float[] {1, 2}, s.get(a).toType(DataType.FLOAT32, false).toFloatArray(), "copies are independent");
			}
			assertEquals(8, s.bytes());
		}
	}

	@Test
	void batchedPairIsTheTwoBranchEntriesHeldOnce() {
		try (NDManager m = Djl.newCpuManager(); AttentionStore s = new AttentionStore(m, DataType.FLOAT32)) {
			AttentionStore.Key u = new AttentionStore.Key(2, Branch.UNCOND, 1), c = new AttentionStore.Key(2, Branch.COND, 1);
			s.put(u, m.create(new float[] {1, 2}, new Shape(1, 1, 2)));
			assertNull(s.pair(2, 1), "no pair while a branch is missing");
			s.put(c, m.create(new float[] {3, 4}, new Shape(1, 1, 2)));
			NDArray p = s.pair(2, 1); // joined once, then kept
			assertArrayEquals(new float[] {1, 2, 3, 4}, p.toFloatArray());
			assertSame(p, s.pair(2, 1));
			assertArrayEquals(new float[] {3, 4}, s.get(c).toFloatArray(), "the entries read the pair's halves");
			assertEquals(16, s.bytes());
			try (AttentionStore cp = s.copy(m)) {
				assertArrayEquals(new float[] {1, 2, 3, 4}, cp.pair(2, 1).toFloatArray());
				cp.putPair(2, 1, m.create(new float[] {5, 6, 7, 8}, new Shape(2, 1, 2)));
				assertArrayEquals(new float[] {7, 8}, cp.get(c).toFloatArray());
				assertArrayEquals(new float[] {1, 2, 3, 4}, s.pair(2, 1).toFloatArray(), "copies are independent");
			}
			NDArray condView = s.get(c);
			s.put(u, m.create(new float[] {9, 9}, new Shape(1, 1, 2))); // one branch replaced
			// the other branch no longer holds the old pair through a view: it has its own array, so bytes() is what is held
			assertTrue(condView.isReleased(), "the cond entry is still a view keeping the replaced pair alive");
			assertArrayEquals(new float[] {3, 4}, s.get(c).toFloatArray());
			assertEquals(16, s.bytes());
			assertArrayEquals(new float[] {9, 9, 3, 4}, s.pair(2, 1).toFloatArray(), "the pair is rebuilt from the entries");
			assertEquals(16, s.bytes());
			assertEquals(2, s.size());
			s.put(c, m.create(new float[] {5, 5}, new Shape(1, 1, 2)));
			assertArrayEquals(new float[] {9, 9}, s.get(u).toFloatArray());
			assertEquals(16, s.bytes());
		}
	}

	/** Pair-backed entries (halves of a batched [uncond; cond] array) save and load as their values, F32 and F16. */
	@org.junit.jupiter.params.ParameterizedTest
	@org.junit.jupiter.params.provider.ValueSource(strings = {"FLOAT32", "FLOAT16"})
	void pairedEntriesRoundTripThroughAFile(String type, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
		DataType storage = DataType.valueOf(type);
		try (NDManager m = Djl.newCpuManager(); AttentionStore s = new AttentionStore(m, storage, Device.cpu());
			AttentionStore loaded = new AttentionStore(m, storage, Device.cpu()))
		{
			float[] both = new float[2 * 3 * 4];
			for (int i = 0; i < both.length; i++) both[i] = i * 0.25f - 2;
			s.putPair(1, 0, m.create(both, new Shape(2, 3, 4))); // batched: halves are views
			s.put(new AttentionStore.Key(2, Branch.UNCOND, 5), m.create(java.util.Arrays.copyOf(both, 12), new Shape(1, 3, 4)));
			s.put(new AttentionStore.Key(2, Branch.COND, 5), m.create(java.util.Arrays.copyOfRange(both, 12, 24), new Shape(1, 3, 4)));
			s.pair(2, 5); // joined: views again
			s.put(new AttentionStore.Key(3, Branch.COND, 1), m.create(new float[] {7, 8}, new Shape(1, 1, 2))); // lone
			org.rerender.model.io.SafetensorsWriter w = new org.rerender.model.io.SafetensorsWriter();
			s.writeTo(w, "attn");
			java.nio.file.Path file = dir.resolve("store.safetensors");
			w.write(file);
			try (org.rerender.model.io.SafetensorsFile f = org.rerender.model.io.SafetensorsFile.open(file)) {
				loaded.readFrom(f, "attn");
			}
			assertEquals(s.entries().keySet(), loaded.entries().keySet());
			for (AttentionStore.Key k : s.entries().keySet()) {
				assertEquals(storage, loaded.get(k).getDataType(), k.toString());
				assertEquals(s.get(k).getShape(), loaded.get(k).getShape(), k.toString());
				assertArrayEquals(s.get(k).toType(DataType.FLOAT32, false).toFloatArray(),
					loaded.get(k).toType(DataType.FLOAT32, false).toFloatArray(), k.toString());
			}
			assertArrayEquals(s.pair(1, 0).toType(DataType.FLOAT32, false).toFloatArray(),
				loaded.pair(1, 0).toType(DataType.FLOAT32, false).toFloatArray());
			assertEquals(s.bytes(), loaded.bytes());
		}
	}

	@Test
	void storeOnTheHostKeepsEntriesThereAndTheEngineSaysWhere() {
		try (NDManager m = Djl.newCpuManager(); AttentionStore s = new AttentionStore(m, DataType.FLOAT16, Device.cpu())) {
			AttentionStore.Key a = new AttentionStore.Key(0, Branch.COND, 0);
			s.put(a, m.create(new float[] {1, 2}, new Shape(1, 1, 2)));
			assertEquals(Device.cpu(), s.get(a).getDevice());
			assertEquals(Device.cpu(), s.copy(m).device());
			KeyFrameEngine engine = new KeyFrameEngine(new KeyFrameEngine.Models(null, null, null), m, DataType.FLOAT32);
			assertEquals(m.getDevice(), engine.storeDevice(), "by default on the compute device");
			assertEquals(Device.cpu(), engine.storesOnHost(true).storeDevice());
		}
	}

	@Test
	void crossFrameHookReadsFirstAndPreviousThenRefreshes() {
		try (NDManager m = Djl.newCpuManager(); AttentionStore first = new AttentionStore(m, DataType.FLOAT32);
			AttentionStore prev = new AttentionStore(m, DataType.FLOAT32))
		{
			long ch = 2;
			AttentionStore.Key k = new AttentionStore.Key(1, Branch.COND, 0);
			// recording: only kept steps, wide layers skipped in loose mode
			CrossFrameAttention rec = CrossFrameAttention.recorder(first, Set.of(1), CrossFrameAttention.skipChannels(true, 1));
			NDArray f = m.create(new float[] {1, 1, 2, 2}, new Shape(1, 2, ch));
			assertSame(f, rec.keyValueInput(UNetCallContext.of(1, Branch.COND), site(0, ch), f));
			rec.keyValueInput(UNetCallContext.of(0, Branch.COND), site(0, ch), f);
			rec.keyValueInput(UNetCallContext.of(1, Branch.COND), site(1, 4), f);
			assertEquals(1, first.size(), "step 0 not kept, the 4·mc layer skipped");
			prev.put(k, first.get(k));
			CrossFrameAttention hook = CrossFrameAttention.constrainer(first, prev, Set.of(1), Set.of(1), Long.MAX_VALUE, true);
			NDArray cur = m.create(new float[] {5, 5, 6, 6}, new Shape(1, 2, ch));
			NDArray kv = hook.keyValueInput(UNetCallContext.of(1, Branch.COND), site(0, ch), cur);
			assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2}, kv.toFloatArray(), "[first; previous], current not included");
			assertArrayEquals(new float[] {5, 5, 6, 6}, prev.get(k).toFloatArray(), "previous overwritten after use");
			NDArray cur2 = m.create(new float[] {7, 7, 8, 8}, new Shape(1, 2, ch));
			assertArrayEquals(new float[] {1, 1, 2, 2, 5, 5, 6, 6}, hook.keyValueInput(UNetCallContext.of(1, Branch.COND), site(0, ch), cur2)
				.toFloatArray(), "the next call sees the refreshed previous");
			assertSame(cur, hook.keyValueInput(UNetCallContext.of(0, Branch.COND), site(0, ch), cur), "outside the window: own tokens");
			assertNull(prev.get(new AttentionStore.Key(0, Branch.COND, 0)), "no refresh outside the kept steps");
		}
	}

	@Test
	void attentionWithReplacedKeysAndValuesFollowsTheFormula() {
		try (NDManager m = Djl.newCpuManager()) {
			float[] q = {1, 0, 0, 1}; // 2 queries, d = 2
			float[] kv = {1, 0, 0, 1, 1, 1, 2, -1}; // 4 keys = [first (2 tokens); previous (2 tokens)]
			NDArray out = Attention.multiHead(m.create(q, new Shape(1, 2, 2)), m.create(kv, new Shape(1, 4, 2)),
				m.create(kv, new Shape(1, 4, 2)), 1, Attention.DEFAULT_MAX_SCORE_ELEMENTS);
			float[] got = out.toFloatArray();
			for (int i = 0; i < 2; i++) {
				double[] s = new double[4];
				double z = 0;
				for (int j = 0; j < 4; j++) {
					s[j] = Math.exp((q[2 * i] * kv[2 * j] + q[2 * i + 1] * kv[2 * j + 1]) / Math.sqrt(2));
					z += s[j];
				}
				for (int c = 0; c < 2; c++) {
					double e = 0;
					for (int j = 0; j < 4; j++) e += s[j] / z * kv[2 * j + c];
					assertEquals(e, got[2 * i + c], 1e-5);
				}
			}
		}
	}
}
