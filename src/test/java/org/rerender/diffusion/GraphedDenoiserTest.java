package org.rerender.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.rerender.engine.Djl;
import org.rerender.model.nn.StepGraph;
import org.rerender.model.nn.TorchExt;
import org.rerender.testing.HostTensors;
import org.rerender.testing.TinyDiffusion;
import org.rerender.testing.TinyDiffusionExtension;
import org.rerender.testing.TorchExtSwitch;

/**
 * The CUDA-graph wrapper's buffer logic on the CPU ({@link StepGraph#rerun}: replay = run the body again on the
 * static buffers): a whole DDIM run through it equals the plain batched run bit for bit (so every input really
 * reaches the buffers), replays happen, nothing leaks per step, and a replay makes no host tensor.
 */
@ExtendWith(TinyDiffusionExtension.class)
class GraphedDenoiserTest {
	static TinyDiffusion tiny; // loaded by TinyDiffusionExtension

	/** A recorder that never records: {@link #replay} must not be reached. */
	private abstract static class NeverRecorded implements StepGraph.Recorder {
		@Override
		public void replay() {
			throw new AssertionError("nothing was recorded");
		}

		@Override
		public void close() {}
	}

	@Test
	void aFailedRecordingFallsBackToPlainCalls() {
		int[] warmUps = {0};
		assertFallsBackToPlain("recording", new NeverRecorded() {
			@Override
			public NDArray warmUp(java.util.function.Supplier<NDArray> call) {
				warmUps[0]++; // the first batched call runs where the capture will (a CUDA graph's side stream)
				return call.get();
			}

			@Override
			public ai.djl.ndarray.NDList record(java.util.function.Supplier<ai.djl.ndarray.NDList> body) {
				assertEquals(1, warmUps[0], "the eager warm-up precedes the recording");
				body.get().close();
				throw new IllegalStateException("operation not permitted when stream is capturing"); // as a failed CUDA capture
			}
		});
		assertEquals(1, warmUps[0], "one warm-up call, then plain calls after the failed recording");
	}

	@Test
	void aFailedWarmUpFallsBackToPlainCalls() {
		assertFallsBackToPlain("warm-up", new NeverRecorded() {
			@Override
			public NDArray warmUp(java.util.function.Supplier<NDArray> call) {
				throw new IllegalStateException("libRerenderTorchExt has no CUDA-graph support"); // as TorchExtCudaGraph.create
			}

			@Override
			public ai.djl.ndarray.NDList record(java.util.function.Supplier<ai.djl.ndarray.NDList> body) {
				throw new AssertionError("no recording after a failed warm-up");
			}
		});
	}

	/** A 4-step batched DDIM run through a graph made with {@code recorder} equals the plain run, with graphing given up. */
	private static void assertFallsBackToPlain(String failedStage, StepGraph.Recorder recorder) {
		try (NDManager run = Djl.newCpuManager()) {
			ControlledDenoiser plain = new ControlledDenoiser(run, tiny.unet, tiny.controlNet, tiny.ref(run, "in.ddim.cond_context"),
				tiny.ref(run, "in.ddim.uncond_context"), tiny.ref(run, "in.ddim.hint"), ControlledDenoiser.controlScales(0.9, false), null);
			Shape latent = new Shape(tiny.reference.info("in.ddim.x_T").shape());
			DdimSampler sampler = new DdimSampler(NoiseSchedule.sd15(), 4, 7.5, DdimSampler.Cfg.BATCHED);
			NDArray xT = new SeededNoise(3).next(run, latent, DataType.FLOAT32);
			float[] expected = sampler.sample(run, plain, xT, null, new SeededNoise(4), null, null, null).toFloatArray();
			try (GraphedDenoiser graphed = new GraphedDenoiser(plain, run, (m, body) -> StepGraph.with(m, body, recorder))) {
				float[] got = sampler.sample(run, graphed, xT, null, new SeededNoise(4), null, null, null).toFloatArray();
				assertArrayEquals(expected, got, "after a failed " + failedStage + " the steps run plainly");
				assertTrue(graphed.abandoned());
				assertEquals(0, graphed.replays());
			}
		}
	}

