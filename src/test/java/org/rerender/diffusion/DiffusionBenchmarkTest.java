package org.rerender.diffusion;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.model.controlnet.ControlNet;
import org.rerender.model.nn.TorchExt;
import org.rerender.model.nn.WeightLoader;
import org.rerender.model.unet.UNet;
import org.rerender.model.unet.UNetConfig;
import org.rerender.testing.Tags;
import org.rerender.testing.TinyDiffusion;
import org.rerender.testing.TorchExtSwitch;
import org.rerender.testing.ProcStatus;
import org.rerender.testing.ProfiledOps;

/**
 * ms per DDIM step (UNet + ControlNet, CFG), peak RSS and native op count for the tiny fixture model and for the
 * full-size SD 1.5 + ControlNet architecture with random weights at 512×512 (latent 64×64), F32 on the CPU.
 * Op count = libtorch profiler events of one step ({@code JniUtils.startProfile}), top-level and nested. The tiny rows
 * run with the fused ops of {@link TorchExt} on and off; the full-size row as {@code rerender.bench.fullTorchExt} says.
 */
@Tag(Tags.BENCH)
class DiffusionBenchmarkTest {
	private final List<String> rows = new ArrayList<>();

	/** Runs one step under the libtorch profiler; returns {total ops, top-level ops, torchext calls}. */
	static long[] countOps(Runnable step) throws IOException {
		Path trace = Files.createTempFile("rerender-ops", ".json");
		long fused0 = TorchExt.calls();
		JniUtils.startProfile(false, false, false);
		step.run();
		JniUtils.stopProfile(trace.toString());
		long fused = TorchExt.calls() - fused0;
		ProfiledOps.Counts ops = ProfiledOps.count(trace);
		if (System.getProperty("rerender.bench.keepTrace") == null) Files.deleteIfExists(trace);
		else System.out.println("trace: " + trace);
		return new long[] {ops.all(), ops.topLevel(), fused};
	}

	private void time(String what, int steps, DdimSampler.Cfg cfg, NDManager run, Denoiser model, Shape latent) throws IOException {
		DdimSampler warm = new DdimSampler(NoiseSchedule.sd15(), 1, 7.5, cfg);
		NDArray xT = new SeededNoise(1).next(run, latent, DataType.FLOAT32);
		warm.sample(run, model, xT, null, new SeededNoise(2), null, null, null).close();
		DdimSampler sampler = new DdimSampler(NoiseSchedule.sd15(), steps, 7.5, cfg);
		double msPerStep = Double.MAX_VALUE;
		for (int rep = 0; rep < 3; rep++) { // best of 3: the build machine is shared, contention only adds time
			long t0 = System.nanoTime();
			sampler.sample(run, model, xT, null, new SeededNoise(2), null, null, null).close();
			msPerStep = Math.min(msPerStep, (System.nanoTime() - t0) / 1e6 / sampler.schedule().size());
		}
		long[] ops = countOps(() -> warm.sample(run, model, xT, null, new SeededNoise(2), null, null, null).close());
		rows.add(String.format("| %s | %s | %d | %.1f | %d | %d | %d | %d |", what, cfg, sampler.schedule().size(), msPerStep,
			ops[1], ops[2], ops[0], ProcStatus.kib("VmHWM") / 1024));
		xT.close();
	}

	/** One step, no warm-up, timed while profiled (profiler overhead per op is microseconds; a full-size step takes minutes). */
	private void timeOnce(String what, DdimSampler.Cfg cfg, NDManager run, Denoiser model, Shape latent) throws IOException {
		NDArray xT = new SeededNoise(1).next(run, latent, DataType.FLOAT32);
		DdimSampler sampler = new DdimSampler(NoiseSchedule.sd15(), 1, 7.5, cfg);
		double[] ms = new double[1];
		long[] ops = countOps(() -> {
			long t0 = System.nanoTime();
			sampler.sample(run, model, xT, null, new SeededNoise(2), null, null, null).close();
			ms[0] = (System.nanoTime() - t0) / 1e6;
		});
		rows.add(String.format("| %s | %s | 1 (cold, profiled) | %.0f | %d | %d | %d | %d |", what, cfg, ms[0], ops[1], ops[2], ops[0],
			ProcStatus.kib("VmHWM") / 1024));
		xT.close();
	}

