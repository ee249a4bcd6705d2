package org.rerender.propagate;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.flow.FlowEstimator;
import org.rerender.flow.FlowMethod;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.synth.PatchSynthesizer;
import org.rerender.propagate.synth.SynthesisParams;
import org.rerender.testing.Tags;

/**
 * Measured quality and speed of propagation (prints tables; {@code mvn test -Pbench -Dtest=PropagationBenchmark}).
 * Ground truth: key frames stylised with OpenCV's {@code stylization} filter, every in-between output compared
 * with the same filter applied to the true frame. Flicker: mean absolute warping error between consecutive
 * outputs (previous output warped by the input frames' backward flow, non-occluded pixels only), beside the same
 * number for the ground truth.
 */
@Tag(Tags.BENCH)
class PropagationBenchmark {
	static final int FRAMES = 21, QW = 192, QH = 144;

	@Test
	void quality() throws Exception {
		System.out.println("\n=== Propagation quality (" + FRAMES + " frames at " + QW + "x" + QH + ", stylization filter, DIS flow, Poisson on, 2 threads) ===");
		System.out.println("| clip | K | mean PSNR | worst PSNR | mean SSIM | worst SSIM | flicker (ours / truth) | nearest-key PSNR |");
		System.out.println("|---|---|---|---|---|---|---|---|");
		for (Path clip : List.of(TestClips.VTEST, TestClips.CITY)) {
			if (!Files.exists(clip)) {
				System.out.println("| " + clip.getFileName() + " | not installed |");
				continue;
			}
			List<Rgb8Image> frames = TestClips.read(clip, 30, 1, FRAMES, QW, QH);
			List<Rgb8Image> truth = new ArrayList<>();
			for (Rgb8Image f : frames) truth.add(TestClips.stylize(f));
			try (FlowEstimator est = FrameFlows.estimator(FlowMethod.DIS)) {
				FrameFlow flow = FrameFlows.of(est);
				List<FrameFlow.Step> steps = new ArrayList<>();
				for (int i = 1; i < FRAMES; i++) steps.add(flow.step(frames.get(i - 1), frames.get(i)));
				double truthFlicker = flicker(truth, steps);
				for (int k : new int[] {5, 10, 20}) {
					KeySchedule s = KeySchedule.regular(0, FRAMES - 1, k);
					Map<Integer, Rgb8Image> keys = new HashMap<>();
					for (int key : s.keys()) keys.put(key, truth.get(key));
					List<Rgb8Image> out = new Propagator(PatchSynthesizer.cpu(), flow).run(frames, keys, s,
						PropagationOptions.defaults().withThreads(2).withProcesses(2), Progress.NONE, Cancel.NEVER);
					double ps = 0, pw = 99, ss = 0, sw = 1, nk = 0;
					int n = 0;
					for (int i = 0; i < FRAMES; i++) {
						if (s.isKey(i)) continue;
						double p = TestClips.psnr(out.get(i), truth.get(i)), q = TestClips.ssim(out.get(i), truth.get(i));
						ps += p;
						ss += q;
						pw = Math.min(pw, p);
						sw = Math.min(sw, q);
						int nearest = s.first();
						for (int key : s.keys()) if (Math.abs(key - i) < Math.abs(nearest - i)) nearest = key;
						nk += TestClips.psnr(truth.get(nearest), truth.get(i));
						n++;
					}
					System.out.printf("| %s | %d | %.2f dB | %.2f dB | %.4f | %.4f | %.2f / %.2f | %.2f dB |%n", clip.getFileName(), k, ps / n, pw,
						ss / n, sw, flicker(out, steps), truthFlicker, nk / n);
				}
			}
		}
	}

