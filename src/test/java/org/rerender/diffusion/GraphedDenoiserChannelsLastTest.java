package org.rerender.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.model.nn.StepGraph;
import org.rerender.model.nn.TorchExt;
import org.rerender.testing.TinyDiffusion;

/**
 * The benchmark's graphed path with channels-last networks ({@code rerender.channelslast=true}): the static buffers
 * (latent, sinusoid, context, encoded hint, which is channels-last then) through {@link StepGraph}'s replay-by-rerun on
 * the CPU give the plain batched run bit for bit, and both stay near the NCHW networks' run.
 */
class GraphedDenoiserChannelsLastTest {
	static TinyDiffusion cl, plain;

	@BeforeAll
	static void load() throws Exception {
		assumeTrue(TorchExt.loaded(), TorchExt.status());
		plain = new TinyDiffusion();
		cl = TinyDiffusion.withChannelsLast(true);
	}

	@AfterAll
	static void close() {
		if (cl != null) cl.close();
		if (plain != null) plain.close();
	}

	private static ControlledDenoiser denoiser(TinyDiffusion t, NDManager run) {
		return new ControlledDenoiser(run, t.unet, t.controlNet, t.ref(run, "in.ddim.cond_context"), t.ref(run, "in.ddim.uncond_context"),
			t.ref(run, "in.ddim.hint"), ControlledDenoiser.controlScales(0.9, false), null);
	}

	@Test
	void graphedChannelsLastRunEqualsThePlainOne() {
		assertTrue(cl.unet.channelsLast() && cl.controlNet.channelsLast());
		try (NDManager run = Djl.newCpuManager()) {
			Shape latent = new Shape(cl.reference.info("in.ddim.x_T").shape());
			DdimSampler sampler = new DdimSampler(NoiseSchedule.sd15(), 5, 7.5, DdimSampler.Cfg.BATCHED);
			NDArray xT = new SeededNoise(3).next(run, latent, DataType.FLOAT32);
			float[] nchw = sampler.sample(run, denoiser(plain, run), xT, null, new SeededNoise(4), null, null, null).toFloatArray();
			ControlledDenoiser d = denoiser(cl, run); // the hint is encoded once, in the constructor
			float[] expected = sampler.sample(run, d, xT, null, new SeededNoise(4), null, null, null).toFloatArray();
			try (GraphedDenoiser graphed = new GraphedDenoiser(d, run, StepGraph::rerun)) {
				float[] got = sampler.sample(run, graphed, xT, null, new SeededNoise(4), null, null, null).toFloatArray();
				assertArrayEquals(expected, got, "channels-last graphed run differs from the plain one");
				assertEquals(3, graphed.replays());
			}
			double max = 0;
			for (int i = 0; i < nchw.length; i++) max = Math.max(max, Math.abs(expected[i] - nchw[i]));
			System.out.printf("channels-last 5-step DDIM latent vs NCHW: max|diff| %.3g%n", max);
			assertTrue(max < 1e-3, "channels-last DDIM latent drifts from NCHW by " + max);
		}
	}
}
