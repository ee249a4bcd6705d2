package org.rerender.diffusion.rerender;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.diffusion.ControlledDenoiser;
import org.rerender.diffusion.SeededNoise;
import org.rerender.model.nn.TorchExt;
import org.rerender.testing.HostTensors;
import org.rerender.testing.TorchExtSwitch;

/**
 * No tensor is made from host memory inside the per-step path. On CUDA each such tensor is a synchronous host→device
 * copy (DJL's scalar overloads {@code x.mul(0.5f)} make one per call): it drains the GPU queue and forbids CUDA-graph
 * capture. Counted with {@link HostTensors} on the tiny fixture models, with the fused ops (torchext) and without;
 * the first call of each path is a warm-up (it may make the cached constants once).
 */
class HostTensorCountTest {
	static RerenderFixture fx;
	static KeyFrameSettings constrained;

	@BeforeAll
	static void load() throws Exception {
		fx = new RerenderFixture();
		constrained = RerenderFixture.allOn(4);
	}

	@AfterAll
	static void close() {
		if (fx != null) fx.close();
	}

	/** Host-created tensors of one CFG-batched UNet+ControlNet call (after one warm-up call). */
	static List<String> batchedCall() {
		try (NDManager m = fx.manager.newSubManager()) {
			ControlledDenoiser model = new ControlledDenoiser(m, fx.tiny.unet, fx.tiny.controlNet, fx.tiny.ref(m, "in.ddim.cond_context"),
				fx.tiny.ref(m, "in.ddim.uncond_context"), fx.tiny.ref(m, "in.ddim.hint"), ControlledDenoiser.controlScales(0.7, false),
				null);
			NDArray x = new SeededNoise(1).next(m, new ai.djl.ndarray.types.Shape(fx.tiny.reference.info("in.ddim.x_T").shape()),
				ai.djl.ndarray.types.DataType.FLOAT32);
			model.epsBatched(x, 981, 0).close();
			return HostTensors.during(() -> model.epsBatched(x, 961, 1).close());
		}
	}

	@Test
	void noHostTensorInsideADenoiserCallComposed() {
		TorchExtSwitch.with(false, () -> {
			List<String> sites = batchedCall();
			assertEquals(List.of(), sites, "host-created tensors in one UNet+ControlNet call (composed ops): " + HostTensors.histogram(sites));
		});
	}

	@Test
	void noHostTensorInsideADenoiserCallTorchExt() {
		org.junit.jupiter.api.Assumptions.assumeTrue(TorchExt.active() || Boolean.getBoolean(TorchExt.REQUIRED_PROPERTY),
			"torchext not built: " + TorchExt.status());
		TorchExtSwitch.with(true, () -> {
			List<String> sites = batchedCall();
			assertEquals(List.of(), sites, "host-created tensors in one UNet+ControlNet call (torchext): " + HostTensors.histogram(sites));
		});
	}

	/**
	 * The run's noise is drawn on the host by design (seeded, reproducible across devices; once per sampling pass at
	 * the SDEdit step and by the constraints), so those draws are the loop's only allowed host-made tensors.
	 */
	static boolean allowedInLoop(HostTensors.Hit h) {
		return h.site().startsWith("SeededNoise.") || h.site().startsWith("RecordedNoise.");
	}

	/** Prints the counts per key frame (anchor unconstrained, then a constrained key frame); asserts only the loop's. */
	@Test
	void keyFrameSamplerLoops() {
		List<String> failures = new java.util.ArrayList<>();
		for (boolean fused : new boolean[] {false, true}) {
			if (fused && !TorchExt.active()) continue;
			TorchExtSwitch.with(fused, () -> {
				try (NDManager run = fx.manager.newSubManager()) {
					KeyFrameEngine engine = new KeyFrameEngine(new KeyFrameEngine.Models(fx.tiny.unet, fx.tiny.controlNet, fx.tiny.vae), run,
						ai.djl.ndarray.types.DataType.FLOAT32);
					// warm-up: an anchor with the constraints, then one key frame (makes any cached constants)
					KeyFrameEngine.AnchorResult warm = engine.translateAnchor(fx.frame(1), fx.prompts, constrained, NoiseStreams.seeded(5, 0), null, null);
					try (KeyFrameSequence seq = new KeyFrameSequence(warm.anchor(), run, 1)) {
						engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, constrained, NoiseStreams.seeded(5, 1), null, null);
					}
					engine.translateAnchor(fx.frame(1), fx.prompts, constrained.unconstrained(), NoiseStreams.seeded(5, 0), null, null).anchor().close();
					KeyFrameEngine.AnchorResult[] a = new KeyFrameEngine.AnchorResult[1];
					List<HostTensors.Hit> off = HostTensors.hits(() -> a[0] = engine.translateAnchor(fx.frame(1), fx.prompts,
						constrained.unconstrained(), NoiseStreams.seeded(5, 0), null, null));
					a[0].anchor().close();
					List<HostTensors.Hit> on;
					try (KeyFrameSequence seq = new KeyFrameSequence(warm.anchor(), run, 1)) {
						on = HostTensors.hits(() -> engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, constrained,
							NoiseStreams.seeded(5, 1), null, null));
					}
					warm.anchor().close();
					report(fused, "constraints off (anchor)", off);
					report(fused, "constraints on (key frame)", on);
					for (var e : Map.of("constraints off", off, "constraints on", on).entrySet()) {
						List<String> bad = e.getValue().stream().filter(h -> h.inSampler() && !allowedInLoop(h)).map(HostTensors.Hit::site).toList();
						if (!bad.isEmpty()) failures.add((fused ? "torchext, " : "composed, ") + e.getKey() + ": " + HostTensors.histogram(bad));
					}
				}
			});
		}
		assertEquals(List.of(), failures, "host-made tensors inside the DDIM loop besides the noise draws");
		// the cached constants' managers are never closed: nothing computed from a constant may end up there
		assertEquals(0, org.rerender.model.nn.DeviceConstants.strayArrays(), "arrays leaked into the constants' managers");
	}

	private static void report(boolean fused, String what, List<HostTensors.Hit> hits) {
		List<String> loop = hits.stream().filter(HostTensors.Hit::inSampler).map(HostTensors.Hit::site).toList();
		int steps = constrained.steps();
		Map<String, Integer> h = HostTensors.histogram(loop);
		System.out.printf("# host-created tensors, %s, %s: %d per key frame, %d inside the %d-step DDIM loop (%.1f per step)%n  loop sites: %s%n  outside: %s%n",
			fused ? "torchext" : "composed", what, hits.size(), loop.size(), steps, loop.size() / (double) steps, h,
			HostTensors.histogram(hits.stream().filter(x -> !x.inSampler()).map(HostTensors.Hit::site).toList()));
	}
}
