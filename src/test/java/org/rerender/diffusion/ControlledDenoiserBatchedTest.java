package org.rerender.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.rerender.engine.Djl;
import org.rerender.model.nn.CrossAttention;
import org.rerender.model.unet.UNetCallContext;
import org.rerender.testing.TinyDiffusion;
import org.rerender.testing.TinyDiffusionExtension;

/**
 * The CFG-batched call's conditioning ({@code [uncond; cond]} contexts and the encoded hint twice) is built once per
 * denoiser, i.e. per frame, not at every DDIM step, and freed with the frame's manager. Ops counted with libtorch's
 * profiler on the tiny fixture models.
 */
@ExtendWith(TinyDiffusionExtension.class)
class ControlledDenoiserBatchedTest {
	static TinyDiffusion tiny; // loaded by TinyDiffusionExtension

	private static ControlledDenoiser denoiser(NDManager m) {
		return new ControlledDenoiser(m, tiny.unet, tiny.controlNet, tiny.ref(m, "in.ddim.cond_context"),
			tiny.ref(m, "in.ddim.uncond_context"), tiny.ref(m, "in.ddim.hint"), ControlledDenoiser.controlScales(0.9, false), null);
	}

	/** Top-level libtorch ops of {@code call}. */
	private static long ops(Runnable call) {
		try {
			return DiffusionBenchmarkTest.countOps(call)[1];
		}
		catch (java.io.IOException e) {
			throw new java.io.UncheckedIOException(e);
		}
	}

	@Test
	void batchedConditioningIsBuiltOncePerFrame() {
		try (NDManager run = Djl.newCpuManager()) {
			NDArray x = new SeededNoise(1).next(run, new Shape(tiny.reference.info("in.ddim.x_T").shape()), DataType.FLOAT32);
			try (NDManager warm = run.newSubManager()) { // cached constants, made by the first call of all
				denoiser(warm).epsBatched(x, 981, 0).close();
			}
			NDList pair;
			try (NDManager frame = run.newSubManager()) {
				ControlledDenoiser model = denoiser(frame);
				long first = ops(() -> model.epsBatched(x, 981, 0).close());
				int held = frame.getManagedArrays().size();
				long second = ops(() -> model.epsBatched(x, 961, 1).close());
				long third = ops(() -> model.epsBatched(x, 941, 2).close());
				System.out.printf("top-level ops per batched denoiser call: first %d, second %d, third %d%n", first, second, third);
				assertEquals(second, third, "every step after the first makes the same ops");
				// the first call also computes the cross-attention keys/values of the context pair, once per layer (the
				// same ops for each), which the later calls read from the frame's cache
				long kept = model.contextKeyValues().misses(), extra = first - second - 2;
				assertEquals(kept, model.contextKeyValues().size());
				assertEquals(CrossAttention.fusedRequested() ? 2 * kept : 0, model.contextKeyValues().hits());
				assertTrue(kept == 0 ? extra == 0 : extra >= kept && extra % kept == 0,
					"the context pair and the hint pair are concatenated, and the K/V computed, on the first call only: " + extra
						+ " more ops for " + kept + " kept K/V");
				assertEquals(held, frame.getManagedArrays().size(), "later steps leave nothing in the frame's manager");
				pair = model.batchedConditioning();
				assertSame(pair, model.withHooks((step, branch) -> UNetCallContext.NONE).batchedConditioning(),
					"a second pass of the frame (other hooks) reuses the pair");
			}
			assertTrue(pair.get(0).isReleased() && pair.get(1).isReleased(), "the pair is freed with the frame's manager");
			try (NDManager frame = run.newSubManager()) { // a whole batched DDIM run, for the record
				ControlledDenoiser model = denoiser(frame);
				DdimSampler sampler = new DdimSampler(NoiseSchedule.sd15(), 4, 7.5, DdimSampler.Cfg.BATCHED);
				long sample = ops(() -> sampler.sample(frame, model, x, null, new SeededNoise(2), null, null, null).close());
				System.out.printf("top-level ops of a %d-step batched DDIM run: %d%n", sampler.schedule().size(), sample);
			}
		}
	}
}
