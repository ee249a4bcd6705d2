package org.rerender.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.AbstractList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.image.Rgb8Image;

class StampedFramesTest {

	@TempDir
	Path tmp;

	/** Frames made on demand (a pattern per level), counting how often each is made: a Fiji stack's conversion to RGB. */
	static class Counting extends AbstractList<Rgb8Image> {
		final int[] level, made;

		Counting(int... level) {
			this.level = level;
			this.made = new int[level.length];
		}

		@Override
		public Rgb8Image get(int i) {
			made[i]++;
			Rgb8Image f = new Rgb8Image(21, 13);
			for (int k = 0; k < f.data().length; k++) f.data()[k] = (byte) (level[i] + k * 7);
			return f;
		}

		@Override
		public int size() {
			return level.length;
		}
	}

	private static FileTime age(Path p) throws Exception {
		Files.setLastModifiedTime(p, FileTime.fromMillis(Files.getLastModifiedTime(p).toMillis() - 60_000));
		return Files.getLastModifiedTime(p);
	}

	@Test
	void losslessFramesMadeOnceAndKeptWhenUnchanged() throws Exception {
		Path d = tmp.resolve("work").resolve("input_frames");
		Counting a = new Counting(20, 80, 140, 200);
		assertEquals(d, StampedFrames.write(d, a, Cancel.NEVER));
		assertArrayEquals(new int[] { 1, 1, 1, 1 }, a.made, "hashed and written from one fetch");
		ImageSequence seq = ImageSequence.open(d, 10);
		assertEquals(4, seq.size());
		assertEquals(21, seq.width(), "no padding");
		for (int i = 0; i < 4; i++) assertArrayEquals(a.get(i).data(), seq.read(i).data(), "frame " + i + " bit-exact");
		assertEquals(5, Files.readAllLines(StampedFrames.stamp(d)).size(), "a header and one hash per frame");

		FileTime t0 = age(StampedFrames.frame(d, 0)), t2 = age(StampedFrames.frame(d, 2));
		Counting same = new Counting(20, 80, 140, 200);
		StampedFrames.write(d, same, Cancel.NEVER);
		assertArrayEquals(new int[] { 1, 1, 1, 1 }, same.made);
		assertEquals(t0, Files.getLastModifiedTime(StampedFrames.frame(d, 0)), "same frames: kept");

		StampedFrames.write(d, new Counting(20, 80, 30), Cancel.NEVER);
		assertEquals(t0, Files.getLastModifiedTime(StampedFrames.frame(d, 0)), "an unchanged frame is kept");
		assertTrue(Files.getLastModifiedTime(StampedFrames.frame(d, 2)).compareTo(t2) > 0, "a changed frame is rewritten");
		assertFalse(Files.exists(StampedFrames.frame(d, 3)), "a frame beyond the new count is deleted");
		ImageSequence shorter = ImageSequence.open(d, 10);
		assertEquals(3, shorter.size());
		assertArrayEquals(new Counting(30).get(0).data(), shorter.read(2).data());

		Files.delete(StampedFrames.frame(d, 1));
		StampedFrames.write(d, new Counting(20, 80, 30), Cancel.NEVER);
		assertTrue(Files.exists(StampedFrames.frame(d, 1)), "a missing file is written again");
	}

	@Test
	void aCancelledWriteLeavesNoStamp() throws Exception {
		Path d = tmp.resolve("input_frames");
		StampedFrames.write(d, new Counting(20, 80), Cancel.NEVER);
		Cancel cancel = new Cancel();
		Counting other = new Counting(90, 90, 90, 90) {
			@Override
			public Rgb8Image get(int i) {
				if (i == 2) cancel.request(); // the user cancels while frame 2 is converted
				return super.get(i);
			}
		};
		assertThrows(CancelledException.class, () -> StampedFrames.write(d, other, cancel));
		assertFalse(Files.exists(StampedFrames.stamp(d)), "frames that may be stale are not trusted");
		Counting again = new Counting(20, 80);
		StampedFrames.write(d, again, Cancel.NEVER);
		assertTrue(Files.exists(StampedFrames.stamp(d)));
		assertArrayEquals(again.get(0).data(), ImageSequence.open(d, 10).read(0).data(), "rewritten after the cancel");
	}

	@Test
	void framesOfAnotherSizeAreRefused() {
		List<Rgb8Image> frames = List.of(new Rgb8Image(4, 4), new Rgb8Image(5, 4));
		assertTrue(assertThrows(org.rerender.engine.RerenderException.class,
			() -> StampedFrames.write(tmp.resolve("f"), frames, Cancel.NEVER)).getMessage().contains("one size"));
	}
}
