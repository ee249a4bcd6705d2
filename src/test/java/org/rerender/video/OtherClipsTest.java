package org.rerender.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;
import org.rerender.testing.CapturedLog;

/** Inputs found by running the CLI on clips of other origins: phone rotation, variable frame rate, cut Matroska, … */
class OtherClipsTest {
	@TempDir
	Path tmp;

	/** 48x32 frame of real footage with a pure red 8x8 block in its top-left corner. */
	private static Rgb8Image marked() {
		Rgb8Image f = FramePreparation.resize(TestClips.smallFrames().get(0), 48, 32, org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA);
		for (int y = 0; y < 8; y++)
			for (int x = 0; x < 8; x++) {
				f.set(x, y, 0, 255);
				f.set(x, y, 1, 0);
				f.set(x, y, 2, 0);
			}
		return f;
	}

	private static boolean red(Rgb8Image f, int x, int y) {
		return f.get(x, y, 0) > 180 && f.get(x, y, 1) < 80 && f.get(x, y, 2) < 80;
	}

	/** An H.264 mp4 whose stream carries a display matrix (as phones write), rotation in FFmpeg's sense (CCW). */
	private Path rotatedClip(double degrees) throws IOException {
		Path f = tmp.resolve("rot" + (int) degrees + ".mp4");
		Rgb8Image img = marked();
		TestClips.writeTimed(f, "mp4", degrees, List.of(img, img, img), new long[] {0, 40_000, 80_000});
		return f;
	}

	@Test
	void phoneRotationGivesUprightFrames() throws IOException {
		// FFmpeg's display rotation is counter-clockwise: 90 turns the top-left corner to the bottom-left
		int[][] expectCorner = {{90, 0, 1}, {180, 1, 1}, {270, 1, 0}, {-90, 1, 0}};
		for (int[] c : expectCorner) {
			Path f = rotatedClip(c[0]);
			VideoInfo info = VideoReader.probe(f);
			boolean quarter = c[0] % 180 != 0;
			assertEquals(quarter ? 32 : 48, info.width(), c[0] + "°");
			assertEquals(quarter ? 48 : 32, info.height(), c[0] + "°");
			assertEquals(Math.floorMod(c[0], 360), info.rotation());
			List<Rgb8Image> frames = VideoReader.readAll(f, Progress.NONE, Cancel.NEVER);
			assertEquals(3, frames.size());
			Rgb8Image f0 = frames.get(0);
			assertEquals(info.width(), f0.width());
			assertEquals(info.height(), f0.height());
			int x = c[1] == 0 ? 3 : f0.width() - 4, y = c[2] == 0 ? 3 : f0.height() - 4;
			assertTrue(red(f0, x, y), c[0] + "°: the red corner should be at " + x + "," + y);
			assertFalse(red(f0, 3, 3) && (c[1] != 0 || c[2] != 0), c[0] + "°: the red corner is still top-left");
			try (VideoReader r = VideoReader.open(f)) {
				assertEquals(info.width(), r.width());
				assertEquals(info.height(), r.height());
			}
		}
		VideoInfo plain = VideoReader.probe(rotatedClip(0));
		assertEquals(0, plain.rotation());
		assertEquals(48, plain.width());
	}

