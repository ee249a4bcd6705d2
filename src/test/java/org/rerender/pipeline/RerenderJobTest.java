package org.rerender.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rerender.config.RerenderConfig;
import org.rerender.flow.FlowEstimator;
import org.rerender.flow.FlowMethod;
import org.rerender.flow.WarpingError;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.FolderFrames;
import org.rerender.propagate.FrameFlows;
import org.rerender.video.VideoInfo;
import org.rerender.video.VideoReader;

/** End to end on a real clip with the tiny fixture models: steps, files, resume, step switches, constraints. */
class RerenderJobTest {
	@RegisterExtension
	static final TinyPipeline tiny = TinyPipeline.frames(10);

	private static Map<Path, FileTime> times(Path root) throws Exception {
		Map<Path, FileTime> m = new HashMap<>();
		try (Stream<Path> s = Files.walk(root)) {
			for (Path p : (Iterable<Path>) s::iterator)
				if (Files.isRegularFile(p) && !p.getFileName().toString().equals("rerender.json")) m.put(p, Files.getLastModifiedTime(p));
		}
		return m;
	}

	@Test
	void stepsFilesResumeAndSwitches() throws Exception {
		Path work = tiny.dir().resolve("work"), out = tiny.dir().resolve("out/clip_rr.mp4");
		RerenderConfig c = PipelineFixtures.config(tiny.clip(), out, work).seed(-1).build();
		RerenderJob job = new RerenderJob(c, cfg -> tiny.models());

		RerenderJob.Result one = job.run(RerenderJob.Steps.FIRST_FRAME, null, null);
		assertEquals(10, one.counters().framesPrepared);
		assertEquals(1, one.counters().anchorsTranslated);
		assertEquals(List.of(1, 5, 9), one.keyFrames());
		assertTrue(one.seed() >= 0 && one.seed() <= 65535);
		Path keys = work.resolve("keys");
		for (String f : new String[] {"0000.png", "0000.f32", "anchor_state.safetensors", "edge_0000.png"})
			assertTrue(Files.isRegularFile(keys.resolve(f)), f);
		assertTrue(Files.isRegularFile(work.resolve("frames/0009.png")));
		assertFalse(Files.exists(keys.resolve("0001.png")));
		assertEquals(128, FolderFrames.read(keys.resolve("0000.png")).width());
		assertEquals(64, FolderFrames.read(keys.resolve("0000.png")).height());

		// stopped during key frame 9: 1 and 5 are finished, the carried state after 5 is on disk
		org.rerender.engine.Cancel stop = new org.rerender.engine.Cancel();
		org.junit.jupiter.api.Assertions.assertThrows(org.rerender.engine.CancelledException.class, () -> job.run(
			RerenderJob.Steps.KEY_FRAMES, (stage, d, t) -> { if (stage.startsWith("Key frame 9")) stop.request(); }, stop));
		assertTrue(Files.isRegularFile(keys.resolve("0005.png")));
		assertFalse(Files.exists(keys.resolve("0009.png")));
		RerenderJob.Result nb = job.run(RerenderJob.Steps.KEY_FRAMES, null, null);
		assertEquals(one.seed(), nb.seed(), "the random seed is recorded and reused");
		assertEquals(0, nb.counters().framesPrepared);
		assertEquals(0, nb.counters().anchorsTranslated, "the anchor state is reloaded, not re-translated");
		assertEquals(1, nb.counters().keyFramesTranslated, "resumes at key frame 9");
		assertEquals(0, nb.counters().keyFramesRebuilt, "the carried key-frame state is reloaded");
		for (int k : new int[] {1, 5, 9}) assertTrue(Files.isRegularFile(keys.resolve(String.format("%04d.png", k))));
		assertNull(nb.video());
		assertFalse(Files.exists(out));

		RerenderJob.Result nr = job.run(RerenderJob.Steps.PROPAGATION, null, null);
		assertEquals(0, nr.counters().keyFramesTranslated);
		assertTrue(nr.counters().framesPropagated >= 8, "propagated " + nr.counters().framesPropagated);
		assertTrue(nr.counters().videoWritten);
		VideoInfo info = VideoReader.probe(out);
		assertEquals(10, info.frameCount());
		assertEquals(128, info.width());
		assertEquals(VideoReader.probe(tiny.clip()).hasAudio(), info.hasAudio());
		assertTrue(Files.isRegularFile(nr.report()[0]) && Files.isRegularFile(nr.report()[1]));
		assertEquals(10, Files.readAllLines(nr.report()[0]).size()); // header + frames 1..9

		Map<Path, FileTime> before = times(work);
		before.putAll(times(out.getParent()));
		RerenderJob.Result again = job.run(RerenderJob.Steps.ALL, null, null);
		assertEquals("frames prepared 0, first frame translated 0, key frames translated 0 (re-translated to rebuild state: 0), "
			+ "frames propagated 0, video written false", again.counters().toString());
		Map<Path, FileTime> after = times(work);
		after.putAll(times(out.getParent()));
		assertEquals(before, after, "a resumed run rewrites nothing");
	}

