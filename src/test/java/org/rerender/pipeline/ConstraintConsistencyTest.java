package org.rerender.pipeline;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.config.Period;
import org.rerender.config.RerenderConfig;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.flow.FlowEstimator;
import org.rerender.flow.FlowMethod;
import org.rerender.flow.WarpingError;
import org.rerender.image.Rgb8Image;
import org.rerender.model.download.ModelManifest;
import org.rerender.propagate.FolderFrames;
import org.rerender.propagate.FrameFlows;
import org.rerender.testing.Fixtures;
import org.rerender.testing.StructuredVae;

/**
 * Temporal consistency of the key frames, constraints on vs off, end to end on a real clip with DIS flow, on a
 * model set where the constraints can work as designed: the tiny fixture UNet, ControlNet and CLIP text encoder
 * (random weights) with the analytic, pixel-aligned {@link StructuredVae} in place of the random tiny VAE.
 */
class ConstraintConsistencyTest {
	@TempDir
	static Path dir;
	static Path clip;
	static DiffusionModels models;


	@BeforeAll
	static void setUp() throws Exception {
		PipelineFixtures.requireFixtures();
		clip = PipelineFixtures.clip(dir, 13);
		Path vae = StructuredVae.write(dir.resolve("structured-vae.safetensors"));
		RerenderConfig c = PipelineFixtures.config(clip, dir.resolve("x.mp4"), dir).build();
		DiffusionModels.Files f = DiffusionModels.resolve(c, PipelineFixtures.store(dir), ModelManifest.packaged());
		models = DiffusionModels.load(new DiffusionModels.Files(f.controlNet(), f.sdModel(), vae, f.tokenizer(), null));
	}

	@AfterAll
	static void tearDown() {
		if (models != null) models.close();
	}

	/**
	 * The job: 13 frames, key frames 0, 1, 5, 9, 12 (interval 4), 10 DDIM steps, the original's default periods
	 * (cross-frame attention [0,1], shape-aware fusion [0,0.1], pixel-aware fusion [0.5,0.8]) with the interactive
	 * defaults' SDEdit strength 0.75 and AdaIN period [0.8,1]; FreeU stays the identity (it is not a consistency
	 * constraint).
	 */
	static RerenderConfig.Builder job(String name, long seed) {
		return PipelineFixtures.config(clip, dir.resolve(name + ".mp4"), dir.resolve(name)).seed(seed).interval(4)
			.ddimSteps(10).x0Strength(0.75).adaPeriod(new Period(0.8, 1));
	}

	static double[] inputErrors;

	/** The warping error of each pair of consecutive key frames' outputs (0..255, visible pixels). */
	static double[] pairErrors(RerenderConfig.Builder b, DiffusionModels m) throws Exception {
		RerenderJob.Result r = new RerenderJob(b.build(), cfg -> m).run(RerenderJob.Steps.KEY_FRAMES, null, null);
		List<Rgb8Image> in = new ArrayList<>(), out = new ArrayList<>();
		List<Integer> frames = new ArrayList<>(List.of(0));
		frames.addAll(r.keyFrames());
		for (int k : frames) {
			in.add(FolderFrames.read(r.workDir().resolve(String.format("frames/%04d.png", k))));
			out.add(FolderFrames.read(r.workDir().resolve(String.format("keys/%04d.png", k))));
		}
		try (FlowEstimator flow = FrameFlows.estimator(FlowMethod.DIS)) {
			List<WarpingError.FrameError> e = WarpingError.compute(in, out, flow, Progress.NONE, Cancel.NEVER);
			inputErrors = e.stream().mapToDouble(WarpingError.FrameError::input).toArray();
			return e.stream().mapToDouble(WarpingError.FrameError::output).toArray();
		}
	}

	static String fmt(double[] v) {
		StringBuilder s = new StringBuilder();
		for (double x : v) s.append(String.format(" %.2f", x));
		return s.toString().trim();
	}

	static double mean(double[] v) {
		double s = 0;
		for (double x : v) s += x;
		return s / v.length;
	}

	@Test
	void constraintsLowerTheKeyFrameWarpingError() throws Exception {
		long seed = 11;
		double[] on = pairErrors(job("on", seed), models);
		double[] off = pairErrors(PipelineFixtures.unconstrained(job("off", seed)), models);
		System.out.printf("structured VAE, seed %d, key frames 0,1,5,9,12: key-frame warping error per consecutive pair "
			+ "(0..255, visible pixels), constraints on [%s] mean %.2f, off [%s] mean %.2f (input clip [%s])%n",
			seed, fmt(on), mean(on), fmt(off), mean(off), fmt(inputErrors));
		for (int i = 0; i < on.length; i++)
			assertTrue(on[i] < off[i], "pair " + i + ": constraints on must lower the warping error: on " + fmt(on) + ", off " + fmt(off));
		assertTrue(mean(on) < 0.75 * mean(off), "constraints on must lower the mean warping error by at least 25 %: on "
			+ mean(on) + ", off " + mean(off));
	}
}
