package org.rerender.pipeline;

import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.config.Period;
import org.rerender.config.RerenderConfig;
import org.rerender.model.download.ModelManifest;
import org.rerender.testing.StructuredVae;
import org.rerender.testing.Tags;

/**
 * Which constraint moves the key frames' warping error which way, and why the tiny RANDOM fixture VAE cannot show
 * the constraints' effect (the findings are in README.md, key-frames section, and in
 * {@link ConstraintConsistencyTest}'s javadoc). Runs the key-frame step of a job on the first 10 frames of the city
 * clip (DIS flow, key frames 0, 1, 5, 9 at interval 4, canny, 128×64) for each constraint alone, all, and none,
 * and for a few step counts, SDEdit strengths and intervals, once with the fixture models and once with the
 * fixture UNet/ControlNet/CLIP and the analytic pixel-aligned {@link StructuredVae}; prints the mean warping error
 * over the consecutive key-frame pairs (0..255, visible pixels) of each run.
 * Run: {@code mvn test -Pbench -Dtest=ConstraintConsistencyBenchmark}.
 */
@Tag(Tags.BENCH)
class ConstraintConsistencyBenchmark {
	@TempDir
	Path dir;
	private int runs;

	private record Variant(String name, UnaryOperator<RerenderConfig.Builder> apply) {}

	private static RerenderConfig.Builder only(RerenderConfig.Builder b, String which) {
		PipelineFixtures.unconstrained(b);
		switch (which) {
			case "cross" -> b.crossPeriod(new Period(0, 1));
			case "warp" -> b.warpPeriod(new Period(0, 0.1));
			case "ada" -> b.adaPeriod(new Period(0.8, 1));
			case "mask" -> b.maskPeriod(new Period(0.5, 0.8));
			case "freeu" -> b.freeuArgs(1.1, 1.2, 1, 0.2);
			default -> throw new IllegalArgumentException(which);
		}
		return b;
	}

	private static final Variant[] CONSTRAINTS = {
		new Variant("all off", PipelineFixtures::unconstrained),
		new Variant("all on", b -> b.adaPeriod(new Period(0.8, 1))),
		new Variant("cross only", b -> only(b, "cross")),
		new Variant("warp only", b -> only(b, "warp")),
		new Variant("ada only", b -> only(b, "ada")),
		new Variant("mask only", b -> only(b, "mask")),
		new Variant("FreeU only", b -> only(b, "freeu")),
	};

	private static final Variant[] SETTINGS = {
		new Variant("5 steps, x0 0.75", b -> b.ddimSteps(5).x0Strength(0.75)),
		new Variant("10 steps, x0 0.75", b -> b.ddimSteps(10).x0Strength(0.75)),
		new Variant("10 steps, x0 0.5", b -> b.ddimSteps(10).x0Strength(0.5)),
		new Variant("10 steps, x0 1.0", b -> b.ddimSteps(10).x0Strength(1.0)),
		new Variant("10 steps, from noise (x0 -1)", b -> b.ddimSteps(10).x0Strength(-1)),
		new Variant("10 steps, x0 0.75, interval 2", b -> b.ddimSteps(10).x0Strength(0.75).interval(2)),
	};

	private double run(Path clip, DiffusionModels m, UnaryOperator<RerenderConfig.Builder> setting,
		UnaryOperator<RerenderConfig.Builder> variant) throws Exception
	{
		String name = "run" + runs++;
		RerenderConfig.Builder b = PipelineFixtures.config(clip, dir.resolve(name + ".mp4"), dir.resolve(name)).seed(3);
		return ConstraintConsistencyTest.mean(ConstraintConsistencyTest.run(variant.apply(setting.apply(b)), m).output());
	}

	@Test
	void constraintByConstraint() throws Exception {
		PipelineFixtures.requireFixtures();
		Path clip = PipelineFixtures.clip(dir, 10);
		RerenderConfig c = PipelineFixtures.config(clip, dir.resolve("x.mp4"), dir).build();
		DiffusionModels.Files f = DiffusionModels.resolve(c, PipelineFixtures.store(dir), ModelManifest.packaged());
		Path vae = StructuredVae.write(dir.resolve("structured-vae.safetensors"));
		for (boolean structured : new boolean[] {false, true}) {
			String models = structured ? "structured VAE" : "fixture (random) VAE";
			try (DiffusionModels m = DiffusionModels.load(new DiffusionModels.Files(f.controlNet(), f.sdModel(),
				structured ? vae : null, f.tokenizer(), null)))
			{
				for (Variant s : structured ? new Variant[] {SETTINGS[1]} : new Variant[] {SETTINGS[0]})
					for (Variant v : CONSTRAINTS)
						System.out.printf("| %s | %s | %s | %.2f |%n", models, s.name(), v.name(), run(clip, m, s.apply(), v.apply()));
				for (Variant s : SETTINGS) {
					if (s == SETTINGS[0] || structured && s == SETTINGS[1]) continue;
					System.out.printf("| %s | %s | all off | %.2f |%n", models, s.name(), run(clip, m, s.apply(), CONSTRAINTS[0].apply()));
					System.out.printf("| %s | %s | all on | %.2f |%n", models, s.name(), run(clip, m, s.apply(), CONSTRAINTS[1].apply()));
				}
			}
		}
		// a latent gain 8x the SD-like one: the picture dominates the sampler's noise, which the random UNet leaves in
		Path loud = StructuredVae.write(dir.resolve("structured-vae-gain40.safetensors"), 40f);
		try (DiffusionModels m = DiffusionModels.load(new DiffusionModels.Files(f.controlNet(), f.sdModel(), loud, f.tokenizer(), null))) {
			for (Variant v : new Variant[] {CONSTRAINTS[0], CONSTRAINTS[1]})
				System.out.printf("| structured VAE, gain 40 | %s | %s | %.2f |%n", SETTINGS[1].name(), v.name(),
					run(clip, m, SETTINGS[1].apply(), v.apply()));
		}
	}
}
