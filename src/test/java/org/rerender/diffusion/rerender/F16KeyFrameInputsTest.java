package org.rerender.diffusion.rerender;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.rerender.model.controlnet.ControlNet;
import org.rerender.model.nn.Precision;
import org.rerender.model.nn.WeightLoader;
import org.rerender.model.unet.UNet;
import org.rerender.model.unet.UNetConfig;
import org.rerender.model.vae.AutoencoderKL;
import org.rerender.model.vae.VaeConfig;
import org.rerender.testing.Tags;

/**
 * Networks in F16 (as on a GPU), run on the CPU: what a key frame hands the F32 DDIM state besides the networks' outputs
 * stays F32 (Precision.LATENT) — x_T of every pass, the warp mask, the warped anchor x̂0, the pixel-fusion weight and
 * noise rescale. x_T and the masks equal the F32-network run's bit for bit (the seeded draws do not depend on the
 * networks' type), and the warped anchor x̂0 holds the anchor's recorded F32 values themselves, not F16 roundings.
 */
class F16KeyFrameInputsTest {
	static RerenderFixture fx;
	static NDManager half;
	static UNet unet;
	static ControlNet cnet;
	static KeyFrameEngine.Prompts prompts16;

	@BeforeAll
	static void load() throws Exception {
		fx = new RerenderFixture();
		half = fx.tiny.weights.newSubManager();
		unet = new UNet(UNetConfig.fromJson(fx.tiny.configs.getAsJsonObject("unet")));
		WeightLoader.load(unet, fx.tiny.sd.withPrefix("model.diffusion_model."), half, DataType.FLOAT16, "tiny UNet F16");
		cnet = new ControlNet(UNetConfig.fromJson(fx.tiny.configs.getAsJsonObject("controlnet")));
		WeightLoader.load(cnet, fx.tiny.control.withPrefix("control_model."), half, DataType.FLOAT16, "tiny ControlNet F16");
		prompts16 = new KeyFrameEngine.Prompts(fx.prompts.cond().toType(DataType.FLOAT16, false),
			fx.prompts.uncond().toType(DataType.FLOAT16, false));
	}

	/**
	 * An engine of F16 networks (UNet, ControlNet; the VAE too with {@code f16Vae}: F16 convolutions at image size are
	 * slow on the CPU, about 40 s more here). An F32 VAE casts the F16 image the engine makes at its door.
	 */
	static KeyFrameEngine f16(boolean f16Vae) {
		AutoencoderKL vae = fx.tiny.vae;
		if (f16Vae) {
			vae = new AutoencoderKL(VaeConfig.fromJson(fx.tiny.configs.getAsJsonObject("vae")));
			WeightLoader.load(vae, fx.tiny.sd.withPrefix("first_stage_model."), half, DataType.FLOAT16, "tiny VAE F16");
		}
		return new KeyFrameEngine(new KeyFrameEngine.Models(unet, cnet, vae), half, DataType.FLOAT16);
	}

	@AfterAll
	static void close() {
		if (half != null) half.close();
		if (fx != null) fx.close();
	}

	/** Every latent the engine shows, in order of arrival per name: its type and its values (as F32). */
	static final class Seen implements KeyFrameObserver {
		final Map<String, List<DataType>> types = new LinkedHashMap<>();
		final Map<String, List<float[]>> values = new LinkedHashMap<>();

		@Override
		public void latent(String name, NDArray v) {
			types.computeIfAbsent(name, k -> new ArrayList<>()).add(v.getDataType());
			values.computeIfAbsent(name, k -> new ArrayList<>()).add(v.toType(DataType.FLOAT32, false).toFloatArray());
		}
	}

	/** The anchor and one key frame with every constraint on at 2 steps; returns what was observed and the anchor's x̂0. */
	static Seen run(KeyFrameEngine engine, KeyFrameEngine.Prompts p, Map<Integer, float[]> anchorX0) {
		KeyFrameSettings s = RerenderFixture.allOn(2);
		Seen seen = new Seen();
		engine.observer(seen);
		KeyFrameEngine.AnchorResult a = null;
		try {
			a = engine.translateAnchor(fx.frame(1), p, s, NoiseStreams.seeded(11, 0), null, null);
			for (int i : s.warpSteps()) {
				assertEquals(Precision.LATENT, a.anchor().predX0(i).getDataType(), "the anchor records x̂0 in F32");
				anchorX0.put(i, a.anchor().predX0(i).toFloatArray());
			}
			try (KeyFrameSequence seq = new KeyFrameSequence(a.anchor(), fx.manager, 1)) {
				engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), p, s, NoiseStreams.seeded(11, 1), null, null);
			}
		}
		finally {
			engine.observer(null);
			if (a != null) a.anchor().close();
		}
		return seen;
	}

	@Test
	void constraintInputsStayF32AndMatchTheF32Run() {
		check(f16(false));
	}

	/** The same with the VAE in F16 too (everything as on a GPU; slow on the CPU). */
	@Test
	@Tag(Tags.HEAVY)
	void constraintInputsStayF32WithAnF16Vae() {
		check(f16(true));
	}

	static void check(KeyFrameEngine f16) {
		KeyFrameSettings s = RerenderFixture.allOn(2);
		assertFalse(s.warpSteps().isEmpty());
		assertFalse(s.maskSteps().isEmpty());
		Map<Integer, float[]> x0Half = new LinkedHashMap<>(), x0Full = new LinkedHashMap<>();
		long t0 = System.nanoTime();
		Seen h = run(f16, prompts16, x0Half);
		long t1 = System.nanoTime();
		Seen f = run(fx.engine, fx.prompts, x0Full);
		System.out.printf("F16 run %.1f s, F32 run %.1f s%n", (t1 - t0) / 1e9, (System.nanoTime() - t1) / 1e9);
		assertEquals(3, h.types.get("x_T").size(), "anchor, pass 1, pass 2");
		for (String name : List.of("x_T", "constraint.warp_mask", "constraint.fusion_weight", "constraint.noise_rescale")) {
			assertTrue(h.types.get(name).stream().allMatch(t -> t == Precision.LATENT), name + ": " + h.types.get(name));
			assertEquals(f.values.get(name).size(), h.values.get(name).size(), name);
			for (int k = 0; k < h.values.get(name).size(); k++)
				assertArrayEquals(f.values.get(name).get(k), h.values.get(name).get(k), name + " [" + k + "]: as the F32 run's");
		}
		for (int i : s.warpSteps()) {
			String name = "constraint.warped_anchor." + i;
			assertEquals(List.of(Precision.LATENT), h.types.get(name), name);
			// a nearest warp moves values, it makes none: each is one of the anchor's recorded F32 x̂0 (or 0 outside)
			Set<Float> recorded = new HashSet<>();
			for (float v : x0Half.get(i)) recorded.add(v);
			recorded.add(0f);
			float[] w = h.values.get(name).get(0), rounded;
			for (float v : w) assertTrue(recorded.contains(v), name + ": " + v + " is not a value of the anchor's x̂0");
			try (NDManager m = fx.manager.newSubManager()) {
				rounded = m.create(w).toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false).toFloatArray();
			}
			int notF16 = 0;
			for (int k = 0; k < w.length; k++) if (rounded[k] != w[k]) notF16++;
			assertTrue(notF16 > 0, name + ": every value is an F16 value, so the test would not see a rounding");
		}
	}
}
