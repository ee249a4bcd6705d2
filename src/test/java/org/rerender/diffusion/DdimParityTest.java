package org.rerender.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.rerender.model.vae.AutoencoderKL;
import org.rerender.testing.TensorAssert;
import org.rerender.testing.TestDevice;
import org.rerender.testing.TinyDiffusion;
import org.rerender.testing.TinyDiffusionExtension;

/**
 * The DDIM run of {@code tiny-reference.safetensors} (fixtures README §3): schedule constants, and per step the raw
 * model output, x̂0 and x, the final sample and its decode. Step count and guidance scale come from the file.
 */
@ExtendWith(TinyDiffusionExtension.class)
class DdimParityTest {
	static TinyDiffusion tiny; // loaded by TinyDiffusionExtension

	@Test
	void scheduleConstants() {
		NoiseSchedule ns = NoiseSchedule.sd15();
		assertArrayEquals(tiny.reference.floats("schedule.betas"), ns.betas());
		assertArrayEquals(tiny.reference.floats("schedule.alphas_cumprod"), ns.alphasCumprod());
		DdimSchedule d = new DdimSchedule(ns, tiny.reference.ints("in.ddim.steps")[0]);
		// in.ddim.steps is the S given to ldm's DDIMSampler; the ddim.* arrays hold the ceil(1000 / (1000 div S))
		// timesteps it runs (S for S = 20 as shipped, 25 or 50; 8 for S = 7, 31 for S = 30)
		assertArrayEquals(tiny.reference.ints("ddim.timesteps"), d.timesteps(),
			"ddim.timesteps for S = in.ddim.steps = " + tiny.reference.ints("in.ddim.steps")[0]);
		assertArrayEquals(tiny.reference.floats("ddim.alphas"), d.alphas());
		assertArrayEquals(tiny.reference.floats("ddim.alphas_prev"), d.alphasPrev());
		assertArrayEquals(tiny.reference.floats("ddim.sqrt_one_minus_alphas"), d.sqrtOneMinusAlphas());
		// the sd15 ldm buffers stored in the weights file agree too
		assertArrayEquals(tiny.sd.floats("alphas_cumprod"), ns.alphasCumprod());
	}

	/** The fixture's ControlNet denoiser: its cond/uncond contexts and hint, in {@code run}. */
	private ControlledDenoiser fixtureDenoiser(NDManager run) {
		return new ControlledDenoiser(run, tiny.unet, tiny.controlNet, tiny.ref(run, "in.ddim.cond_context"),
			tiny.ref(run, "in.ddim.uncond_context"), tiny.ref(run, "in.ddim.hint"), null, null);
	}

	/** The fixture's DDIM sampler (its step count and guidance scale) in {@code mode}. */
	private DdimSampler fixtureSampler(DdimSampler.Cfg mode) {
		return new DdimSampler(NoiseSchedule.sd15(), tiny.reference.ints("in.ddim.steps")[0],
			tiny.reference.floats("in.ddim.guidance_scale")[0], mode);
	}

	@ParameterizedTest
	@EnumSource(DdimSampler.Cfg.class)
	void trajectory(DdimSampler.Cfg mode) {
		int steps = tiny.reference.ints("in.ddim.steps")[0];
		try (NDManager run = TestDevice.newManager()) {
			ControlledDenoiser model = fixtureDenoiser(run);
			List<float[]> modelOut = new ArrayList<>(), predX0 = new ArrayList<>(), xInter = new ArrayList<>();
			NDArray xT = tiny.ref(run, "in.ddim.x_T");
			xInter.add(xT.toFloatArray());
			DdimCallback record = new DdimCallback() {
				@Override
				public NDArray onPredX0(DdimStep s, NDArray x, NDArray eps, NDArray epsCond, NDArray epsUncond, NDArray p) {
					// rows uncond then cond; at guidance scale 1 ldm's p_sample_ddim (and our sampler) runs cond only
					modelOut.add((epsUncond == null ? epsCond : NDArrays.concat(new NDList(epsUncond, epsCond), 0)).toFloatArray());
					predX0.add(p.toFloatArray());
					return p;
				}

				@Override
				public void onStepEnd(DdimStep s, NDArray xPrev, NDArray p, NDArray dirXt) {
					xInter.add(xPrev.toFloatArray());
				}
			};
			DdimSampler sampler = fixtureSampler(mode);
			NDArray samples = sampler.sample(run, model, xT, null, new SeededNoise(0), record, null, null);
			// ldm's 'uniform' schedule for S steps has ceil(1000 / (1000 div S)) timesteps: 20 for S = 20, 8 for S = 7
			assertEquals(tiny.reference.info("ddim.timesteps").shape()[0], modelOut.size(), "DDIM steps run for S = " + steps);
			compareStack("out.ddim.model_out", modelOut, 1e-4, 1e-4);
			compareStack("out.ddim.pred_x0", predX0, 2e-3, 1e-4);
			compareStack("out.ddim.x_inter", xInter, 1e-3, 1e-4);
			report("out.ddim.samples", samples.toFloatArray(), 1e-3, 1e-4);
			NDArray decoded = tiny.vae.decode(samples.mul(1 / AutoencoderKL.SCALE_FACTOR));
			report("out.ddim.decoded", decoded.toFloatArray(), 1e-4, 1e-4);
		}
	}

	private static void report(String name, float[] actual, double atol, double rtol) {
		System.out.printf("%-22s max|diff| %.3g%n", name, TensorAssert.assertClose(name, actual, tiny.reference.floats(name), atol, rtol));
	}

	private static void compareStack(String name, List<float[]> rows, double atol, double rtol) {
		float[] all = tiny.reference.floats(name);
		int per = all.length / rows.size();
		assertEquals(all.length, (long) per * rows.size(), name + ": row count");
		double max = 0;
		for (int i = 0; i < rows.size(); i++) {
			float[] exp = new float[per];
			System.arraycopy(all, i * per, exp, 0, per);
			max = Math.max(max, TensorAssert.assertClose(name + "[" + i + "]", rows.get(i), exp, atol, rtol));
		}
		System.out.printf("%-22s max|diff| %.3g%n", name, max);
	}
}
