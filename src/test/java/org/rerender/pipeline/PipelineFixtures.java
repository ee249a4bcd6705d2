package org.rerender.pipeline;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rerender.config.Period;
import org.rerender.config.RerenderConfig;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.image.Rgb8Image;
import org.rerender.model.download.ModelStore;
import org.rerender.testing.Fixtures;
import org.rerender.testing.StructuredVae;
import org.rerender.video.VideoReader;
import org.rerender.video.VideoWriter;
import org.rerender.model.download.ModelManifest;

/** A short real clip cut from {@code examples/city.mp4} and the tiny fixture models as a job's model files. */
final class PipelineFixtures {
	static final Path CITY = Path.of("examples/city.mp4");

	private PipelineFixtures() {}

	/** Skips when the fixtures folder (tiny models, tokenizer) is absent. */
	static void requireFixtures() {
		assumeTrue(Files.isDirectory(Fixtures.dir()) && Files.exists(Fixtures.dir().resolve("tiny-sd15.safetensors")),
			"fixtures folder with the tiny models not found: " + Fixtures.dir());
		assumeTrue(Files.isRegularFile(CITY), "examples/city.mp4 not found");
	}

	/** The first {@code count} frames of the city clip, written as an mp4 (with the clip's audio) in {@code dir}. */
	static Path clip(Path dir, int count) throws Exception {
		List<Rgb8Image> frames = new ArrayList<>();
		double fps;
		try (VideoReader r = VideoReader.open(CITY)) {
			fps = r.fps();
			for (int i = 0; i < count; i++) {
				Rgb8Image f = r.read();
				if (f == null) break;
				frames.add(f);
			}
		}
		Path clip = dir.resolve("clip.mp4");
		VideoWriter.write(clip, frames, fps, CITY, Progress.NONE, Cancel.NEVER);
		return clip;
	}

	/** A model folder holding the tokenizer (the models themselves come as explicit paths in the config). */
	static ModelStore store(Path dir) throws Exception {
		Path models = Files.createDirectories(dir.resolve("models"));
		Path bpe = models.resolve("bpe_simple_vocab_16e6.txt.gz");
		if (!Files.exists(bpe)) Files.copy(Fixtures.file("bpe_simple_vocab_16e6.txt.gz"), bpe);
		return new ModelStore(models);
	}

	/** The tiny fixture models of {@link #config}'s job on {@code clip}, with a model folder in {@code dir}. */
	static DiffusionModels tinyModels(Path clip, Path dir) throws Exception {
		RerenderConfig c = config(clip, dir.resolve("x.mp4"), dir).build();
		return DiffusionModels.load(DiffusionModels.resolve(c, store(dir), ModelManifest.packaged()));
	}

	/**
	 * The tiny fixture UNet, ControlNet and CLIP text encoder with the analytic, pixel-aligned {@link StructuredVae}
	 * (written to {@code dir}) in place of the random tiny VAE.
	 */
	static DiffusionModels structuredVaeModels(Path clip, Path dir) throws Exception {
		Path vae = StructuredVae.write(dir.resolve("structured-vae.safetensors"));
		RerenderConfig c = config(clip, dir.resolve("x.mp4"), dir).build();
		DiffusionModels.Files f = DiffusionModels.resolve(c, store(dir), ModelManifest.packaged());
		return DiffusionModels.load(new DiffusionModels.Files(f.controlNet(), f.sdModel(), vae, f.tokenizer(), null));
	}

	/** A small canny job on the tiny models: 128×64 frames, interval 4, 5 steps. */
	static RerenderConfig.Builder config(Path clip, Path out, Path work) {
		return RerenderConfig.builder().input(clip).output(out).workDir(work).prompt("a watercolor painting of a city street")
			.controlType(RerenderConfig.ControlType.CANNY).canny(50, 100).controlnetModel(Fixtures.file("tiny-controlnet.safetensors"))
			.sdModel(Fixtures.file("tiny-sd15.safetensors")).imageResolution(128).interval(4).ddimSteps(5).x0Strength(0.75)
			.processes(1);
	}

	/** The same job with every constraint off (no cross-frame attention, fusion, AdaIN; FreeU identity). */
	static RerenderConfig.Builder unconstrained(RerenderConfig.Builder b) {
		return b.crossPeriod(Period.OFF).warpPeriod(Period.OFF).maskPeriod(Period.OFF).adaPeriod(Period.OFF).freeuArgs(1, 1, 1, 1);
	}
}
