package org.rerender.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;

class VideoWriterTest {

	@TempDir
	Path tmp;

	@Test
	void writesH264KeepsFpsAndCarriesAudio() throws IOException {
		List<Rgb8Image> frames = TestClips.smallFrames();
		Path out = tmp.resolve("out.mp4");
		VideoWriter.Result r = VideoWriter.write(out, frames, 25, TestClips.example(), Progress.NONE, Cancel.NEVER);
		assertEquals("h264", r.videoCodec(), "the JavaCV trap: must really be H.264");
		assertEquals("", r.note());
		assertTrue(r.audio());
		assertEquals(out.toAbsolutePath(), r.file());

		VideoInfo info = VideoReader.probe(out);
		assertEquals(frames.size(), info.frameCount());
		assertEquals(25.0, info.fps(), 1e-6);
		assertEquals("h264", info.codec());
		assertTrue(info.hasAudio());
		// the audio is the source's, cut to the video's length (24 frames = 0.96 s)
		assertEquals(0.96, audioSeconds(out), 0.05);
		assertTrue(toneEnergy(out) > 1000, "the carried track should hold the example's tone, not silence");
		List<Rgb8Image> back = TestClips.readAll(out);
		for (int i = 0; i < frames.size(); i++)
			assertTrue(TestClips.meanAbsDiff(frames.get(i), back.get(i)) < 8, "frame " + i);
		assertNoTempFiles(tmp);
	}

	@Test
	void keepsNtscFrameRateWithoutAudio() {
		Path out = tmp.resolve("ntsc.mp4");
		VideoWriter.Result r = VideoWriter.write(out, TestClips.smallFrames().subList(0, 10), 30000.0 / 1001,
			null, Progress.NONE, Cancel.NEVER);
		assertFalse(r.audio());
		VideoInfo info = VideoReader.probe(out);
		assertEquals(29.97, info.fps(), 0.001);
		assertEquals(10, info.frameCount());
		assertFalse(info.hasAudio());
	}

	@Test
	void audioSourceWithoutAudioIsReported() throws IOException {
		Path silent = tmp.resolve("silent.mp4");
		VideoWriter.write(silent, TestClips.smallFrames().subList(0, 4), 25, null, Progress.NONE, Cancel.NEVER);
		VideoWriter.Result r = VideoWriter.write(tmp.resolve("o.mp4"), TestClips.smallFrames().subList(0, 4), 25,
			silent, Progress.NONE, Cancel.NEVER);
		assertFalse(r.audio());
		assertTrue(r.note().contains("no audio track"), r.note());
	}

	@Test
	void oddSizesArePaddedToEven() {
		Rgb8Image f = new Rgb8Image(101, 57);
		for (int y = 0; y < 57; y++)
			for (int x = 0; x < 101; x++) f.set(x, y, 1, 2 * x);
		VideoWriter.Result r = VideoWriter.write(tmp.resolve("odd.mp4"), List.of(f, f, f), 10, null, Progress.NONE,
			Cancel.NEVER);
		assertEquals(102, r.width());
		assertEquals(58, r.height());
		assertTrue(r.note().contains("padded"), r.note());
		Rgb8Image back = TestClips.readAll(r.file()).get(0);
		// the padding column repeats the last one (green 200), it is not black
		assertTrue(back.get(101, 20, 1) > 170, "padding column " + back.get(101, 20, 1));
	}

	@Test
	void createPaddedAlsoPadsSmallSides() {
		assertEquals(List.of(1, 3), List.of(VideoWriter.padding(21, 13)[0], VideoWriter.padding(21, 13)[1]), "21x13: even, at least 16");
		assertEquals(List.of(0, 0), List.of(VideoWriter.padding(64, 48)[0], VideoWriter.padding(64, 48)[1]));
		Rgb8Image f = new Rgb8Image(9, 21);
		for (int y = 0; y < 21; y++)
			for (int x = 0; x < 9; x++) f.set(x, y, 1, 20 * x);
		VideoWriter.Result r;
		try (VideoWriter w = VideoWriter.createPadded(tmp.resolve("small.mp4"), 9, 21, 10, null)) {
			w.write(f);
			w.write(f);
			r = w.finish();
		}
		assertEquals(9 + VideoWriter.padding(9, 21)[0], r.width());
		assertEquals(21 + VideoWriter.padding(9, 21)[1], r.height());
		assertEquals(16, r.width());
		assertEquals(22, r.height());
		assertTrue(r.note().contains("small frame size 9x21 padded to 16x22"), r.note());
		Rgb8Image back = TestClips.readAll(r.file()).get(0);
		for (int x = 9; x < 16; x++) assertTrue(back.get(x, 10, 1) > 130, "padding column " + x + " repeats the last (green 160): " + back.get(x, 10, 1));
		RerenderException e = assertThrows(RerenderException.class, () -> VideoWriter.checkEncodable(20, 13, "\"b\"", "Enlarge it."));
		assertEquals("Cannot write \"b\" as a video: H.264 needs frames of at least 16x16 pixels, these are 20x13. Enlarge it.", e.getMessage());
		VideoWriter.checkEncodable(16, 16, "ok", "");
	}

