package org.rerender.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.rerender.engine.Djl;
import org.rerender.model.controlnet.ControlNet;
import org.rerender.model.nn.Precision;
import org.rerender.model.nn.StepGraph;
import org.rerender.model.vae.AutoencoderKL;
import org.rerender.model.vae.VaeConfig;
import org.rerender.model.nn.WeightLoader;
import org.rerender.model.unet.UNet;
import org.rerender.model.unet.UNetConfig;
import org.rerender.testing.TinyDiffusion;
import org.rerender.testing.TinyDiffusionExtension;

/**
 * Networks in F16, DDIM state in F32 (issue #8: "F32 where precision needs it … the DDIM update"), run on the CPU
 * with the tiny fixture weights loaded in F16: what the callbacks see and the update are F32, the result comes back in
 * the type of x_T, and the F16 trajectory stays near the original's F32 reference.
 */
@ExtendWith(TinyDiffusionExtension.class)
class F16DdimStateTest {
	static TinyDiffusion tiny; // loaded by TinyDiffusionExtension

	static double relativeL2(float[] a, float[] b) {
		double d = 0, n = 0;
		for (int i = 0; i < a.length; i++) {
			d += (a[i] - b[i]) * (double) (a[i] - b[i]);
			n += b[i] * (double) b[i];
		}
		return Math.sqrt(d / n);
	}

	@Test
	void anF16VaeTakesAnF32Latent() throws Exception {
		try (NDManager half = Djl.newCpuManager()) {
			AutoencoderKL vae = new AutoencoderKL(VaeConfig.fromJson(tiny.configs.getAsJsonObject("vae")));
			WeightLoader.load(vae, tiny.sd.withPrefix("first_stage_model."), half, DataType.FLOAT16, "tiny VAE F16");
			NDArray z32 = tiny.ref(half, "out.ddim.samples").div(AutoencoderKL.SCALE_FACTOR);
			NDArray fromF32 = vae.decode(z32), fromF16 = vae.decode(z32.toType(DataType.FLOAT16, false));
			assertEquals(DataType.FLOAT16, fromF32.getDataType(), "the image comes back in the VAE's type");
			assertEquals(0, fromF32.toType(DataType.FLOAT32, false).sub(fromF16.toType(DataType.FLOAT32, false)).abs().max().getFloat(),
				"an F32 latent is cast to F16 at the VAE's door");
			NDArray moments = vae.moments(fromF32.toType(DataType.FLOAT32, false));
			assertEquals(DataType.FLOAT16, moments.getDataType());
		}
	}

	@Test
	void networksInF16StateInF32() throws Exception {
		int steps = tiny.reference.ints("in.ddim.steps")[0];
		// steps run: ldm's uniform schedule for S steps has ceil(1000 / (1000 div S)) timesteps (8 for S = 7)
		int stepsRun = (int) tiny.reference.info("ddim.timesteps").shape()[0];
		double scale = tiny.reference.floats("in.ddim.guidance_scale")[0];
		try (NDManager half = Djl.newCpuManager()) {
			UNet unet = new UNet(UNetConfig.fromJson(tiny.configs.getAsJsonObject("unet")));
			WeightLoader.load(unet, tiny.sd.withPrefix("model.diffusion_model."), half, DataType.FLOAT16, "tiny UNet F16");
			ControlNet cnet = new ControlNet(UNetConfig.fromJson(tiny.configs.getAsJsonObject("controlnet")));
			WeightLoader.load(cnet, tiny.control.withPrefix("control_model."), half, DataType.FLOAT16, "tiny ControlNet F16");
			NDArray c = tiny.ref(half, "in.ddim.cond_context").toType(DataType.FLOAT16, false);
			NDArray uc = tiny.ref(half, "in.ddim.uncond_context").toType(DataType.FLOAT16, false);
			NDArray hint = tiny.ref(half, "in.ddim.hint").toType(DataType.FLOAT16, false);
			NDArray xT = tiny.ref(half, "in.ddim.x_T").toType(DataType.FLOAT16, false);
			for (String variant : new String[] {"SEPARATE", "BATCHED", "BATCHED graphed"}) {
				DdimSampler.Cfg mode = variant.startsWith("SEPARATE") ? DdimSampler.Cfg.SEPARATE : DdimSampler.Cfg.BATCHED;
				ControlledDenoiser plain = new ControlledDenoiser(half, unet, cnet, c, uc, hint, null, null);
				assertEquals(DataType.FLOAT16, plain.networkType());
				// graphed: static buffers in F16, the F32 state cast in and out around the replay (rerun recorder on the CPU)
				GraphedDenoiser graphed = variant.endsWith("graphed") ? new GraphedDenoiser(plain, half, StepGraph::rerun) : null;
				Denoiser model = graphed != null ? graphed : plain;
				List<DataType> seen = new ArrayList<>();
				DdimCallback types = new DdimCallback() {
					@Override
					public NDArray onPredX0(DdimStep s, NDArray x, NDArray eps, NDArray epsCond, NDArray epsUncond, NDArray p) {
						seen.add(x.getDataType());
						seen.add(eps.getDataType());
						seen.add(p.getDataType());
						return p;
					}

					@Override
					public void onStepEnd(DdimStep s, NDArray xPrev, NDArray p, NDArray dirXt) {
						seen.add(xPrev.getDataType());
					}
				};
				try (NDManager run = half.newSubManager()) {
					NDArray samples = new DdimSampler(NoiseSchedule.sd15(), steps, scale, mode).sample(run, model, xT, null,
						new SeededNoise(0), types, null, null);
					assertEquals(DataType.FLOAT16, samples.getDataType(), "the result in x_T's type");
					assertEquals(4 * stepsRun, seen.size());
					assertTrue(seen.stream().allMatch(t -> t == Precision.LATENT), "the DDIM state is F32: " + seen);
					// F16 networks against the original's F32 run: F16 rounding (~1e-3 relative per op) through every step
					float[] got = samples.toType(DataType.FLOAT32, false).toFloatArray(), ref = tiny.reference.floats("out.ddim.samples");
					double rel = relativeL2(got, ref);
					System.out.printf("F16 networks, F32 DDIM state, %s: samples relative L2 error %.3g against the F32 reference%n", variant, rel);
					assertTrue(rel < 0.01, variant + ": F16 drift " + rel + " (a broken cast gives errors of order 1)");
					if (graphed != null) {
						// at guidance scale 1 the sampler runs the cond branch only (as ldm's p_sample_ddim): no batched call
						// to replay (single-branch calls go to the wrapped denoiser)
						// (a 1-step run only warms up)
						assertEquals(scale == 1 ? 0 : Math.max(0, stepsRun - 2), graphed.replays(), "warm-up, recording, then replays");
						graphed.close();
					}
					assertEquals(0, org.rerender.model.nn.DeviceConstants.strayArrays(), "nothing of an F16 run stays in the constants' managers");
				}
			}
		}
	}
}
