package org.rerender.video;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.image.Rgb8Image;
import org.rerender.testing.Tags;

/**
 * Decode speed (frames per second to RGB, and probe = decode without colour conversion), frame preparation and
 * H.264 encode speed on the real clips. One warm-up pass, then the median of 3 timed passes. Run with
 * {@code mvn test -Pbench -Dtest=VideoBenchmark}.
 */
@Tag(Tags.BENCH)
class VideoBenchmark {

	@TempDir
	Path tmp;

	@Test
	void decodeAndEncodeSpeed() {
		List<Path> clips = new ArrayList<>(List.of(TestClips.example()));
		if (TestClips.kivyCity() != null) clips.add(TestClips.kivyCity());
		System.out.printf("%n%-16s %-10s %-8s %7s %12s %12s %14s%n", "clip", "codec", "size", "frames", "decode fps",
			"probe fps", "prepare fps");
		for (Path clip : clips) {
			VideoInfo info = VideoReader.probe(clip);
			FramePreparation prep = new FramePreparation(0, 0, 0, 0, 512);
			double decode = median(() -> VideoReader.forEachFrame(clip, (i, f) -> {}, Progress.NONE, Cancel.NEVER));
			double probe = median(() -> VideoReader.probe(clip));
			double prepare = median(() -> VideoReader.forEachFrame(clip, (i, f) -> prep.apply(f), Progress.NONE,
				Cancel.NEVER));
			System.out.printf("%-16s %-10s %-8s %7d %12.1f %12.1f %14.1f%n", clip.getFileName(), info.codec(),
				info.width() + "x" + info.height(), info.frameCount(), info.frameCount() / decode,
				info.frameCount() / probe, info.frameCount() / prepare);
		}
		List<Rgb8Image> frames = VideoReader.readAll(TestClips.example(), Progress.NONE, Cancel.NEVER);
		Path out = tmp.resolve("bench.mp4");
		double encode = median(() -> VideoWriter.write(out, frames, 25, null, Progress.NONE, Cancel.NEVER));
		double withAudio = median(() -> VideoWriter.write(out, frames, 25, TestClips.example(), Progress.NONE,
			Cancel.NEVER));
		System.out.printf("%nH.264 encode (OpenH264), %d frames 640x360: %.1f fps, with AAC audio carried: %.1f fps"
			+ " (%d cores)%n", frames.size(), frames.size() / encode, frames.size() / withAudio,
			Runtime.getRuntime().availableProcessors());
		if (!Files.exists(out)) throw new AssertionError("benchmark output missing");
	}

	/** Median seconds of 3 runs after one warm-up. */
	private static double median(Runnable r) {
		r.run();
		double[] t = new double[3];
		for (int i = 0; i < 3; i++) {
			long s = System.nanoTime();
			r.run();
			t[i] = (System.nanoTime() - s) / 1e9;
		}
		Arrays.sort(t);
		return t[1];
	}
}
