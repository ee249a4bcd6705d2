package org.rerender.propagate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/** Orchestration with a fake synthesizer and zero flow (the real engine is in {@link PropagationEndToEndTest}). */
class PropagatorTest {
	static final int W = 24, H = 16;
	static final FrameFlow ZERO_FLOW = (a, b) -> new FrameFlow.Step(new FloatImage(b.width(), b.height(), 2), new byte[b.width() * b.height()]);

	static List<Rgb8Image> frames(int n) {
		List<Rgb8Image> out = new ArrayList<>();
		for (int i = 0; i < n; i++) {
			Rgb8Image f = new Rgb8Image(W, H);
			for (int y = 0; y < H; y++)
				for (int x = 0; x < W; x++) {
					f.set(x, y, 0, (x * 10 + i * 3) % 256);
					f.set(x, y, 1, y * 12);
					f.set(x, y, 2, 50 + i);
				}
			out.add(f);
		}
		return out;
	}

	static Rgb8Image solid(int w, int h, int v) {
		Rgb8Image img = new Rgb8Image(w, h);
		java.util.Arrays.fill(img.data(), (byte) v);
		return img;
	}

	static Map<Integer, Rgb8Image> keys(KeySchedule s) {
		Map<Integer, Rgb8Image> keys = new HashMap<>();
		for (int k : s.keys()) keys.put(k, solid(W, H, 20 + 10 * k));
		return keys;
	}

	private static PropagationOptions opts() {
		return PropagationOptions.defaults().withThreads(2).withProcesses(2);
	}

	@Test
	void everyFrameComesOutIncludingFirstAndLastKey() {
		FakeSynthesizer synth = new FakeSynthesizer();
		KeySchedule s = KeySchedule.regular(0, 12, 5); // keys 0, 5, 10, 12
		Map<Integer, Rgb8Image> keys = keys(s);
		List<Long> reported = new ArrayList<>();
		Progress p = (stage, done, total) -> { synchronized (reported) { reported.add(done); } };
		List<Rgb8Image> out = new Propagator(synth, ZERO_FLOW).run(frames(13), keys, s, opts(), p, Cancel.NEVER);
		assertEquals(13, out.size());
		out.forEach(f -> assertNotNull(f));
		for (int k : s.keys()) assertArrayEquals(keys.get(k).data(), out.get(k).data(), "key frame " + k + " is output as is");
		// in-betweens: 4 + 4 + 1 frames, two directions each
		assertEquals(2 * 9, synth.calls.get());
		// a blended in-between of two solid keys lies between their values
		int v = out.get(7).get(3, 3, 0);
		assertTrue(v >= 70 && v <= 120, "blend of keys 5 (70) and 10 (120): " + v);
		assertEquals(13 + 2 * 9, reported.stream().mapToLong(Long::longValue).max().getAsLong());
	}

	@Test
	void resumeSkipsFinishedIntervals() {
		FakeSynthesizer synth = new FakeSynthesizer();
		KeySchedule s = KeySchedule.regular(0, 10, 5);
		Map<Integer, Rgb8Image> written = new ConcurrentHashMap<>();
		for (int f = 0; f < 5; f++) written.put(f, solid(W, H, 1)); // first interval finished earlier
		FrameSink sink = new FrameSink() {
			@Override public void put(int i, Rgb8Image f) { assertTrue(written.put(i, f) == null, "frame " + i + " written twice"); }
			@Override public boolean has(int i) { return written.containsKey(i); }
		};
		new Propagator(synth, ZERO_FLOW).run(FrameSource.of(frames(11), keys(s)), s, opts(), sink, IntermediateStore.NONE, Progress.NONE, Cancel.NEVER);
		assertEquals(11, written.size());
		assertEquals(2 * 4, synth.calls.get(), "only the second interval is synthesised");
	}

	@Test
	void badInputsGiveClearErrors() {
		FakeSynthesizer synth = new FakeSynthesizer();
		Propagator prop = new Propagator(synth, ZERO_FLOW);
		KeySchedule s = KeySchedule.regular(0, 10, 5);
		Map<Integer, Rgb8Image> missing = keys(s);
		missing.remove(10);
		RerenderException e = assertThrows(RerenderException.class, () -> prop.run(frames(11), missing, s, opts(), Progress.NONE, Cancel.NEVER));
		assertTrue(e.getMessage().contains("Missing stylised key frame [10]"), e.getMessage());

		Map<Integer, Rgb8Image> wrong = keys(s);
		wrong.put(5, solid(W + 2, H, 9));
		e = assertThrows(RerenderException.class, () -> prop.run(frames(11), wrong, s, opts(), Progress.NONE, Cancel.NEVER));
		assertTrue(e.getMessage().contains("Key frame 5 (frame 6 counting from 1) is 26x16"), e.getMessage());

		e = assertThrows(RerenderException.class, () -> prop.run(frames(8), keys(s), s, opts(), Progress.NONE, Cancel.NEVER));
		assertTrue(e.getMessage().contains("only 8 frames"), e.getMessage());

		e = assertThrows(RerenderException.class, () -> opts().withWeights(6, Double.NaN, 0.5, 2));
		assertTrue(e.getMessage().contains("edge guide weight"), e.getMessage());

		e = assertThrows(RerenderException.class, () -> prop.run(frames(11), keys(s), s, opts().withSynthesisFromStore(true), Progress.NONE, Cancel.NEVER));
		assertTrue(e.getMessage().contains("No stored"), e.getMessage());
		assertEquals(0, synth.calls.get());
	}

	@Test
	void cancelStopsPromptly() {
		FakeSynthesizer synth = new FakeSynthesizer();
		Cancel cancel = new Cancel();
		synth.onCall = () -> {
			if (synth.calls.get() == 3) cancel.request();
			try {
				Thread.sleep(30); // a synthesis takes time; the cancel must reach the next one
			}
			catch (InterruptedException e) {
				Thread.currentThread().interrupt();
			}
		};
		KeySchedule s = KeySchedule.regular(0, 30, 5);
		assertThrows(CancelledException.class,
			() -> new Propagator(synth, ZERO_FLOW).run(frames(31), keys(s), s, opts().withProcesses(1), Progress.NONE, cancel));
		assertTrue(synth.calls.get() <= 4, "stopped after " + synth.calls.get() + " syntheses");
	}
}