	/**
	 * Measures the warping error between consecutive key frames' outputs with the constraints on and off, with the
	 * tiny RANDOM-weight fixture models. Here the constraints do <em>not</em> lower it (measured: on 27.6 vs off 23.7
	 * at 5 steps, x0 0.75; 30.7 vs 20.4 at 10 steps; 21.3 vs 21.4 from noise; 19.8 vs 18.9 at x0 1.0). The cause is
	 * the random VAE: pixel-aware fusion (the constraint that raises the error, 27.9 alone) re-encodes the warped
	 * previous output, and a random VAE neither decodes what it encodes nor keeps the latent aligned with the pixels.
	 * This test therefore only checks that the constraints act (the outputs differ) and prints both numbers;
	 * {@link ConstraintConsistencyTest} shows them lowering the error (14.4 vs 33.5) with a pixel-aligned, invertible
	 * test VAE, and {@link ConstraintConsistencyBenchmark} measures each constraint alone.
	 */
	@Test
	void constraintsActOnKeyFramesAndBothErrorsAreReported() throws Exception {
		double on = keyFrameError(tiny.job("on").seed(3));
		double off = keyFrameError(PipelineFixtures.unconstrained(tiny.job("off").seed(3)));
		System.out.printf("fixture models (random VAE): key-frame warping error (0..255, mean over consecutive key frames 0,1,5,9): "
			+ "constraints on %.3f, off %.3f (a random VAE cannot carry the warped previous frame over; see ConstraintConsistencyTest)%n",
			on, off);
		assertTrue(Double.isFinite(on) && Double.isFinite(off));
		assertTrue(Math.abs(on - off) > 1e-3, "the constraints must change the key frames (fixture models: only that they act "
			+ "is checked here): on " + on + " vs off " + off);
	}

	private static double keyFrameError(RerenderConfig.Builder b) throws Exception {
		RerenderConfig c = b.build();
		RerenderJob.Result r = new RerenderJob(c, cfg -> tiny.models()).run(RerenderJob.Steps.KEY_FRAMES, null, null);
		List<Rgb8Image> in = new ArrayList<>(), out = new ArrayList<>();
		List<Integer> frames = new ArrayList<>(List.of(0));
		frames.addAll(r.keyFrames());
		for (int k : frames) {
			in.add(FolderFrames.read(r.workDir().resolve(String.format("frames/%04d.png", k))));
			out.add(FolderFrames.read(r.workDir().resolve(String.format("keys/%04d.png", k))));
		}
		try (FlowEstimator flow = FrameFlows.estimator(FlowMethod.DIS)) {
			return WarpingError.compute(in, out, flow, org.rerender.engine.Progress.NONE,
				org.rerender.engine.Cancel.NEVER).stream().mapToDouble(WarpingError.FrameError::output).average().orElseThrow();
		}
	}
}
