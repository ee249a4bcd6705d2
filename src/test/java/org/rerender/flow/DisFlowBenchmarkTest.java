package org.rerender.flow;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.rerender.testing.Tags;

/**
 * Flow speed and accuracy at 512×512 on this machine: DIS ms per flow (one direction) for each preset,
 * end-point error per synthetic field type on real frames, and the cost of the mask helpers.
 * Run with {@code mvn test -Pbench -Dtest=DisFlowBenchmarkTest}.
 */
@Tag(Tags.BENCH)
class DisFlowBenchmarkTest {
	private static final int SIZE = 512, WARMUP = 2, RUNS = 10;

	@Test
	void disSpeedAndEpeAt512() throws Exception {
		List<Rgb8Image> frames = List.of(RealFrames.centreCrop(RealFrames.vtestFrame(10), SIZE, SIZE),
			RealFrames.centreCrop(RealFrames.still("aloeL.jpg"), SIZE, SIZE));
		Rgb8Image next = RealFrames.centreCrop(RealFrames.vtestFrame(11), SIZE, SIZE);
		List<DisFlowEstimator.Settings> settings = new ArrayList<>();
		for (DisFlowEstimator.Preset p : DisFlowEstimator.Preset.values()) settings.add(DisFlowEstimator.Settings.of(p));
		settings.add(DisFlowEstimator.Settings.of(DisFlowEstimator.Preset.MEDIUM).withFinestScale(0));
		System.out.printf("%nDIS optical flow, %dx%d, %d cores, mean EPE in px over 2 real frames (vtest.avi #10, aloeL.jpg)%n",
			SIZE, SIZE, Runtime.getRuntime().availableProcessors());
		System.out.printf("| settings | ms/flow (real pair) | EPE translation | EPE rotation+zoom | EPE smooth random | >1px (all) |%n");
		System.out.printf("|---|---:|---:|---:|---:|---:|%n");
		for (DisFlowEstimator.Settings s : settings) {
			try (DisFlowEstimator dis = new DisFlowEstimator(s)) {
				for (int i = 0; i < WARMUP; i++) dis.flow(frames.get(0), next);
				long t0 = System.nanoTime();
				for (int i = 0; i < RUNS; i++) dis.flow(frames.get(0), next);
				double ms = (System.nanoTime() - t0) / 1e6 / RUNS;
				StringBuilder row = new StringBuilder(String.format("| %s%s | %.1f |", s.preset(),
					s.finestScale() >= 0 ? " finest " + s.finestScale() : "", ms));
				double outl = 0;
				int n = 0;
				for (SyntheticFlows.Kind kind : SyntheticFlows.Kind.values()) {
					double sum = 0;
					for (Rgb8Image a : frames) {
						FlowField truth = SyntheticFlows.field(kind, SIZE, SIZE, 7);
						SyntheticFlows.Epe e = SyntheticFlows.epe(dis.flow(SyntheticFlows.warp(a, truth), a), truth, 8);
						sum += e.mean();
						outl += e.outliers();
						n++;
					}
					row.append(String.format(" %.3f |", sum / frames.size()));
				}
				System.out.println(row.append(String.format(" %.2f %% |", 100 * outl / n)));
			}
		}
		maskOps(frames.get(0), next);
	}

	private static void maskOps(Rgb8Image a, Rgb8Image b) {
		BidirectionalFlow bf;
		try (FlowEstimator dis = FlowEstimators.create(FlowMethod.DIS)) {
			bf = dis.both(a, b);
		}
		FloatImage img = a.toFloat();
		System.out.printf("%nFlow helpers at %dx%d (ms, mean of %d after %d warm-up)%n| op | ms |%n|---|---:|%n", SIZE, SIZE, RUNS, WARMUP);
		time("consistency check (one direction)", () -> FlowOps.check(bf.backward(), bf.forward()));
		time("soft mask (maxpool9 + blur9)", () -> FlowOps.softMask(FlowOps.occlusion(bf.backward(), bf.forward())));
		time("warpBilinear RGB", () -> FlowOps.warpBilinear(img, bf.backward()));
		time("warpNearest RGB", () -> FlowOps.warpNearest(img, bf.backward()));
	}

	private static void time(String name, Runnable r) {
		for (int i = 0; i < WARMUP; i++) r.run();
		long t0 = System.nanoTime();
		for (int i = 0; i < RUNS; i++) r.run();
		System.out.printf("| %s | %.1f |%n", name, (System.nanoTime() - t0) / 1e6 / RUNS);
	}
}
