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

class StampedVideoTest {

	@TempDir
	Path tmp;

	/** Frames made on demand (grey levels), counting how often each is made: a Fiji stack's conversion to RGB. */
	static class Counting extends AbstractList<Rgb8Image> {
		final int[] grey, made;

		Counting(int... grey) {
			this.grey = grey;
			this.made = new int[grey.length];
		}

		@Override
		public Rgb8Image get(int i) {
			made[i]++;
			Rgb8Image f = new Rgb8Image(21, 13);
			java.util.Arrays.fill(f.data(), (byte) grey[i]);
			return f;
		}

		@Override
		public int size() {
			return grey.length;
		}
	}

	@Test
	void eachFrameIsMadeOnceForTheCheckAndTheVideo() throws Exception {
		Path v = tmp.resolve("work").resolve("input.mp4");
		Counting a = new Counting(20, 80, 140, 200);
		assertEquals(v, StampedVideo.write(v, a, 10, Cancel.NEVER));
		assertArrayEquals(new int[] { 1, 1, 1, 1 }, a.made, "first write: hashed while writing");
		VideoInfo info = VideoReader.probe(v);
		assertEquals(4, info.frameCount());
		assertEquals(22, info.width(), "padded as VideoWriter.createPadded");
		assertEquals(16, info.height());
		assertEquals(5, Files.readAllLines(StampedVideo.stamp(v)).size(), "a header and one hash per frame");

		Files.setLastModifiedTime(v, FileTime.fromMillis(Files.getLastModifiedTime(v).toMillis() - 60_000));
		FileTime t = Files.getLastModifiedTime(v);
		Counting same = new Counting(20, 80, 140, 200);
		StampedVideo.write(v, same, 10, Cancel.NEVER);
		assertArrayEquals(new int[] { 1, 1, 1, 1 }, same.made);
		assertEquals(t, Files.getLastModifiedTime(v), "same frames: kept");

		StampedVideo.write(v, new Counting(20, 80, 140, 200), 12, Cancel.NEVER);
		assertTrue(Files.getLastModifiedTime(v).compareTo(t) > 0, "another frame rate: rewritten");
		assertEquals(12, VideoReader.probe(v).fps(), 1e-6);

		Counting first = new Counting(200, 80, 140);
		StampedVideo.write(v, first, 12, Cancel.NEVER);
		assertArrayEquals(new int[] { 1, 1, 1 }, first.made, "fewer frames: written in the one pass");
		assertEquals(3, VideoReader.probe(v).frameCount());

		Counting late = new Counting(200, 80, 30);
		StampedVideo.write(v, late, 12, Cancel.NEVER);
		assertArrayEquals(new int[] { 2, 2, 1 }, late.made, "only the frames before the first difference are made again");
		List<Rgb8Image> back = VideoReader.readAll(v, org.rerender.engine.Progress.NONE, Cancel.NEVER);
		int[] expect = { 200, 80, 30 };
		for (int i = 0; i < 3; i++) assertEquals(expect[i], back.get(i).get(5, 5, 1), 6, "frame " + i);
	}

	@Test
	void aCancelledWriteLeavesNoStamp() throws Exception {
		Path v = tmp.resolve("input.mp4");
		StampedVideo.write(v, new Counting(20, 80), 10, Cancel.NEVER);
		Cancel cancel = new Cancel();
		Counting other = new Counting(90, 90, 90, 90) {
			@Override
			public Rgb8Image get(int i) {
				if (i == 2) cancel.request(); // the user cancels while frame 2 is converted
				return super.get(i);
			}
		};
		assertThrows(CancelledException.class, () -> StampedVideo.write(v, other, 10, cancel));
		assertFalse(Files.exists(StampedVideo.stamp(v)), "a video that may be stale is not trusted");
		assertEquals(2, VideoReader.probe(v).frameCount(), "the old video stays until a new one is finished");
		Counting again = new Counting(20, 80);
		StampedVideo.write(v, again, 10, Cancel.NEVER);
		assertTrue(Files.exists(StampedVideo.stamp(v)));
	}

	/** An unchanged long clip is checked in time linear in its length (each frame's hash against its own line once). */
	@Test
	void anUnchangedLongClipIsCheckedInLinearTime() throws Exception {
		int n = 100_000;
		Rgb8Image f = new Rgb8Image(2, 2);
		List<Rgb8Image> frames = java.util.Collections.nCopies(n, f);
		Path video = Files.writeString(tmp.resolve("long.mp4"), "the video these frames made");
		String hash = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(f.data()));
		List<String> lines = new java.util.ArrayList<>(java.util.Collections.nCopies(n + 1, hash));
		lines.set(0, n + " 2x2 " + 25.0);
		Files.write(StampedVideo.stamp(video), lines);
		org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(5),
			() -> StampedVideo.write(video, frames, 25, Cancel.NEVER), "quadratic: every frame compared the whole stamp so far");
		assertEquals("the video these frames made", Files.readString(video), "kept");
	}
}
