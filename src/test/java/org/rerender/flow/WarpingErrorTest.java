package org.rerender.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.Png;
import org.rerender.image.Rgb8Image;
import org.rerender.video.ConsistencyReport;

class WarpingErrorTest {
	@TempDir
	Path tmp;

	/** A textured frame shifted right by {@code shift} pixels. */
	static Rgb8Image texture(int w, int h, int shift) {
		Rgb8Image im = new Rgb8Image(w, h);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				int sx = x - shift;
				for (int c = 0; c < 3; c++)
					im.set(x, y, c, (int) (127 + 60 * Math.sin(0.31 * sx + 0.7 * c) + 50 * Math.cos(0.23 * y - 0.4 * c)));
			}
		return im;
	}

	/** A flow estimator that knows the true motion: everything moves right by one pixel per frame. */
	static final FlowEstimator KNOWN_SHIFT = new FlowEstimator() {
		@Override
		public FlowMethod method() {
			return FlowMethod.DIS;
		}

		@Override
		public FlowField flow(Rgb8Image from, Rgb8Image to) {
			throw new UnsupportedOperationException("the report asks for both directions at once");
		}

		@Override
		public BidirectionalFlow both(Rgb8Image a, Rgb8Image b) {
			int w = a.width(), h = a.height();
			float[] fw = new float[2 * w * h], bw = new float[2 * w * h];
			for (int i = 0; i < w * h; i++) {
				fw[2 * i] = 1;
				bw[2 * i] = -1;
			}
			return new BidirectionalFlow(new FlowField(w, h, fw), new FlowField(w, h, bw));
		}
	};

	@Test
	void consistentVideoHasLowErrorAndFlickerHasHigh() {
		List<Rgb8Image> in = new ArrayList<>(), flicker = new ArrayList<>();
		Random r = new Random(1);
		for (int t = 0; t < 5; t++) {
			in.add(texture(40, 30, t));
			Rgb8Image f = texture(40, 30, t);
			for (int i = 0; i < f.data().length; i++) f.data()[i] = (byte) Math.min(255, (f.data()[i] & 0xff) + r.nextInt(40));
			flicker.add(f);
		}
		List<WarpingError.FrameError> same = WarpingError.compute(in, in, KNOWN_SHIFT, Progress.NONE, Cancel.NEVER);
		List<WarpingError.FrameError> noisy = WarpingError.compute(in, flicker, KNOWN_SHIFT, Progress.NONE, Cancel.NEVER);
		assertEquals(4, same.size());
		for (int i = 0; i < 4; i++) {
			assertEquals(0, same.get(i).input(), 1e-4, "a pure shift warps exactly");
			assertEquals(same.get(i).input(), same.get(i).output(), 1e-9);
			assertTrue(noisy.get(i).output() > 8, "flicker shows: " + noisy.get(i).output());
			assertTrue(same.get(i).visibleFraction() > 0.9);
		}
	}

	@Test
	void reportFilesAreWrittenNextToTheVideo() throws Exception {
		List<WarpingError.FrameError> e = List.of(new WarpingError.FrameError(1, 1.5, 2.5, 0.9),
			new WarpingError.FrameError(2, 1.0, Double.NaN, 0.0));
		Path video = tmp.resolve("out dir ü/clip.mp4");
		Files.createDirectories(video.getParent());
		Path[] f = ConsistencyReport.write(video, e);
		assertEquals("clip_consistency.csv", f[0].getFileName().toString());
		List<String> lines = Files.readAllLines(f[0]);
		assertEquals("1,1.5000,2.5000,0.9000", lines.get(1));
		Rgb8Image plot = Png.read(f[1]);
		assertEquals(800, plot.width());
	}

	@Test
	void mismatchedInputsAreRefused() {
		List<Rgb8Image> a = List.of(texture(8, 8, 0), texture(8, 8, 1));
		assertThrows(RerenderException.class, () -> WarpingError.compute(a, List.of(a.get(0)), KNOWN_SHIFT, Progress.NONE, Cancel.NEVER));
		assertThrows(RerenderException.class,
			() -> WarpingError.compute(a, List.of(texture(9, 8, 0), texture(9, 8, 0)), KNOWN_SHIFT, Progress.NONE, Cancel.NEVER));
	}

	/** A list that counts how often each frame is asked for (a lazy list decodes a PNG each time). */
	private static List<Rgb8Image> counting(List<Rgb8Image> frames, int[] gets) {
		return new java.util.AbstractList<>() {
			@Override
			public Rgb8Image get(int i) {
				gets[i]++;
				return frames.get(i);
			}

			@Override
			public int size() {
				return frames.size();
			}
		};
	}

	@Test
	void takesEachFrameOnceSoLazyListsDecodeItOnce() {
		List<Rgb8Image> in = new ArrayList<>();
		for (int t = 0; t < 5; t++) in.add(texture(40, 24, t));
		int[] inGets = new int[5], outGets = new int[5];
		List<WarpingError.FrameError> e = WarpingError.compute(counting(in, inGets), counting(in, outGets), KNOWN_SHIFT, Progress.NONE, Cancel.NEVER);
		assertEquals(4, e.size());
		assertEquals(List.of(1, 1, 1, 1, 1), java.util.Arrays.stream(inGets).boxed().toList(), "input gets");
		assertEquals(List.of(1, 1, 1, 1, 1), java.util.Arrays.stream(outGets).boxed().toList(), "output gets");
		assertEquals(WarpingError.compute(in, in, KNOWN_SHIFT, Progress.NONE, Cancel.NEVER), e);
	}
}
