package org.rerender.propagate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.flow.BidirectionalFlow;
import org.rerender.flow.DisFlowEstimator;
import org.rerender.flow.FlowEstimator;
import org.rerender.flow.FlowField;
import org.rerender.flow.FlowMethod;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.synth.PatchSynthesizer;
import org.rerender.propagate.synth.SynthesisResult;
import org.rerender.video.TestClips;

/** Each flow between two neighbouring frames is computed once per interval, with the same results as per direction. */
class FlowReuseTest {

	/**
	 * Uses the guides that carry the flow: the image is the temporal guide's target (previous output warped to the
	 * frame), the error the positional guide's distance from the colour guide; so outputs depend on every flow.
	 */
	static final PatchSynthesizer GUIDED = (request, cancel) -> {
		cancel.check();
		Rgb8Image temporal = request.guides().get(2).target(), positional = request.guides().get(3).target();
		byte[] c = request.guides().get(0).target().data(), p = positional.data();
		float[] e = new float[temporal.width() * temporal.height()];
		for (int i = 0; i < e.length; i++)
			for (int ch = 0; ch < 3; ch++) e[i] += Math.abs((c[3 * i + ch] & 0xff) - (p[3 * i + ch] & 0xff));
		return new SynthesisResult(temporal.copy(), new FloatImage(temporal.width(), temporal.height(), 1, e));
	};

	/** A deterministic, direction-dependent stand-in flow that counts its calls. */
	static final class CountingFlow implements FlowEstimator {
		final AtomicInteger calls = new AtomicInteger();

		@Override
		public FlowMethod method() {
			return FlowMethod.DIS;
		}

		@Override
		public FlowField flow(Rgb8Image from, Rgb8Image to) {
			calls.incrementAndGet();
			int w = from.width(), h = from.height();
			float[] f = new float[2 * w * h];
			byte[] a = from.data(), b = to.data();
			for (int i = 0; i < w * h; i++) {
				f[2 * i] = ((a[3 * i] & 0xff) - (b[3 * i] & 0xff)) / 40f;
				f[2 * i + 1] = ((b[3 * i + 1] & 0xff) - (a[3 * i + 2] & 0xff)) / 60f;
			}
			return new FlowField(w, h, f);
		}
	}

	/** The flow as it was used before: every step computed on its own (FrameFlow's default pair). */
	private static FrameFlow perStep(FrameFlow f) {
		return (from, to) -> f.step(from, to);
	}

	private static List<Rgb8Image> run(FrameFlow flow, List<Rgb8Image> frames, KeySchedule s) {
		Map<Integer, Rgb8Image> keys = new java.util.HashMap<>();
		for (int k : s.keys()) keys.put(k, PropagationTestAccess.stylize(frames.get(k)));
		PropagationOptions o = PropagationOptions.defaults().withThreads(2).withProcesses(2).withPoisson(false); // fusion does not read flows
		return new Propagator(GUIDED, flow).run(frames, keys, s, o, Progress.NONE, Cancel.NEVER);
	}

	@Test
	void eachNeighbouringPairIsEstimatedOnceWithIdenticalOutputs() throws Exception {
		List<Rgb8Image> frames = PropagationTestAccess.vtestFrames(11, 64, 48);
		KeySchedule s = KeySchedule.regular(0, 10, 5); // two intervals of 5 steps
		CountingFlow pairs = new CountingFlow(), steps = new CountingFlow();
		List<Rgb8Image> a = run(FrameFlows.of(pairs), frames, s), b = run(perStep(FrameFlows.of(steps)), frames, s);
		for (int i = 0; i < a.size(); i++) assertArrayEquals(b.get(i).data(), a.get(i).data(), "frame " + i);
		// per interval of K = 5: the pairs (0,1) … (4,5), each estimated once (two flows); step by step (FrameFlow's
		// default pair) each pair takes two steps of two flows; the old per-direction cache made 2·(K−1) = 8 steps
		assertEquals(2 * 5 * 2, pairs.calls.get());
		assertEquals(2 * 5 * 2 * 2, steps.calls.get());
	}

	@Test
	void disSwappedIsBitwiseTheSameAsDisRecomputed() throws Exception {
		List<Rgb8Image> frames = PropagationTestAccess.vtestFrames(7, 64, 48);
		KeySchedule s = KeySchedule.regular(0, 6, 3);
		try (FlowEstimator shared = FrameFlows.estimator(FlowMethod.DIS); FlowEstimator other = FrameFlows.estimator(FlowMethod.DIS)) {
			List<Rgb8Image> a = run(FrameFlows.of(shared), frames, s), b = run(perStep(FrameFlows.of(other)), frames, s);
			for (int i = 0; i < a.size(); i++) assertArrayEquals(b.get(i).data(), a.get(i).data(), "frame " + i);
		}
	}

	@Test
	void disGivesEachConcurrentCallerItsOwnObject() throws Exception {
		List<Rgb8Image> frames = TestClips.smallFrames();
		BidirectionalFlow expected;
		try (FlowEstimator one = FrameFlows.estimator(FlowMethod.DIS)) {
			expected = one.both(frames.get(0), frames.get(1));
		}
		int threads = 2;
		ExecutorService pool = Executors.newFixedThreadPool(threads);
		try (FlowEstimator est = FrameFlows.estimator(FlowMethod.DIS)) {
			FrameFlows.PerThreadDis dis = (FrameFlows.PerThreadDis) est;
			// a caller holding a DIS object does not block the next one: it gets another
			DisFlowEstimator a = dis.borrow(), b = dis.borrow();
			assertNotSame(a, b);
			dis.giveBack(a);
			dis.giveBack(b);
			assertEquals(2, dis.instances());
			CyclicBarrier together = new CyclicBarrier(threads);
			List<Future<BidirectionalFlow>> fs = new ArrayList<>();
			for (int t = 0; t < threads; t++)
				fs.add(pool.submit(() -> {
					together.await();
					return est.both(frames.get(0), frames.get(1));
				}));
			for (Future<BidirectionalFlow> f : fs) {
				BidirectionalFlow got = f.get();
				assertArrayEquals(expected.forward().image().data(), got.forward().image().data());
				assertArrayEquals(expected.backward().image().data(), got.backward().image().data());
			}
			assertTrue(dis.instances() <= threads, "idle DIS objects are reused: " + dis.instances());
		}
		finally {
			pool.shutdownNow();
		}
	}
}
