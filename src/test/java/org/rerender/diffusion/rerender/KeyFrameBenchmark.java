package org.rerender.diffusion.rerender;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.flow.BidirectionalFlow;
import org.rerender.flow.FlowField;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.rerender.model.controlnet.ControlNet;
import org.rerender.model.nn.WeightLoader;
import org.rerender.model.unet.UNet;
import org.rerender.model.unet.UNetConfig;
import org.rerender.model.vae.AutoencoderKL;
import org.rerender.model.vae.VaeConfig;
import org.rerender.testing.Tags;
import org.rerender.testing.ProcStatus;

/**
 * Seconds per key frame and peak resident memory on the CPU, all constraints on against all off (the method's
 * overhead): the tiny fixture models at the fixture size, and the full-size SD 1.5 architecture with random
 * weights at {@code rerender.bench.size} (default 512) with {@code rerender.bench.steps} DDIM steps (default 2).
 * Run with {@code mvn test -Pbench -Dtest=KeyFrameBenchmark}.
 */
@Tag(Tags.BENCH)
class KeyFrameBenchmark {

	/**
	 * Wall-clock seconds, process CPU seconds (all threads; less sensitive than wall time to other processes sharing the
	 * cores, and the figure whose on/off ratio we report when the machine is shared) and peak resident memory.
	 */
	record Timing(double seconds, double cpuSeconds, long peakRssMiB) {}

	static double processCpuSeconds() {
		java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
		return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() / 1e9 : Double.NaN;
	}

	/** Runs {@code r}, sampling the process's resident set every 20 ms. */
	static Timing measure(Runnable r) {
		long[] peak = {Math.max(0, ProcStatus.kib("VmRSS"))};
		Thread t = new Thread(() -> {
			while (!Thread.currentThread().isInterrupted()) {
				peak[0] = Math.max(peak[0], Math.max(0, ProcStatus.kib("VmRSS")));
				try {
					Thread.sleep(20);
				}
				catch (InterruptedException e) {
					return;
				}
			}
		});
		t.setDaemon(true);
		t.start();
		double cpu0 = processCpuSeconds();
		long t0 = System.nanoTime();
		r.run();
		double s = (System.nanoTime() - t0) / 1e9;
		double cpu = processCpuSeconds() - cpu0;
		t.interrupt();
		return new Timing(s, cpu, Math.max(peak[0], Math.max(0, ProcStatus.kib("VmRSS"))) / 1024);
	}

	static void compare(String what, KeyFrameEngine engine, NDManager m, KeyFrameEngine.FrameInput f1, KeyFrameEngine.FrameInput f2,
		KeyFrameEngine.Flows flows, KeyFrameEngine.Prompts p, KeyFrameSettings on)
	{
		KeyFrameSettings off = on.unconstrained();
		System.out.printf("%n%s, %dx%d, S=%d, CPU threads %d%n", what, f1.frame().width(), f1.frame().height(), on.steps(),
			Runtime.getRuntime().availableProcessors());
		System.out.printf("%-34s %10s %12s %22s%n", "run", "seconds", "CPU seconds", "process peak RSS MiB");
		Timing[] t = new Timing[2];
		// one anchor for both (the anchor applies no constraint; it records what the "on" key frame needs)
		KeyFrameEngine.AnchorResult[] a = new KeyFrameEngine.AnchorResult[1];
		Timing ta = measure(() -> a[0] = engine.translateAnchor(f1, p, on, NoiseStreams.seeded(1, 0), null, null));
		System.out.printf("%-34s %10.2f %12.2f %22d%n", "anchor (records the state)", ta.seconds(), ta.cpuSeconds(), ta.peakRssMiB());
		for (int k = 0; k < 2; k++) {
			KeyFrameSettings s = k == 0 ? off : on;
			try (KeyFrameSequence seq = new KeyFrameSequence(a[0].anchor(), m, 1)) {
				t[k] = measure(() -> engine.translateKeyFrame(seq, f2, flows, p, s, NoiseStreams.seeded(1, 1), null, null));
			}
			System.out.printf("%-34s %10.2f %12.2f %22d%n", "key frame, constraints " + (k == 0 ? "off" : "on"), t[k].seconds(), t[k].cpuSeconds(),
				t[k].peakRssMiB());
		}
		a[0].anchor().close();
		System.out.printf("%-34s %10.2f %12.2f%n", "overhead ratio (on / off)", t[1].seconds() / t[0].seconds(),
			t[1].cpuSeconds() / t[0].cpuSeconds());
	}

	@Test
	void tinyModel() throws Exception {
		try (RerenderFixture fx = new RerenderFixture()) {
			KeyFrameSettings on = fx.settings(true, false, "cross", "warp", "ada", "mask");
			compare("Tiny fixture models (fixture settings)", fx.engine, fx.manager, fx.frame(1), fx.frame(2), fx.flows(), fx.prompts, on);
		}
	}