	@Test
	void mirroredDisplayMatrixIsShownAsFfmpegShowsIt() throws Exception {
		// a display matrix may mirror: a pure left-right flip reads as a 180-degree rotation, but is no upside-down turn
		Rgb8Image img = marked();
		Path raw = tmp.resolve("marked.rgb");
		Files.write(raw, img.data());
		String[][] cases = {{"-display_hflip"}, {"-display_vflip"}, {"-display_rotation", "90", "-display_hflip"},
			{"-display_rotation", "-90", "-display_hflip"}, {"-display_rotation", "180", "-display_vflip"}};
		for (String[] c : cases) {
			String name = String.join("", c).replace("-", "_");
			Path f = tmp.resolve("flip" + name + ".mov");
			// -noautorotate keeps the matrix as metadata (lossless PNG frames, so the pixels compare exactly)
			List<String> args = new java.util.ArrayList<>(List.of("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "48x32", "-r", "25"));
			args.addAll(List.of(c));
			args.addAll(List.of("-noautorotate", "-i", raw.toString(), "-frames:v", "2", "-c:v", "png", f.toString()));
			TestClips.ffmpeg(args.toArray(String[]::new));
			// FFmpeg's program applies the matrix itself when decoding (autorotation): the frames must match it exactly
			byte[] shown = TestClips.ffmpeg("-i", f.toString(), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-");
			List<Rgb8Image> frames = VideoReader.readAll(f, Progress.NONE, Cancel.NEVER);
			Rgb8Image f0 = frames.get(0);
			VideoInfo info = VideoReader.probe(f);
			assertEquals(f0.width(), info.width(), name);
			assertEquals(f0.height(), info.height(), name);
			assertEquals(shown.length, f0.data().length, name);
			assertTrue(Arrays.equals(shown, f0.data()), name + ": differs from FFmpeg's own display");
			if (c.length == 1 && c[0].equals("-display_hflip")) {
				assertTrue(red(f0, 44, 3) && !red(f0, 44, 28), "hflip: the red corner goes to the top right");
				assertTrue(Arrays.equals(DisplayMatrix.mirror(img).data(), f0.data()), "hflip: mirrored");
			}
		}
	}

	@Test
	void displayRotationThatIsNoQuarterTurnIsRoundedWithOneWarning() throws Exception {
		Path raw = tmp.resolve("marked.rgb"), f = tmp.resolve("rot45.mov");
		Files.write(raw, marked().data());
		TestClips.ffmpeg("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "48x32", "-r", "25", "-display_rotation", "45",
			"-noautorotate", "-i", raw.toString(), "-frames:v", "2", "-c:v", "png", f.toString());
		try (CapturedLog log = CapturedLog.of(VideoReader.class)) {
			VideoInfo info = VideoReader.probe(f);
			List<Rgb8Image> frames = TestClips.readAll(f);
			VideoReader.probe(f);
			assertEquals(90, info.rotation(), "45° counter-clockwise is rounded to the quarter turn 90°");
			assertEquals(32, frames.get(0).width());
			assertEquals(48, frames.get(0).height());
			assertTrue(red(frames.get(0), 3, 44), "turned 90° counter-clockwise: the red corner is at the bottom left");
			List<String> warnings = log.messages(java.util.logging.Level.WARNING);
			assertEquals(1, warnings.size(), "one warning per file, however often it is opened");
			String w = warnings.get(0);
			assertTrue(w.contains("45.0° counter-clockwise") && w.contains("turned 90° counter-clockwise") && w.contains("ffmpeg -i INPUT"), w);
			// the way out the warning gives: FFmpeg's upright copy has no display matrix left
			Path upright = tmp.resolve("upright.mkv");
			TestClips.ffmpeg("-i", f.toString(), "-c:v", "ffv1", upright.toString());
			assertEquals(0, VideoReader.probe(upright).rotation());
			assertEquals(1, log.messages(java.util.logging.Level.WARNING).size());
			// quarter turns (within 1°) say nothing
			assertEquals(null, DisplayMatrix.notQuarterTurn(null, DisplayMatrix.Orientation.NONE));
			int[] m = new int[9];
			org.bytedeco.ffmpeg.global.avutil.av_display_rotation_set(m, 90.4);
			assertEquals(null, DisplayMatrix.notQuarterTurn(m, DisplayMatrix.orientation(m)));
			org.bytedeco.ffmpeg.global.avutil.av_display_rotation_set(m, -100); // clockwise (get says counter-clockwise)
			assertTrue(DisplayMatrix.notQuarterTurn(m, DisplayMatrix.orientation(m)).contains("100.0° counter-clockwise"));
		}
	}

	@Test
	void rotateMapsPixelsCounterClockwise() {
		Rgb8Image in = new Rgb8Image(3, 2);
		for (int y = 0; y < 2; y++)
			for (int x = 0; x < 3; x++) in.set(x, y, 0, 10 * y + x); // R = 10y + x
		Rgb8Image ccw = DisplayMatrix.rotate(in, 90);
		assertEquals(2, ccw.width());
		assertEquals(3, ccw.height());
		// row 0 of the turned image is the last column of the input, read top to bottom
		assertEquals(2, ccw.get(0, 0, 0));
		assertEquals(12, ccw.get(1, 0, 0));
		assertEquals(0, ccw.get(0, 2, 0));
		Rgb8Image cw = DisplayMatrix.rotate(in, 270);
		assertEquals(10, cw.get(0, 0, 0));
		assertEquals(0, cw.get(1, 0, 0));
		Rgb8Image half = DisplayMatrix.rotate(in, 180);
		assertEquals(12, half.get(0, 0, 0));
		assertEquals(0, half.get(2, 1, 0));
		assertTrue(Arrays.equals(in.data(), DisplayMatrix.rotate(DisplayMatrix.rotate(ccw, 180), 90).data()));
	}

	/** Frames at 40 ms, then at 100 ms intervals (in a 10 ms time base): a variable frame rate. */
	private Path variableRateClip() throws IOException {
		Path f = tmp.resolve("vfr.mkv");
		TestClips.writeTimed(f, "matroska", 0, TestClips.smallFrames().subList(0, 20), TestClips.unevenTimes(20, 10, 40_000, 100_000));
		return f;
	}

	@Test
	void variableFrameRateUsesTheAverageSoTheDurationIsKept() throws IOException {
		VideoInfo info = VideoReader.probe(variableRateClip());
		assertEquals(20, info.frameCount());
		assertTrue(info.variableFrameRate(), info.toString());
		double average = 19 / (10 * 0.04 + 9 * 0.1); // 19 intervals over 1.3 s
		assertEquals(average, info.fps(), 0.05, info.toString());
		assertTrue(info.toString().contains("variable frame rate"), info.toString());
		// a constant-rate clip stays at its declared rate
		VideoInfo cfr = VideoReader.probe(TestClips.example());
		assertFalse(cfr.variableFrameRate());
		assertEquals(25.0, cfr.fps(), 1e-9);
	}

	/**
	 * An AVI whose unchanged frames are stored as empty packets (OpenCV's tree.avi: 68 pictures in 444 frame slots; FFmpeg's
	 * avi muxer writes them for gaps in the time stamps): the pictures span the whole stream, so it is read as a variable
	 * rate, not refused as truncated. The same file cut short still is.
	 */
	@Test
	void aviWithEmptyFrameSlotsIsSparseNotTruncated() throws Exception {
		Path f = tmp.resolve("sparse.avi");
		TestClips.ffmpeg("-f", "lavfi", "-i", "testsrc=s=64x48:r=10:d=3", "-vf", "select='not(mod(n\\,4))'",
			"-fps_mode", "passthrough", "-c:v", "mjpeg", f.toString());
		VideoInfo info = VideoReader.probe(f);
		assertEquals(8, info.frameCount(), info.toString()); // slots 0, 4, …, 28 of 30
		assertTrue(info.variableFrameRate(), info.toString());
		assertEquals(7 / 2.8, info.fps(), 0.01, "7 intervals over 2.8 s: " + info);
		assertEquals(8, TestClips.readAll(f).size());
		byte[] bytes = Files.readAllBytes(f);
		Path cut = Files.write(tmp.resolve("cut.avi"), Arrays.copyOf(bytes, bytes.length / 3));
		RerenderException e = assertThrows(RerenderException.class, () -> VideoReader.probe(cut));
		assertTrue(e.getMessage().contains("truncated"), e.getMessage());
	}

	/** A Matroska stream that starts at 2 s (as after ffmpeg -itsoffset 2): its DURATION tag says 3 s for 1 s of frames. */
	@Test
	void matroskaStartingAfterZeroIsNotTruncated() throws IOException {
		Path f = tmp.resolve("offset.mkv");
		long[] t = new long[24];
		for (int i = 0; i < t.length; i++) t[i] = 2_000_000 + 40_000L * i;
		TestClips.writeTimed(f, "matroska", 0, TestClips.smallFrames(), t);
		VideoInfo info = VideoReader.probe(f);
		assertEquals(24, info.frameCount(), info.toString());
		assertEquals(24, TestClips.readAll(f).size());
	}


	/**
	 * A clip whose video starts {@code videoStart} s after its audio (ffmpeg -itsoffset, as a cut from a stream) or before
	 * it (negative): a white flash in the picture and a tone in the sound both start at presentation time 1.5 s.
	 */
	private Path offsetClip(String name, double videoStart) throws Exception {
		Path f = tmp.resolve(name);
		double flash = 1.5 - Math.max(0, videoStart), tone = 1.5 - Math.max(0, -videoStart); // in each stream's own time
		TestClips.ffmpeg("-itsoffset", Double.toString(Math.max(0, videoStart)), "-f", "lavfi", "-i",
			"color=c=black:s=64x48:r=25:d=2.5,drawbox=c=white:t=fill:enable='gte(t," + flash + ")'",
			"-itsoffset", Double.toString(Math.max(0, -videoStart)), "-f", "lavfi", "-i",
			"sine=f=440:r=44100:d=3.5,volume=volume=0:enable='lt(t," + tone + ")'",
			"-c:v", "mjpeg", "-q:v", "3", "-c:a", "aac", f.toString());
		return f;
	}

	/** Seconds from the start of {@code file}'s decoded audio (FFmpeg's program: edit lists and priming applied) to the tone. */
	private static double toneStart(Path file) throws Exception {
		byte[] pcm = TestClips.ffmpeg("-i", file.toString(), "-vn", "-ac", "1", "-ar", "8000", "-f", "s16le", "-");
		for (int i = 0; i + 1 < pcm.length; i += 2)
			if (Math.abs((short) ((pcm[i] & 0xff) | (pcm[i + 1] << 8))) > 3000) return i / 2 / 8000.0;
		return Double.NaN;
	}

	/** Seconds from the first frame to the first white frame of {@code frames} at {@code fps}. */
	private static double flashStart(List<Rgb8Image> frames, double fps) {
		for (int i = 0; i < frames.size(); i++)
			if (frames.get(i).get(32, 24, 0) > 128) return i / fps;
		return Double.NaN;
	}

	@Test
	void audioStaysAlignedWhenTheVideoStartsLaterOrEarlierThanTheAudio() throws Exception {
		for (String container : new String[] {"mov", "mkv"})
			for (double start : new double[] {1.0, -0.6}) {
				String what = container + ", video starting " + start + " s after the audio";
				Path in = offsetClip("offset" + start + "." + container, start);
				List<Rgb8Image> frames = TestClips.readAll(in);
				VideoInfo info = VideoReader.probe(in);
				Path out = tmp.resolve("aligned" + start + "." + container + ".mp4");
				VideoWriter.Result r = VideoWriter.write(out, frames, info.fps(), in, Progress.NONE, Cancel.NEVER);
				assertTrue(r.audio(), what);
				double flash = flashStart(TestClips.readAll(out), info.fps()), tone = toneStart(out);
				// the flash is 13 frames in (0.52 s) when the video starts 1 s late; the tone must come with it
				assertEquals(flash, tone, 0.06, what + ": flash at " + flash + " s, tone at " + tone + " s in the output");
				assertEquals(1.5 - Math.max(0, start), flash, 0.05, what);
				assertEquals(frames.size() / info.fps(), VideoWriterTest.audioSeconds(out), 0.06, what + ": audio as long as the video");
			}
	}

	/**
	 * Video starting 5 s after the audio, in a 2.5 s clip: no real cut looks like that (a first audio frame without a
	 * time stamp, read as 0 while the video starts at an MPEG-TS or broadcast clock, does), so the audio is not cut
	 * away but kept from its start, with a note.
	 */
	@Test
	void anAudioLeadLongerThanTheVideoIsNotTrustedAndTheSoundIsKept() throws Exception {
		Path in = offsetClip("far.mkv", 5);
		List<Rgb8Image> frames = TestClips.readAll(in);
		VideoInfo info = VideoReader.probe(in);
		Path out = tmp.resolve("far.mp4");
		VideoWriter.Result r = VideoWriter.write(out, frames, info.fps(), in, Progress.NONE, Cancel.NEVER);
		assertTrue(r.audio());
		assertTrue(r.note().contains("starts 5.0") && r.note().contains("not trusted"), r.note());
		assertEquals(frames.size() / info.fps(), VideoWriterTest.audioSeconds(out), 0.06, "audio as long as the video");
		assertEquals(1.5, toneStart(out), 0.06, "the audio from its own start: the tone 1.5 s in");
	}

	/** MPEG-TS starts its clock at ~1.4 s (both streams): the audio stays with the picture and lasts as long. */
	@Test
	void mpegTsKeepsItsSoundWithThePicture() throws Exception {
		Path in = tmp.resolve("clip.ts");
		TestClips.ffmpeg("-f", "lavfi", "-i", "color=c=black:s=64x48:r=25:d=2.5,drawbox=c=white:t=fill:enable='gte(t,1.5)'",
			"-f", "lavfi", "-i", "sine=f=440:r=44100:d=2.5,volume=volume=0:enable='lt(t,1.5)'",
			"-c:v", "mpeg2video", "-q:v", "3", "-c:a", "mp2", "-f", "mpegts", in.toString());
		List<Rgb8Image> frames = TestClips.readAll(in);
		VideoInfo info = VideoReader.probe(in);
		Path out = tmp.resolve("ts.mp4");
		VideoWriter.Result r = VideoWriter.write(out, frames, info.fps(), in, Progress.NONE, Cancel.NEVER);
		assertTrue(r.audio() && !r.note().contains("not trusted"), r.note());
		assertEquals(frames.size() / info.fps(), VideoWriterTest.audioSeconds(out), 0.06, "audio as long as the video");
		assertEquals(flashStart(TestClips.readAll(out), info.fps()), toneStart(out), 0.06, "the tone with the flash");
	}

	@Test
	void messagesCarryNoJavaCvDeveloperHints() throws IOException {
		Path text = tmp.resolve("notes.mp4");
		Files.writeString(text, "not a video\n");
		RerenderException e = assertThrows(RerenderException.class, () -> VideoReader.probe(text));
		assertTrue(e.getMessage().startsWith("Not a video FFmpeg can read"), e.getMessage());
		assertFalse(e.getMessage().contains("setFormat") || e.getMessage().contains("FFmpegLogCallback"), e.getMessage());
		assertTrue(e.getMessage().contains("invalid data"), e.getMessage());
		Path empty = Files.createFile(tmp.resolve("empty.mov"));
		e = assertThrows(RerenderException.class, () -> VideoReader.probe(empty));
		assertFalse(e.getMessage().contains("setFormat"), e.getMessage());
	}

	@Test
	void thinFramesSayWhichResolutionWorksOrThatNoneDoes() {
		// 200x3: a side of 32+ needs R >= 200*33/3 = 2200
		RerenderException e = assertThrows(RerenderException.class, () -> new FramePreparation(0, 0, 0, 0, 128).plan(200, 3));
		assertTrue(e.getMessage().contains("raise the resolution to at least 2200"), e.getMessage());
		assertEquals(64, new FramePreparation(0, 0, 0, 0, 2200).plan(200, 3).height());
		// 1x360 (a one-pixel-wide clip): no resolution helps
		e = assertThrows(RerenderException.class, () -> new FramePreparation(0, 0, 0, 0, 512).plan(1, 360));
		assertTrue(e.getMessage().contains("too elongated for any resolution"), e.getMessage());
	}

	@Test
	void disFlowWorksOnTinyAndThinFrames() {
		// rerender flow --resolution 0 keeps a clip's size: OpenCV's DIS refused frames under 12 (or 34) pixels
		try (org.rerender.flow.DisFlowEstimator dis = new org.rerender.flow.DisFlowEstimator()) {
			for (int[] size : new int[][] {{200, 3}, {1, 40}, {30, 20}, {8, 8}}) {
				int w = size[0], h = size[1];
				Rgb8Image a = FramePreparation.resize(TestClips.smallFrames().get(0), w + 2, h, org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA);
				Rgb8Image f0 = new Rgb8Image(w, h), f1 = new Rgb8Image(w, h);
				for (int y = 0; y < h; y++)
					for (int x = 0; x < w; x++)
						for (int c = 0; c < 3; c++) {
							f0.set(x, y, c, a.get(x + 2, y, c));
							f1.set(x, y, c, a.get(x, y, c)); // content moves 2 pixels right
						}
				org.rerender.flow.FlowField flow = dis.flow(f0, f1);
				assertEquals(w, flow.width(), w + "x" + h);
				assertEquals(h, flow.height(), w + "x" + h);
				for (float v : flow.data()) assertTrue(Float.isFinite(v), w + "x" + h);
				if (w >= 30 && h >= 3) { // textured sizes: the flow must find the 2-pixel move (not zeros, not a wrong crop)
					double[] m = TestClips.meanFlow(flow);
					assertEquals(2, m[0], 0.5, w + "x" + h + " mean u");
					assertEquals(0, m[1], 0.5, w + "x" + h + " mean v");
				}
			}
		}
	}

	@Test
	void anEmptyFolderIsNoImageSequence() throws IOException {
		Path dir = Files.createDirectories(tmp.resolve("frames"));
		RerenderException e = assertThrows(RerenderException.class, () -> VideoReader.probe(dir));
		assertTrue(e.getMessage().contains("is empty") && e.getMessage().contains("numbered frames"), e.getMessage());
		e = assertThrows(RerenderException.class, () -> VideoReader.requireFile(tmp.resolve("missing.mp4")));
		assertTrue(e.getMessage().contains("not found"), e.getMessage());
	}
}
