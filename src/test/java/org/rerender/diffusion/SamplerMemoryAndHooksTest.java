package org.rerender.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.rerender.engine.Djl;
import org.rerender.model.unet.AttentionHook;
import org.rerender.model.unet.Branch;
import org.rerender.model.unet.SelfAttentionSite;
import org.rerender.model.unet.SkipHook;
import org.rerender.model.unet.UNetCallContext;
import org.rerender.testing.TinyDiffusion;
import org.rerender.testing.TinyDiffusionExtension;

/** Scoped memory of the sampler, and the decoder hooks the key-frame stage builds on. */
@ExtendWith(TinyDiffusionExtension.class)
class SamplerMemoryAndHooksTest {
	static TinyDiffusion tiny; // loaded by TinyDiffusionExtension

	@Test
	void fewDdimStepsLeaveNothingBehind() {
		int weightsBefore = tiny.weights.getManagedArrays().size();
		try (NDManager run = Djl.newCpuManager(); NDManager frame = Djl.newCpuManager()) {
			NDArray cond = tiny.ref(run, "in.ddim.cond_context"), uncond = tiny.ref(run, "in.ddim.uncond_context");
			NDArray hint = tiny.ref(run, "in.ddim.hint"), xT = tiny.ref(run, "in.ddim.x_T");
			// an SDEdit start latent of the DDIM's shape (in.vae.z is the VAE test's latent: another size in other sets)
			NDArray x0 = tiny.ref(run, "out.ddim.samples");
			// the denoiser's own per-frame arrays (encoded hint, batched pair) in the frame's manager
			ControlledDenoiser model = new ControlledDenoiser(frame, tiny.unet, tiny.controlNet, cond, uncond, hint, null, null);
			for (DdimSampler.Cfg mode : DdimSampler.Cfg.values()) {
				int before = run.getManagedArrays().size();
				DdimSampler sampler = new DdimSampler(NoiseSchedule.sd15(), 4, 7.5, mode);
				NDArray out = sampler.sample(run, model, xT, new DdimSampler.SdEdit(x0, 0.5), new SeededNoise(1), null, null, null);
				List<NDArray> now = run.getManagedArrays();
				assertEquals(before + 1, now.size(), mode + ": arrays left in the run manager besides the result");
				assertTrue(now.contains(out));
				out.close();
			}
			// plus the kept cross-attention keys/values: one per layer for each of cond, uncond and the batched pair
			int kept = model.contextKeyValues().size();
			assertEquals(kept, model.contextKeyValues().misses());
			assertEquals(3 + kept, frame.getManagedArrays().size(),
				"the frame's manager holds the encoded hint, the batched pair and the kept K/V only");
		}
		assertEquals(weightsBefore, tiny.weights.getManagedArrays().size(), "nothing attached to the weights manager");
	}

	@Test
	void attentionHookSeesTheNineDecoderLayersAndReplacesKeysAndValues() {
		try (NDManager m = Djl.newCpuManager()) {
			NDArray x = tiny.ref(m, "in.unet.x");
			int[] t = tiny.reference.ints("in.unet.timesteps");
			NDArray context = tiny.ref(m, "in.unet.context");
			float[] plain = tiny.unet.forward(x, t, context, null, UNetCallContext.NONE).toFloatArray();

			List<SelfAttentionSite> seen = new ArrayList<>();
			List<long[]> shapes = new ArrayList<>();
			// keys/values from [input ; input]: duplicating every key leaves softmax attention unchanged
			AttentionHook doubled = (ctx, site, in) -> {
				seen.add(site);
				shapes.add(in.getShape().getShape());
				assertEquals(4, ctx.step());
				assertEquals(Branch.UNCOND, ctx.branch());
				return NDArrays.concat(new NDList(in, in), 1);
			};
			UNetCallContext ctx = new UNetCallContext(4, Branch.UNCOND, doubled, null, null);
			float[] hooked = tiny.unet.forward(x, t, context, null, ctx).toFloatArray();
			assertEquals(tiny.unet.decoderSelfAttentionSites(), seen);
			// the output blocks whose level has attention, from the set's config (SD 1.5 and the shipped tiny config:
			// the nine blocks 3..11; ldm builds output block k at level L-1 - k div (num_res_blocks+1), ds = 2^level)
			List<Integer> expected = new ArrayList<>();
			for (int k = 0; k < outputBlocks(); k++) {
				int level = tiny.unet.config().channelMult().length - 1 - k / (tiny.unet.config().numResBlocks() + 1);
				for (int r : tiny.unet.config().attentionResolutions())
					if (r == 1 << level) expected.add(k);
			}
			assertEquals(expected.size(), seen.size());
			assertTrue(!seen.isEmpty(), "no decoder self-attention site");
			for (int i = 0; i < seen.size(); i++) {
				assertEquals(expected.get(i), seen.get(i).outputBlock());
				assertEquals(seen.get(i).channels(), shapes.get(i)[2]);
			}
			assertEquals(maxAbsDiff(plain, hooked) < 1e-5, true, "duplicated keys/values must not change attention");

			// replacing keys/values by another frame's tokens does change the output
			AttentionHook other = (c, site, in) -> in.mul(-1).add(1);
			float[] changed = tiny.unet.forward(x, t, context, null, new UNetCallContext(0, Branch.COND, other, null, null)).toFloatArray();
			assertTrue(maxAbsDiff(plain, changed) > 1e-2, "substituted keys/values must reach the output");
		}
	}

	@Test
	void skipHookRunsBeforeEveryOutputBlock() {
		try (NDManager m = Djl.newCpuManager()) {
			NDArray x = tiny.ref(m, "in.unet.x");
			int[] t = tiny.reference.ints("in.unet.timesteps");
			NDArray context = tiny.ref(m, "in.unet.context");
			float[] plain = tiny.unet.forward(x, t, context, null, UNetCallContext.NONE).toFloatArray();
			List<Integer> blocks = new ArrayList<>();
			SkipHook identity = (ctx, k, h, skip) -> {
				blocks.add(k);
				return new SkipHook.HSkip(h, skip);
			};
			float[] same = tiny.unet.forward(x, t, context, null, new UNetCallContext(0, Branch.COND, null, identity, null)).toFloatArray();
			// every output block in order: 0..11 in SD 1.5 (levels × (num_res_blocks + 1) from the set's config)
			assertEquals(java.util.stream.IntStream.range(0, outputBlocks()).boxed().toList(), blocks);
			assertEquals(0.0, maxAbsDiff(plain, same));
			SkipHook scaled = (ctx, k, h, skip) -> new SkipHook.HSkip(h.mul(1.1), skip.mul(0.9));
			float[] changed = tiny.unet.forward(x, t, context, null, new UNetCallContext(0, Branch.COND, null, scaled, null)).toFloatArray();
			assertTrue(maxAbsDiff(plain, changed) > 1e-3);
		}
	}

	/** ldm's output block count: num_res_blocks + 1 per level. */
	static int outputBlocks() {
		return tiny.unet.config().channelMult().length * (tiny.unet.config().numResBlocks() + 1);
	}

	static double maxAbsDiff(float[] a, float[] b) {
		double m = 0;
		for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
		return m;
	}
}