	static String torchExt() {
		return TorchExt.active() ? "torchext on" : "composed DJL ops" + ("false".equals(System.getProperty(TorchExt.PROPERTY)) ? "" : " (torchext not loaded)");
	}

	@Test
	void benchmark() throws Exception {
		Engine e = Djl.engine();
		String threads = System.getenv("OMP_NUM_THREADS");
		try (TinyDiffusion tiny = new TinyDiffusion(); NDManager run = Djl.newCpuManager()) {
			ControlledDenoiser model = new ControlledDenoiser(run, tiny.unet, tiny.controlNet, tiny.ref(run, "in.ddim.cond_context"),
				tiny.ref(run, "in.ddim.uncond_context"), tiny.ref(run, "in.ddim.hint"), null, null);
			Shape latent = tiny.reference.info("in.ddim.x_T").shape().length == 4 ? new Shape(tiny.reference.info("in.ddim.x_T").shape()) : null;
			for (boolean fused : new boolean[] {true, false}) {
				TorchExtSwitch.with(fused, () -> {
					time("tiny 64×64 (latent 8×8), " + torchExt(), 10, DdimSampler.Cfg.SEPARATE, run, model, latent);
					time("tiny 64×64 (latent 8×8), " + torchExt(), 10, DdimSampler.Cfg.BATCHED, run, model, latent);
				});
			}
		}
		if (!"false".equals(System.getProperty("rerender.bench.full"))) {
			try (NDManager weights = Djl.newCpuManager(); NDManager run = Djl.newCpuManager()) {
				e.setRandomSeed(7);
				long t0 = System.nanoTime();
				UNet unet = new UNet(UNetConfig.sd15());
				WeightLoader.randomize(unet, weights, DataType.FLOAT32);
				ControlNet cn = new ControlNet(UNetConfig.sd15());
				WeightLoader.randomize(cn, weights, DataType.FLOAT32);
				double initS = (System.nanoTime() - t0) / 1e9;
				NDArray cond = run.randomNormal(new Shape(1, 77, 768)), uncond = run.randomNormal(new Shape(1, 77, 768));
				NDArray hint = run.randomUniform(0, 1, new Shape(1, 3, 512, 512));
				ControlledDenoiser model = new ControlledDenoiser(run, unet, cn, cond, uncond, hint, null, null);
				rows.add(String.format("| (full size: %,d + %,d random F32 parameters made in %.0f s) | | | | | | | %d |",
					unet.parameterCount(), cn.parameterCount(), initS, ProcStatus.kib("VmHWM") / 1024));
				// rerender.bench.fullTorchExt: on (default when built), off, or both (each a cold profiled step of minutes)
				String modes = System.getProperty("rerender.bench.fullTorchExt", "on");
				for (boolean fused : new boolean[] {true, false})
					if (modes.equals("both") || modes.equals(fused ? "on" : "off"))
						TorchExtSwitch.with(fused, () -> timeOnce("full SD1.5+ControlNet 512×512 (latent 64×64), " + torchExt(),
							DdimSampler.Cfg.BATCHED, run, model, new Shape(1, 4, 64, 64)));
			}
		}
		System.out.println();
		System.out.println("Diffusion step benchmark, F32 CPU, OMP_NUM_THREADS=" + threads + ", " + Runtime.getRuntime().availableProcessors()
			+ " cores visible (shared machine)");
		System.out.println("| model | CFG | steps timed | ms per step (2 × UNet+ControlNet; best of 3 runs) | top-level aten ops per step | torchext calls per step (each shows as 1–9 of the top-level ops) | aten profiler events incl. nested | peak RSS MiB so far |");
		System.out.println("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
		rows.forEach(System.out::println);
	}
}
