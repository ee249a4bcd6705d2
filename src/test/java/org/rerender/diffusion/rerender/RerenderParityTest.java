package org.rerender.diffusion.rerender;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.image.FloatImage;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.unet.Branch;
import org.rerender.testing.TensorAssert;

/**
 * The main run of the Rerender set (fixtures README §9): the anchor {@code main.f1} with FreeU, then frame 2 with
 * every constraint ({@code main.f2p1}, pixel-fusion intermediates, {@code main.f2p2}), the flow masks, and the
 * controller's stores. Every size, setting and window is read from the files; the recorded noises are replayed.
 */
class RerenderParityTest {
	static RerenderFixture fx;
	static RerenderFixture.Recorder rec;
	static KeyFrameSettings settings;
	static KeyFrameEngine.AnchorResult anchor;
	static KeyFrameEngine.KeyFrameResult key;
	static KeyFrameSequence seq;
	static Map<AttentionStore.Key, float[]> firstStore = new java.util.TreeMap<>();

	@BeforeAll
	static void run() throws Exception {
		fx = new RerenderFixture();
		rec = new RerenderFixture.Recorder();
		fx.engine.observer(rec);
		settings = fx.settings(true, fx.settings.get("loose_cfattn").getAsBoolean(), "cross", "warp", "ada", "mask");
		anchor = fx.engine.translateAnchor(fx.frame(1), fx.prompts, settings,
			fx.new Noise(List.of("in.noise.vae.frame1"), false), null, null);
		anchor.anchor().attention().entries().forEach((k, v) -> firstStore.put(k, v.toFloatArray()));
		seq = new KeyFrameSequence(anchor.anchor(), fx.manager, fx.settings.get("style_update_freq").getAsInt());
		key = fx.engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, settings,
			fx.new Noise(List.of("in.noise.vae.frame2", "in.noise.vae.blend", "in.noise.vae.blend_rec"), false, true), null, null);
	}

	@AfterAll
	static void close() {
		if (seq != null) seq.close();
		if (anchor != null) anchor.anchor().close();
		if (fx != null) fx.close();
	}

	@Test
	void windowsResolveAsTheReference() {
		assertEquals(fx.window("cross"), new TreeSet<>(settings.crossSteps()));
		assertEquals(fx.window("warp"), new TreeSet<>(settings.warpSteps()));
		assertEquals(fx.window("ada"), new TreeSet<>(settings.adaSteps()));
		assertEquals(fx.window("mask"), new TreeSet<>(settings.maskSteps()));
		assertEquals(fx.main.ints("in.sdedit_step")[0], settings.sdeditStep());
		assertEquals(fx.main.ints("in.steps")[0], settings.steps());
	}

	@Test
	void frameEncodingUsesNumpy2Tensor() {
		// rec.latents holds the last "x0" (frame 2); frame 1's is checked through main.f1's SDEdit step
		RerenderFixture.log("in.x0.frame2", TensorAssert.assertClose("in.x0.frame2", rec.latents.get("x0"),
			fx.main.floats("in.x0.frame2"), 1e-4, 1e-4));
	}

	@Test
	void anchorFrame() {
		RerenderFixture.comparePass(fx.main, "main.f1", rec.passes.get("anchor"), anchor.decoded());
		float[] mean = fx.stores.floats("store.main.first_ada.mean"), std = fx.stores.floats("store.main.first_ada.std");
		int c = mean.length / settings.steps();
		double max = 0;
		for (int i = 0; i < settings.steps(); i++) {
			max = Math.max(max, TensorAssert.assertClose("first_ada.mean[" + i + "]", anchor.anchor().stats(i).mean().toFloatArray(),
				java.util.Arrays.copyOfRange(mean, i * c, (i + 1) * c), 1e-4, 1e-4));
			max = Math.max(max, TensorAssert.assertClose("first_ada.std[" + i + "]", anchor.anchor().stats(i).std().toFloatArray(),
				java.util.Arrays.copyOfRange(std, i * c, (i + 1) * c), 1e-4, 1e-4));
		}
		RerenderFixture.log("store.main.first_ada", max);
	}

	@Test
	void keyFramePass1() {
		RerenderFixture.comparePass(fx.main, "main.f2p1", rec.passes.get("pass1"), rec.images.get("decoded.pass1"));
	}

	@Test
	void keyFramePass2() {
		if (fx.checkedAsSinglePass(fx.main, "main.f2p1", "main.f2p2", rec, key.decoded())) return;
		RerenderFixture.comparePass(fx.main, "main.f2p2", rec.passes.get("pass2"), key.decoded());
	}

	@Test
	void flowMasksAreExact() {
		FlowMasks m = FlowMasks.complete(FlowMasks.AnchorPart.compute(fx.flows().fromAnchor()), fx.flows().fromAnchor(),
			fx.flows().fromPrevious(), settings.smoothBoundary());
		exact("flow.bwd_occ_0", m.occAnchor());
		exact("flow.blend_mask_0", m.softAnchor());
		exact("flow.warp_mask", m.warpMask());
		exact("flow.bwd_occ", m.occBoth());
		exact("flow.blend_mask", m.blendMask());
		exact("flow.fusion_mask", m.fusionMask());
		exact("flow.noise_rescale", m.noiseRescale());
		float[] w = m.fusionMask().data().clone();
		for (int i = 0; i < w.length; i++) w[i] *= (float) settings.maskStrength();
		assertArrayEquals(fx.main.floats("flow.mask_weight"), w, "flow.mask_weight");
		RerenderFixture.log("flow.latent_flow", TensorAssert.assertClose("flow.latent_flow",
			RerenderFixture.chw(m.latentFlow().image()), fx.main.floats("flow.latent_flow"), 1e-6, 0));
	}

	static void exact(String name, FloatImage got) {
		assertArrayEquals(fx.main.floats(name), got.data(), name + " must match exactly");
		RerenderFixture.log(name, 0);
	}

	/**
	 * Without a mask step the engine runs a single pass: it must be the reference's pass 1 (which does not depend on
	 * the mask window), so the shipped set checks the path an empty mask window takes.
	 */
	@Test
	void emptyMaskWindowIsPass1() {
		RerenderFixture.Recorder single = new RerenderFixture.Recorder();
		fx.engine.observer(single);
		try (KeyFrameSequence s = new KeyFrameSequence(anchor.anchor(), fx.manager, fx.settings.get("style_update_freq").getAsInt())) {
			KeyFrameSettings noMask = fx.settings(true, fx.settings.get("loose_cfattn").getAsBoolean(), "cross", "warp", "ada");
			assertTrue(noMask.maskSteps().isEmpty());
			KeyFrameEngine.KeyFrameResult r = fx.engine.translateKeyFrame(s, fx.frame(2), fx.flows(), fx.prompts, noMask,
				fx.new Noise(List.of("in.noise.vae.frame2"), false), null, null);
			assertNull(single.passes.get("pass2"), "a single pass");
			RerenderFixture.comparePass(fx.main, "main.f2p1", single.passes.get("pass1"), r.decoded());
		}
		finally {
			fx.engine.observer(rec);
		}
	}

	@Test
	void pixelFusionIntermediates() {
		if (fx.window("mask").isEmpty()) {
			// the original still builds xtrg, but no mask step reads it; the engine skips the fusion (keyFramePass2)
			assertNull(rec.images.get("fusion.blend_results"), "no fusion without a mask step");
			return;
		}
		compareFusion(fx.main, "main.fusion", rec, true);
	}

	static void compareFusion(SafetensorsFile f, String prefix, RerenderFixture.Recorder rec, boolean all) {
		for (String n : all ? new String[] {"warped_0", "blend_results", "blend_results_rec", "blend_results_rec_new"}
			: new String[] {"warped_0", "blend_results"})
			RerenderFixture.log(prefix + "." + n, TensorAssert.assertClose(prefix + "." + n,
				RerenderFixture.chw(rec.images.get("fusion." + n)), f.floats(prefix + "." + n), 2e-4, 1e-4));
		for (String n : all ? new String[] {"xtrg_enc", "xtrg_rec", "xtrg_corr", "xtrg"} : new String[] {"xtrg_enc", "xtrg_rec", "xtrg"})
			RerenderFixture.log(prefix + "." + n, TensorAssert.assertClose(prefix + "." + n, rec.latents.get("fusion." + n),
				f.floats(prefix + "." + n), 1e-4, 1e-4));
		// tmp: exact except where the channel-mean difference is within 1e-3 of the threshold
		float[] tmp = rec.images.get("fusion.tmp").data(), ref = f.floats(prefix + ".tmp");
		float[] a = RerenderFixture.chw(rec.images.get("fusion.blend_results_rec_new")), b = RerenderFixture.chw(rec.images.get("fusion.blend_results"));
		int n = tmp.length;
		for (int p = 0; p < n; p++)
			if (tmp[p] != ref[p]) {
				float m = (Math.abs(a[p] - b[p]) + Math.abs(a[n + p] - b[n + p]) + Math.abs(a[2 * n + p] - b[2 * n + p])) / 3f;
				if (Math.abs(m - 0.25f) >= 1e-3) fail(prefix + ".tmp differs at " + p + " (mean diff " + m + ")");
			}
		assertArrayEquals(f.floats(prefix + ".mask_x"), rec.images.get("fusion.mask_x").data(), prefix + ".mask_x");
	}

	@Test
	void storesAtTheWindowSteps() {
		// the engine keeps only the cross-attention window's steps (the original keeps all; the others are never read)
		compareStore("store.main.first", firstStore);
		Map<AttentionStore.Key, float[]> prev = new java.util.TreeMap<>();
		seq.previousStyle().entries().forEach((k, v) -> prev.put(k, v.toFloatArray()));
		compareStore("store.main.previous_after", prev);
	}

	static void compareStore(String prefix, Map<AttentionStore.Key, float[]> got) {
		List<Integer> blocks = new java.util.ArrayList<>();
		fx.settings.getAsJsonArray("up_attn_output_blocks").forEach(e -> blocks.add(e.getAsInt()));
		assertEquals(settings.crossSteps().size() * 2 * blocks.size(), got.size(), prefix + ": entries kept");
		double max = 0;
		for (Map.Entry<AttentionStore.Key, float[]> e : got.entrySet()) {
			AttentionStore.Key k = e.getKey();
			// the engine's layer runs over all decoder self-attention sites; the file names the output block
			// (loose mode stores only the narrower blocks, listed in up_attn_output_blocks)
			int block = fx.tiny.unet.decoderSelfAttentionSites().get(k.layer()).outputBlock();
			assertTrue(blocks.contains(block), prefix + ": block " + block + " is not in up_attn_output_blocks " + blocks);
			String name = String.format("%s.out%02d", prefix, block);
			long[] sh = fx.stores.info(name).shape();
			int per = (int) (sh[2] * sh[3]);
			float[] all = fx.stores.floats(name);
			int off = (k.step() * 2 + k.branch().index()) * per;
			max = Math.max(max, TensorAssert.assertClose(name + "[" + k + "]", e.getValue(),
				java.util.Arrays.copyOfRange(all, off, off + per), 2e-4, 1e-4));
		}
		RerenderFixture.log(prefix + " (window steps)", max);
	}

	@Test
	void outputImageIsTheClampedDecodedOutput() {
		FloatImage d = key.decoded();
		for (int i = 0; i < d.data().length; i += 97) {
			float v = d.data()[i] * 127.5f + 127.5f;
			int q = v <= 0 ? 0 : v >= 255 ? 255 : (int) v;
			assertEquals(q, key.image().data()[i] & 0xff);
		}
		assertEquals(Branch.COND.index(), 0);
	}

	static NDArray unused() {
		return null;
	}
}
