package org.rerender.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.rerender.image.Rgb8Image;

/**
 * Every container the issue names, written by FFmpeg from real frames and decoded back: the exact frame count,
 * frame rate, size and content (RGB order included: swapped channels would raise the error far above the bound).
 */
class ContainerRoundTripTest {

	@TempDir
	Path tmp;

	@ParameterizedTest(name = "{0} {1} {2} fps, {3} B-frames")
	@CsvSource({
		"mp4,  libopenh264, 25,     0, 8",
		"avi,  mjpeg,       24,     0, 6",
		"mov,  libopenh264, 30,     0, 8",
		"mov,  mpeg4,       29.97,  2, 8",   // B-frames + edit list: where the original lost frames
		"mpeg, mpeg1video,  25,     2, 8",
		"mpeg, mpeg2video,  29.97,  2, 8",
		"webm, libvpx,      25,     0, 8",
		"matroska, mjpeg,   24,     0, 6",
	})
	void roundTrip(String format, String codec, double fps, int bFrames, double maxError) throws IOException {
		List<Rgb8Image> frames = TestClips.smallFrames();
		String ext = switch (format) { case "mpeg" -> "mpg"; case "matroska" -> "mkv"; default -> format; };
		Path f = tmp.resolve("clip." + ext);
		TestClips.write(f, format, codec, fps, bFrames, frames);

		VideoInfo info = VideoReader.probe(f);
		assertEquals(frames.size(), info.frameCount(), "frame count of " + f.getFileName());
		assertEquals(fps, info.fps(), 0.01, "fps");
		assertEquals(192, info.width());
		assertEquals(108, info.height());

		List<Rgb8Image> back = TestClips.readAll(f);
		assertEquals(frames.size(), back.size());
		for (int i = 0; i < frames.size(); i++) {
			double err = TestClips.meanAbsDiff(frames.get(i), back.get(i));
			assertTrue(err < maxError, "frame " + i + " differs by " + err + " on average");
		}
	}
}
