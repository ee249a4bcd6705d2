package org.rerender.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.rerender.model.nn.ChannelsLast;
import org.rerender.model.unet.UNetCallContext;
import org.rerender.testing.Tags;
import org.rerender.testing.TestDevice;
import org.rerender.testing.TinyDiffusion;

/**
 * CPU timing of the switch: the tiny fixture UNet + ControlNet call (CFG batch of 2) and the tiny VAE decode, loaded
 * once with {@code rerender.channelslast} off and once on, in the same JVM, at a few latent sizes; median of
 * {@code rerender.bench.reps} (default 5) after one warm-up call. Prints a table; {@code mvn test -Pbench
 * -Dtest=ChannelsLastBenchmarkTest}. A CPU figure only: the switch is meant for cuDNN on Ampere/Hopper GPUs.
 */
@Tag(Tags.BENCH)
class ChannelsLastBenchmarkTest {
	@Test
	void onVersusOff() throws Exception {
		int reps = Integer.getInteger("rerender.bench.reps", 5);
		TinyDiffusion off = load(false), on = load(true);
		try (off; on) {
			System.out.println("| tiny model call (CPU, " + Runtime.getRuntime().availableProcessors() + " cores) | latent | NCHW ms | channels-last ms | ratio |");
			System.out.println("|---|---|---|---|---|");
			for (int s : new int[] {16, 32, 64}) {
				double a = unetMs(off, s, reps), b = unetMs(on, s, reps);
				System.out.printf(Locale.ROOT, "| UNet + ControlNet, batch 2 | %d² | %.1f | %.1f | %.2f |%n", s, a, b, b / a);
			}
			for (int s : new int[] {16, 32}) {
				double a = vaeMs(off, s, reps), b = vaeMs(on, s, reps);
				System.out.printf(Locale.ROOT, "| VAE decode, batch 1 | %d² | %.1f | %.1f | %.2f |%n", s, a, b, b / a);
			}
			System.out.println("# channels-last networks: UNet " + on.unet.channelsLast() + ", ControlNet " + on.controlNet.channelsLast()
				+ ", VAE " + on.vae.channelsLast() + (on.unet.channelsLast() ? "" : " (refused: " + ChannelsLast.refusal(TestDevice.device()) + ")"));
		}
	}

	private static TinyDiffusion load(boolean channelsLast) throws Exception {
		return TinyDiffusion.withChannelsLast(channelsLast);
	}

	private static double unetMs(TinyDiffusion t, int size, int reps) {
		try (NDManager m = TestDevice.newManager()) {
			NDArray ctx1 = t.ref(m, "in.unet.context");
			Shape cs = ctx1.getShape();
			NDArray context = ctx1.get("0:1").broadcast(new Shape(2, cs.get(1), cs.get(2))).duplicate();
			NDArray x = m.randomNormal(new Shape(2, 4, size, size));
			NDArray hint = m.randomUniform(0f, 1f, new Shape(2, 3, 8L * size, 8L * size));
			int[] ts = {500, 500};
			List<Double> times = new ArrayList<>();
			for (int r = 0; r <= reps; r++) {
				long t0 = System.nanoTime();
				try (NDManager step = m.newSubManager()) {
					x.tempAttach(step);
					List<NDArray> control = t.controlNet.forward(x, hint, ts, context, null, UNetCallContext.NONE);
					t.unet.forward(x, ts, context, control, UNetCallContext.NONE).toFloatArray();
				}
				if (r > 0) times.add((System.nanoTime() - t0) / 1e6);
			}
			Collections.sort(times);
			return times.get(times.size() / 2);
		}
	}

	private static double vaeMs(TinyDiffusion t, int size, int reps) {
		try (NDManager m = TestDevice.newManager()) {
			NDArray z = m.randomNormal(new Shape(1, 4, size, size));
			List<Double> times = new ArrayList<>();
			for (int r = 0; r <= reps; r++) {
				long t0 = System.nanoTime();
				try (NDManager step = m.newSubManager()) {
					z.tempAttach(step);
					t.vae.decode(z).toFloatArray();
				}
				if (r > 0) times.add((System.nanoTime() - t0) / 1e6);
			}
			Collections.sort(times);
			return times.get(times.size() / 2);
		}
	}
}