	/** Mean absolute difference (8-bit units) between each frame and the previous one warped to it, on non-occluded pixels. */
	static double flicker(List<Rgb8Image> seq, List<FrameFlow.Step> steps) {
		double sum = 0;
		long n = 0;
		for (int i = 1; i < seq.size(); i++) {
			FrameFlow.Step st = steps.get(i - 1);
			Rgb8Image warped = GuideImages.warpNearest(seq.get(i - 1), st.flow());
			byte[] a = seq.get(i).data(), b = warped.data();
			for (int p = 0; p < st.occlusion().length; p++) {
				if (st.occlusion()[p] != 0) continue;
				for (int c = 0; c < 3; c++) sum += Math.abs((a[3 * p + c] & 0xff) - (b[3 * p + c] & 0xff));
				n += 3;
			}
		}
		return sum / n;
	}

	@Test
	void speed() throws Exception {
		Path clip = TestClips.require(TestClips.CITY);
		System.out.println("\n=== Propagation speed (one interval of K=2: 1 in-between frame, both directions, flow, blending, Poisson; "
			+ Runtime.getRuntime().availableProcessors() + " cores) ===");
		System.out.println("| size | configuration | wall ms per in-between frame | process CPU ms per in-between frame | wall ratio vs naive |");
		System.out.println("|---|---|---|---|---|");
		for (int[] size : new int[][] {{512, 512}, {960, 540}}) {
			System.out.flush();
			List<Rgb8Image> frames = TestClips.read(clip, 30, 1, 3, size[0], size[1]);
			Map<Integer, Rgb8Image> keys = Map.of(0, TestClips.stylize(frames.get(0)), 2, TestClips.stylize(frames.get(2)));
			KeySchedule s = KeySchedule.regular(0, 2, 2);
			SynthesisParams def = SynthesisParams.defaults();
			SynthesisParams naive = new SynthesisParams(def.patchSize(), def.uniformityWeight(), def.pyramidLevels(), def.searchVoteIterations(),
				def.patchMatchIterations(), 0, def.seed(), 1);
			// the naive baseline only at the smaller size (it is the slowest configuration)
			double[] naiveMs = size[0] == 512 ? time(frames, keys, s, PropagationOptions.defaults().withSynthesis(naive).withThreads(1).withProcesses(1))
				: new double[] {Double.NaN, Double.NaN};
			if (size[0] == 512)
				System.out.printf("| %dx%d | naive: 1 thread, no early stop | %.0f | %.0f | 1.00 |%n", size[0], size[1], naiveMs[0], naiveMs[1]);
			for (int threads : new int[] {1, 2}) {
				double[] ms = time(frames, keys, s, PropagationOptions.defaults().withThreads(threads).withProcesses(1));
				System.out.printf("| %dx%d | defaults, %d thread%s | %.0f | %.0f | %.2f |%n", size[0], size[1], threads, threads > 1 ? "s" : "", ms[0], ms[1],
					naiveMs[0] / ms[0]);
			}
		}
		long heapPeak = 0;
		for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans())
			if (pool.getType() == MemoryType.HEAP) heapPeak += pool.getPeakUsage().getUsed();
		String rss = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM")).findFirst().orElse("VmHWM ?");
		System.out.printf("peak JVM heap (sum of pool peaks): %d MiB; peak resident set of the test JVM: %s%n", heapPeak >> 20, rss.replaceAll("\\s+", " "));
	}

	/** {wall ms, process CPU ms} per in-between frame (CPU time of all threads, native ones included, from /proc). */
	private static double[] time(List<Rgb8Image> frames, Map<Integer, Rgb8Image> keys, KeySchedule s, PropagationOptions o) throws Exception {
		try (FlowEstimator est = FrameFlows.estimator(FlowMethod.DIS)) {
			int n = s.last() - s.first() + 1 - s.keys().size();
			long c0 = processCpuMs(), t0 = System.nanoTime();
			new Propagator(PatchSynthesizer.cpu(), FrameFlows.of(est)).run(frames, keys, s, o, Progress.NONE, Cancel.NEVER);
			return new double[] {(System.nanoTime() - t0) / 1e6 / n, (double) (processCpuMs() - c0) / n};
		}
	}

	/** utime + stime of this process in ms (fields 14 and 15 of /proc/self/stat, in clock ticks of 10 ms). */
	private static long processCpuMs() throws Exception {
		String stat = Files.readString(Path.of("/proc/self/stat"));
		String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
		return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
	}
}
