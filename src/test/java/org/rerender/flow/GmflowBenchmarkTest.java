package org.rerender.flow;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.flow.gmflow.GmflowConfig;
import org.rerender.flow.gmflow.GmflowFlowEstimator;
import org.rerender.flow.gmflow.GmflowNetwork;
import org.rerender.image.Rgb8Image;
import org.rerender.model.io.Checkpoints;
import org.rerender.model.io.TensorSource;
import org.rerender.model.nn.WeightLoader;
import org.rerender.testing.Fixtures;
import org.rerender.testing.Tags;
import org.rerender.testing.ProcStatus;

/**
 * GMFlow beside DIS at 512×512: end-point error against known synthetic flow on real frames (the DIS
 * harness), and GMFlow's time per frame pair for the full-size architecture. The real Sintel weights cannot
 * be downloaded on the build machine, so GMFlow runs with RANDOM weights here: its EPE only shows that the
 * harness runs end to end (random matches are meaningless), and its speed is that of the real network.
 * Run with {@code mvn test -Pbench -Dtest=GmflowBenchmarkTest}.
 */
@Tag(Tags.BENCH)
class GmflowBenchmarkTest {
	private static final int SIZE = 512;

	@Test
	void epeAndSpeedAt512() throws Exception {
		List<Rgb8Image> frames = List.of(RealFrames.centreCrop(RealFrames.vtestFrame(10), SIZE, SIZE),
			RealFrames.centreCrop(RealFrames.still("aloeL.jpg"), SIZE, SIZE));
		System.out.printf("%nOptical flow EPE (px) at %dx%d on real frames with synthetic flow, %d cores%n", SIZE, SIZE,
			Runtime.getRuntime().availableProcessors());
		System.out.println("| method | weights | EPE translation | EPE rotation+zoom | EPE smooth random |");
		System.out.println("|---|---|---:|---:|---:|");
		try (DisFlowEstimator dis = new DisFlowEstimator()) {
			System.out.println(epeRow("DIS (default)", "none", dis, frames));
		}
		GmflowConfig tinyCfg;
		try (TensorSource src = Checkpoints.open(Fixtures.file("gmflow/tiny-gmflow.pth"))) {
			tinyCfg = GmflowConfig.fromShapes(src);
		}
		try (GmflowFlowEstimator gm = randomEstimator(tinyCfg, 1)) {
			System.out.println(epeRow("GMFlow tiny " + tinyCfg.featureChannels() + "ch/" + tinyCfg.layers() + " layers",
				"random (harness check only)", gm, frames));
		}

		System.out.printf("%nGMFlow full-size architecture (%s), random weights, CPU F32, %dx%d frame pair, one pass fwd+bwd%n",
			GmflowConfig.sintel(), SIZE, SIZE);
		System.out.println("| runs | ms per frame pair (mean) | min ms | peak RSS MiB (process) |");
		System.out.println("|---:|---:|---:|---:|");
		try (GmflowFlowEstimator gm = randomEstimator(GmflowConfig.sintel(), 2)) {
			Rgb8Image a = frames.get(0), b = RealFrames.centreCrop(RealFrames.vtestFrame(11), SIZE, SIZE);
			gm.both(a, b);
			int runs = 3;
			double sum = 0, min = Double.MAX_VALUE;
			for (int i = 0; i < runs; i++) {
				long t0 = System.nanoTime();
				gm.both(a, b);
				double ms = (System.nanoTime() - t0) / 1e6;
				sum += ms;
				min = Math.min(min, ms);
			}
			System.out.printf("| %d | %.0f | %.0f | %s |%n", runs, sum / runs, min, peakRss());
		}
	}

	private static GmflowFlowEstimator randomEstimator(GmflowConfig cfg, int seed) {
		NDManager m = Djl.newCpuManager();
		Djl.engine().setRandomSeed(seed);
		GmflowNetwork net = new GmflowNetwork(cfg);
		WeightLoader.randomize(net, m, DataType.FLOAT32);
		return new GmflowFlowEstimator(net, m);
	}

	private static String epeRow(String name, String weights, FlowEstimator est, List<Rgb8Image> frames) {
		StringBuilder row = new StringBuilder("| " + name + " | " + weights + " |");
		for (SyntheticFlows.Kind kind : SyntheticFlows.Kind.values()) {
			double sum = 0;
			for (Rgb8Image a : frames) {
				FlowField truth = SyntheticFlows.field(kind, SIZE, SIZE, 7);
				sum += SyntheticFlows.epe(est.flow(SyntheticFlows.warp(a, truth), a), truth, 8).mean();
			}
			row.append(String.format(" %.3f |", sum / frames.size()));
		}
		return row.toString();
	}

	/** VmHWM of this process (Linux), or "n/a". */
	private static String peakRss() {
		long kib = ProcStatus.kib("VmHWM");
		return kib < 0 ? "n/a" : String.format("%.0f", kib / 1024.0);
	}
}