	@Test
	void unwritableFolderFailsCleanly() throws IOException {
		Path notADir = tmp.resolve("file.txt");
		Files.writeString(notADir, "x");
		RerenderException e = assertThrows(RerenderException.class,
			() -> VideoWriter.create(notADir.resolve("out.mp4"), 64, 48, 25, null));
		assertTrue(e.getMessage().contains("folder"), e.getMessage());

		Path ro = Files.createDirectories(tmp.resolve("read-only"));
		assertTrue(ro.toFile().setWritable(false, false));
		try {
			if (!Files.isWritable(ro)) { // not root: permissions apply
				e = assertThrows(RerenderException.class, () -> VideoWriter.create(ro.resolve("out.mp4"), 64, 48, 25, null));
				assertTrue(e.getMessage().contains("not writable"), e.getMessage());
				try (Stream<Path> s = Files.list(ro)) { assertEquals(0, s.count()); }
			}
		}
		finally {
			ro.toFile().setWritable(true, false);
		}
	}

	@Test
	void cancelledOrFailedWriteLeavesNothing() throws IOException {
		Path out = tmp.resolve("cancelled.mp4");
		Cancel cancel = new Cancel();
		List<Rgb8Image> frames = TestClips.smallFrames();
		Iterable<Rgb8Image> cancelling = () -> frames.stream().peek(f -> {
			if (f == frames.get(5)) cancel.request();
		}).iterator();
		assertThrows(CancelledException.class,
			() -> VideoWriter.write(out, cancelling, 25, TestClips.example(), Progress.NONE, cancel));
		assertFalse(Files.exists(out));
		assertNoTempFiles(tmp);

		// a wrong-sized frame half-way: the old output stays untouched
		Files.writeString(out, "previous");
		assertThrows(RerenderException.class, () -> VideoWriter.write(out,
			List.of(frames.get(0), new Rgb8Image(10, 10)), 25, null, Progress.NONE, Cancel.NEVER));
		assertEquals("previous", Files.readString(out));
		assertNoTempFiles(tmp);
	}

	@Test
	void replacesAnExistingFileAtomically() throws IOException {
		Path out = tmp.resolve("x.mp4");
		Files.writeString(out, "old");
		VideoWriter.write(out, TestClips.smallFrames().subList(0, 3), 25, null, Progress.NONE, Cancel.NEVER);
		assertEquals(3, VideoReader.probe(out).frameCount());
	}

	@Test
	void nonAsciiPathsWithSpaces() throws IOException {
		Path dir = Files.createDirectories(tmp.resolve("sortie é ü 日本"));
		Path audio = dir.resolve("son à garder.mp4");
		Files.copy(TestClips.example(), audio);
		VideoWriter.Result r = VideoWriter.write(dir.resolve("résultat final.mp4"), TestClips.smallFrames().subList(0, 5),
			25, audio, Progress.NONE, Cancel.NEVER);
		assertTrue(r.audio());
		assertEquals(5, VideoReader.probe(r.file()).frameCount());
	}

	static void assertNoTempFiles(Path dir) throws IOException {
		try (Stream<Path> s = Files.list(dir)) {
			List<String> hidden = s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
			assertTrue(hidden.isEmpty(), "left-over temporary files: " + hidden);
		}
	}

	static double audioSeconds(Path file) throws IOException {
		try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toString())) {
			g.start();
			long samples = 0;
			for (Frame f; (f = g.grabSamples()) != null; )
				samples += f.samples.length > 1 ? f.samples[0].remaining() : f.samples[0].remaining() / f.audioChannels;
			return (double) samples / g.getSampleRate();
		}
	}

	/** Root-mean-square of the decoded samples in 16-bit units. */
	static double toneEnergy(Path file) throws IOException {
		try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(file.toString())) {
			g.setSampleFormat(org.bytedeco.ffmpeg.global.avutil.AV_SAMPLE_FMT_S16);
			g.start();
			double sum = 0;
			long n = 0;
			for (Frame f; (f = g.grabSamples()) != null; ) {
				java.nio.ShortBuffer b = (java.nio.ShortBuffer) f.samples[0];
				while (b.hasRemaining()) { double v = b.get(); sum += v * v; n++; }
			}
			return Math.sqrt(sum / Math.max(1, n));
		}
	}
}
