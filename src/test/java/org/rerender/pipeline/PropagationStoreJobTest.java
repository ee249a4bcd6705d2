package org.rerender.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.config.RerenderConfig;
import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.FolderFrames;
import org.rerender.propagate.synth.PatchSynthesizer;
import org.rerender.propagate.synth.SynthesisResult;
import org.rerender.video.TestClips;

/** The propagation's stored syntheses in a work folder: cleared with the propagated step, never taken from another run's keys. */
class PropagationStoreJobTest {
	@TempDir
	Path dir;

	/** Returns the style, error 0: cheap and deterministic. */
	private static final class StyleCopy implements PatchSynthesizer {
		final AtomicInteger calls = new AtomicInteger();
		Runnable onCall = () -> {};

		@Override
		public SynthesisResult synthesize(org.rerender.propagate.synth.SynthesisRequest r, Cancel cancel) {
			cancel.check();
			calls.incrementAndGet();
			onCall.run();
			return new SynthesisResult(r.style().copy(), new FloatImage(r.targetWidth(), r.targetHeight(), 1));
		}
	}

	private static UnaryOperator<Rgb8Image> scaled(double f) {
		return in -> {
			byte[] d = in.data().clone();
			for (int i = 0; i < d.length; i++) d[i] = (byte) Math.min(255, (int) Math.round((d[i] & 0xff) * f));
			return new Rgb8Image(in.width(), in.height(), d);
		};
	}

	private RerenderJob job(Path in, String name, String style, double f, PatchSynthesizer synth) {
		RerenderConfig c = RerenderConfig.interactiveBuilder().input(in).output(dir.resolve(name + ".mp4")).workDir(dir.resolve(name))
			.prompt("a painting").imageResolution(64).interval(4).build();
		return new RerenderJob(c, cfg -> { throw new AssertionError("no models in this test"); })
			.keyFrameFilter(style, scaled(f)).synthesizer(synth).overwrite(true);
	}

	/**
	 * Rerender Video cancelled during propagation, then run with other key frames (a new prompt): the in-between
	 * frames must come from the new key frames only, exactly as in a fresh work folder.
	 */
	@Test
	void aStoppedPropagationsSynthesesDoNotReachARunWithOtherKeys() throws Exception {
		Path in = TestClips.smallClip(dir.resolve("in.mp4"), 9);
		Cancel stop = new Cancel();
		StyleCopy first = new StyleCopy();
		first.onCall = () -> { if (first.calls.get() >= 5) stop.request(); };
		assertThrows(CancelledException.class, () -> job(in, "work", "dim", 0.5, first).run(RerenderJob.Steps.ALL, null, stop));
		Path work = dir.resolve("work");
		assertTrue(Files.isDirectory(work.resolve("propagated/tmp/fwd")), "the stopped run's syntheses are in the propagated step");
		assertFalse(Files.exists(work.resolve("tmp")));

		job(in, "work", "bright", 1.5, new StyleCopy()).run(RerenderJob.Steps.ALL, null, null);
		job(in, "fresh", "bright", 1.5, new StyleCopy()).run(RerenderJob.Steps.ALL, null, null);
		for (int i = 1; i <= 8; i++)
			assertArrayEquals(FolderFrames.read(dir.resolve(String.format("fresh/propagated/%04d.png", i))).data(),
				FolderFrames.read(work.resolve(String.format("propagated/%04d.png", i))).data(), "frame " + i);
		assertFalse(Files.exists(work.resolve("propagated/tmp")), "deleted when the propagation finished");
	}
}