	@Test
	void fullSizeRandomWeights() {
		int size = Integer.getInteger("rerender.bench.size", 512);
		int steps = Integer.getInteger("rerender.bench.steps", 2);
		long availMiB = memAvailableMiB();
		assumeTrue(availMiB > 8000, "needs about 9 GiB free memory, " + availMiB + " MiB available");
		try (NDManager w = Djl.newCpuManager()) {
			w.getEngine().setRandomSeed(3);
			UNet unet = new UNet(UNetConfig.sd15());
			WeightLoader.randomize(unet, w, DataType.FLOAT32);
			ControlNet cn = new ControlNet(UNetConfig.sd15());
			WeightLoader.randomize(cn, w, DataType.FLOAT32);
			AutoencoderKL vae = new AutoencoderKL(VaeConfig.sd15());
			WeightLoader.randomize(vae, w, DataType.FLOAT32);
			NDManager m = w.newSubManager();
			KeyFrameEngine engine = new KeyFrameEngine(new KeyFrameEngine.Models(unet, cn, vae), m, DataType.FLOAT32);
			KeyFrameEngine.Prompts p = new KeyFrameEngine.Prompts(m.randomNormal(new ai.djl.ndarray.types.Shape(1, 77, 768)),
				m.randomNormal(new ai.djl.ndarray.types.Shape(1, 77, 768)));
			Rgb8Image a = gradient(size, 0), b = gradient(size, 3);
			FloatImage hint = new FloatImage(size, size, 3);
			FlowField fwd = FlowField.uniform(size, size, 3, 0), bwd = FlowField.uniform(size, size, -3, 0);
			BidirectionalFlow f = new BidirectionalFlow(fwd, bwd);
			compare("SD 1.5 architecture, random weights", engine, m, KeyFrameEngine.FrameInput.of(a, hint),
				KeyFrameEngine.FrameInput.of(b, hint), new KeyFrameEngine.Flows(f, f), p, RerenderFixture.allOn(steps));
		}
	}

	/**
	 * Where a constrained key frame's work goes: key frames with each constraint alone (cross-frame attention, shape-aware
	 * fusion, AdaIN, pixel-aware fusion = pass 2) against none and all, each timed (best of {@code reps}, CPU seconds too)
	 * and its top-level ATen ops and torchext calls counted; then the all-on key frame's phases ({@link PhaseClock}): time
	 * of one run, ops of another (profiled) run, per phase. {@code on} gives the windows; AdaIN gets the window [0.8, 1]
	 * when {@code on} has none.
	 */
	static void phases(String what, KeyFrameEngine engine, NDManager m, KeyFrameEngine.FrameInput f1, KeyFrameEngine.FrameInput f2,
		KeyFrameEngine.Flows flows, KeyFrameEngine.Prompts p, KeyFrameSettings on, int reps)
	{
		System.out.printf("%n%s, %dx%d, S=%d, CFG %s, %s, CPU threads %d%n", what, f1.frame().width(), f1.frame().height(), on.steps(),
			engine.cfg(), org.rerender.model.nn.TorchExt.active() ? "torchext" : "composed DJL ops", Runtime.getRuntime().availableProcessors());
		KeyFrameEngine.AnchorResult anchor = engine.translateAnchor(f1, p, on, NoiseStreams.seeded(1, 0), null, null);
		try {
			java.util.Set<Integer> ada = on.adaSteps().isEmpty() ? java.util.Set.copyOf(new org.rerender.config.Period(0.8, 1).inclusiveSteps(on.steps())) : on.adaSteps();
			KeyFrameSettings off = windows(on, java.util.Set.of(), java.util.Set.of(), java.util.Set.of(), java.util.Set.of());
			java.util.Map<String, KeyFrameSettings> variants = new java.util.LinkedHashMap<>();
			variants.put("none (FreeU as set)", off);
			variants.put("cross-frame attention", windows(on, on.crossSteps(), java.util.Set.of(), java.util.Set.of(), java.util.Set.of()));
			variants.put("shape-aware fusion", windows(on, java.util.Set.of(), on.warpSteps(), java.util.Set.of(), java.util.Set.of()));
			variants.put("AdaIN", windows(on, java.util.Set.of(), java.util.Set.of(), ada, java.util.Set.of()));
			variants.put("pixel-aware fusion (pass 2)", windows(on, java.util.Set.of(), java.util.Set.of(), java.util.Set.of(), on.maskSteps()));
			variants.put("all (" + (on.adaSteps().isEmpty() ? "defaults" : "as set") + ")", on);
			Runnable warm = () -> keyFrame(engine, anchor, m, f2, flows, p, on);
			warm.run();
			System.out.printf("%-34s %9s %9s %12s %14s%n", "constraints on", "seconds", "CPU s", "ATen ops", "torchext calls");
			for (var v : variants.entrySet()) {
				Timing best = null;
				for (int r = 0; r < reps; r++) {
					Timing t = measure(() -> keyFrame(engine, anchor, m, f2, flows, p, v.getValue()));
					if (best == null || t.seconds() < best.seconds()) best = t;
				}
				long fused0 = org.rerender.model.nn.TorchExt.calls();
				long ops;
				try (KeyFrameSequence seq = new KeyFrameSequence(anchor.anchor(), m, 1)) { // its store copy is not the key frame's work
					ops = org.rerender.testing.ProfiledOps.during(() -> engine.translateKeyFrame(seq, f2, flows, p, v.getValue(),
						NoiseStreams.seeded(1, 1), null, null));
				}
				System.out.printf("%-34s %9.2f %9.2f %12d %14d%n", v.getKey(), best.seconds(), best.cpuSeconds(), ops,
					org.rerender.model.nn.TorchExt.calls() - fused0);
			}
			PhaseClock timed = PhaseClock.synced(null);
			engine.phases(timed);
			keyFrame(engine, anchor, m, f2, flows, p, on);
			// the sequence (a copy of the anchor's attention store) is made before the profiler starts: not a key frame's work
			try (KeyFrameSequence seq = new KeyFrameSequence(anchor.anchor(), m, 1);
				org.rerender.testing.ProfiledOps ops = new org.rerender.testing.ProfiledOps().start())
			{
				engine.phases(PhaseClock.unsynced(ops));
				engine.translateKeyFrame(seq, f2, flows, p, on, NoiseStreams.seeded(1, 1), null, null);
				engine.phases(PhaseClock.OFF);
				printPhases(timed, ops.perPhase());
			}
		}
		finally {
			engine.phases(PhaseClock.OFF);
			anchor.anchor().close();
		}
	}