	@Test
	void replayedRunEqualsThePlainRun() {
		for (boolean fused : new boolean[] {false, true}) {
			if (fused && !TorchExt.active()) continue;
			TorchExtSwitch.with(fused, () -> {
				try (NDManager run = Djl.newCpuManager()) {
					ControlledDenoiser plain = new ControlledDenoiser(run, tiny.unet, tiny.controlNet, tiny.ref(run, "in.ddim.cond_context"),
						tiny.ref(run, "in.ddim.uncond_context"), tiny.ref(run, "in.ddim.hint"), ControlledDenoiser.controlScales(0.9, false),
						null);
					Shape latent = new Shape(tiny.reference.info("in.ddim.x_T").shape());
					DdimSampler sampler = new DdimSampler(NoiseSchedule.sd15(), 5, 7.5, DdimSampler.Cfg.BATCHED);
					NDArray xT = new SeededNoise(3).next(run, latent, DataType.FLOAT32);
					float[] expected = sampler.sample(run, plain, xT, null, new SeededNoise(4), null, null, null).toFloatArray();
					int[] held = {0};
					try (GraphedDenoiser graphed = new GraphedDenoiser(plain, run, StepGraph::rerun)) {
						float[] got = sampler.sample(run, graphed, xT, null, new SeededNoise(4), null, null, null).toFloatArray();
						assertArrayEquals(expected, got, (fused ? "torchext" : "composed") + ": graphed run differs from the plain run");
						assertEquals(3, graphed.replays(), "5 steps: warm-up, record, 3 replays");
						// one more call: a replay makes no tensor from host memory
						List<String> sites = HostTensors.during(() -> graphed.epsBatched(xT, 21, 9).close());
						assertEquals(List.of(), sites, "host-made tensors in a replayed call: " + HostTensors.histogram(sites));
						// another key frame's conditioning (contexts swapped, hint flipped) on the same recorded graph
						ControlledDenoiser other = new ControlledDenoiser(run, tiny.unet, tiny.controlNet, tiny.ref(run, "in.ddim.uncond_context"),
							tiny.ref(run, "in.ddim.cond_context"), tiny.ref(run, "in.ddim.hint").flip(3),
							ControlledDenoiser.controlScales(0.9, false), null);
						try (NDManager frame = run.newSubManager()) {
							float[] plainOther = sampler.sample(frame, other, xT, null, new SeededNoise(4), null, null, null).toFloatArray();
							float[] graphedOther = sampler.sample(frame, graphed.rebind(other), xT, null, new SeededNoise(4), null, null, null)
								.toFloatArray();
							assertArrayEquals(plainOther, graphedOther, "rebound conditioning reaches the buffers");
							assertEquals(false, java.util.Arrays.equals(expected, plainOther));
							assertEquals(3 + 1 + 5, graphed.replays());
						}
						assertThrows(IllegalArgumentException.class, () -> graphed.rebind(new ControlledDenoiser(run, tiny.unet, tiny.controlNet,
							tiny.ref(run, "in.ddim.cond_context"), tiny.ref(run, "in.ddim.uncond_context"), tiny.ref(run, "in.ddim.hint"),
							ControlledDenoiser.controlScales(0.5, false), null)), "other control scales are refused");
						assertThrows(IllegalArgumentException.class,
							() -> graphed.epsBatched(run.zeros(new Shape(1, 4, 2, 2)), 1, 10), "another latent shape is refused");
						// replays leave nothing behind
						graphed.epsBatched(xT, 41, 11).close();
						int n1 = run.getManagedArrays().size();
						for (int k = 0; k < 3; k++) graphed.epsBatched(xT, 61 + k, 12 + k).close();
						assertEquals(n1, run.getManagedArrays().size(), "arrays after replays");
						held[0] = n1;
					}
					assertEquals(held[0] - 5, run.getManagedArrays().size(), "closing the graph frees its 4 buffers and its output");

				}
			});
		}
	}

	@Test
	void hookedDenoiserIsRefused() {
		try (NDManager m = Djl.newCpuManager()) {
			ControlledDenoiser hooked = new ControlledDenoiser(m, tiny.unet, null, tiny.ref(m, "in.ddim.cond_context"),
				tiny.ref(m, "in.ddim.uncond_context"), null, null, (step, branch) -> org.rerender.model.unet.UNetCallContext.NONE);
			assertThrows(IllegalArgumentException.class, () -> new GraphedDenoiser(hooked, m, StepGraph::rerun));
		}
	}
}