	/** {@code s} with these step windows. */
	static KeyFrameSettings windows(KeyFrameSettings s, java.util.Set<Integer> cross, java.util.Set<Integer> warp, java.util.Set<Integer> ada,
		java.util.Set<Integer> mask)
	{
		return new KeyFrameSettings(s.ddimSteps(), s.guidanceScale(), s.controlStrength(), s.x0Strength(), cross, warp, ada, mask,
			s.maskStrength(), s.innerStrength(), s.smoothBoundary(), s.looseCrossAttention(), s.freeU());
	}

	static void printPhases(PhaseClock timed, java.util.Map<String, Long> ops) {
		double total = timed.totals().values().stream().mapToDouble(PhaseClock.Phase::seconds).sum();
		long totalOps = ops.values().stream().mapToLong(Long::longValue).sum();
		System.out.printf("phases of the all-on key frame (%.2f s synced; %d ATen ops, counted in an unsynced run):%n%-62s %9s %6s %7s %10s %9s%n", total, totalOps, "phase",
			"seconds", "share", "marks", "ATen ops", "torchext");
		timed.totals().forEach((k, v) -> System.out.printf("%-62s %9.3f %5.1f%% %7d %10d %9d%n", k, v.seconds(), 100 * v.seconds() / total,
			v.marks(), ops.getOrDefault(k, 0L), v.fusedCalls()));
	}

	private static void keyFrame(KeyFrameEngine engine, KeyFrameEngine.AnchorResult anchor, NDManager m, KeyFrameEngine.FrameInput f,
		KeyFrameEngine.Flows flows, KeyFrameEngine.Prompts p, KeyFrameSettings s)
	{
		try (KeyFrameSequence seq = new KeyFrameSequence(anchor.anchor(), m, 1)) {
			engine.translateKeyFrame(seq, f, flows, p, s, NoiseStreams.seeded(1, 1), null, null);
		}
	}

	@Test
	void phasesTinyModel() throws Exception {
		try (RerenderFixture fx = new RerenderFixture()) {
			KeyFrameSettings on = KeyFrameSettings.from(org.rerender.config.RerenderConfig.builder().prompt("x")
				.ddimSteps(Integer.getInteger("rerender.bench.steps", 8)).build());
			for (String c : System.getProperty("rerender.bench.cfg", "BATCHED").split(",")) {
				fx.engine.cfg(org.rerender.diffusion.DdimSampler.Cfg.valueOf(c));
				phases("Tiny fixture models, the original's default windows", fx.engine, fx.manager, fx.frame(1), fx.frame(2), fx.flows(),
					fx.prompts, on, 2);
			}
		}
	}

	static Rgb8Image gradient(int size, int shift) {
		Rgb8Image img = new Rgb8Image(size, size);
		for (int y = 0; y < size; y++)
			for (int x = 0; x < size; x++) {
				img.set(x, y, 0, (x + shift) * 255 / size);
				img.set(x, y, 1, y * 255 / size);
				img.set(x, y, 2, ((x + shift) / 32 + y / 32) % 2 * 200);
			}
		return img;
	}

	static long memAvailableMiB() {
		try {
			for (String l : Files.readAllLines(Path.of("/proc/meminfo")))
				if (l.startsWith("MemAvailable:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024;
		}
		catch (IOException | NumberFormatException e) {
			// unknown
		}
		return Long.MAX_VALUE;
	}

	static List<String> unused() {
		return List.of();
	}
}
