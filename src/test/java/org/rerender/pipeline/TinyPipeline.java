package org.rerender.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.rerender.config.RerenderConfig;

/**
 * A test class's shared job material: a temporary folder, the first frames of the city clip in it
 * ({@link PipelineFixtures#clip}) and the tiny fixture models ({@link PipelineFixtures#tinyModels}, or a
 * {@link #models(Loader) loader} of the class's own). Declared as
 * {@code @RegisterExtension static final TinyPipeline tiny = TinyPipeline.frames(10);} in place of a {@code @TempDir}
 * field and a {@code @BeforeAll}/{@code @AfterAll} pair. Before the class's first test (and before its own
 * {@code @BeforeAll} methods) it skips the class when the fixtures are missing ({@link PipelineFixtures#requireFixtures}),
 * then creates the folder, the clip and the models; after the class's last test (and after its {@code @AfterAll}
 * methods) it closes the models and deletes the folder with all in it.
 */
final class TinyPipeline implements BeforeAllCallback, AfterAllCallback {
	/** Loads the class's models from its clip, with {@code dir} free for a model folder and other files. */
	@FunctionalInterface
	interface Loader {
		DiffusionModels load(Path clip, Path dir) throws Exception;
	}

	private final int frames;
	private final Loader loader;
	private Path dir;
	private Path clip;
	private DiffusionModels models;

	private TinyPipeline(int frames, Loader loader) {
		this.frames = frames;
		this.loader = loader;
	}

	/** The first {@code count} frames of the city clip with the tiny fixture models. */
	static TinyPipeline frames(int count) {
		return new TinyPipeline(count, PipelineFixtures::tinyModels);
	}

	/** The same clip with the models {@code loader} loads in place of the tiny fixture models. */
	TinyPipeline models(Loader loader) {
		return new TinyPipeline(frames, loader);
	}

	/** The class's temporary folder; it holds {@link #clip()} and the model folder. */
	Path dir() {
		return started(dir);
	}

	/** The clip, {@code clip.mp4} in {@link #dir()}. */
	Path clip() {
		return started(clip);
	}

	/** The models, shared by the class's tests and closed after the last of them. */
	DiffusionModels models() {
		return started(models);
	}

	/**
	 * {@link PipelineFixtures#config}'s job on {@link #clip()}, with output {@code name.mp4} and work folder
	 * {@code name} in {@link #dir()}.
	 */
	RerenderConfig.Builder job(String name) {
		return PipelineFixtures.config(clip(), dir().resolve(name + ".mp4"), dir().resolve(name));
	}

	private static <T> T started(T value) {
		if (value == null) throw new IllegalStateException("TinyPipeline is set up only while its test class runs: "
			+ "declare it as a static field with @RegisterExtension");
		return value;
	}

	@Override
	public void beforeAll(ExtensionContext context) throws Exception {
		PipelineFixtures.requireFixtures();
		dir = Files.createTempDirectory("tiny-pipeline");
		clip = PipelineFixtures.clip(dir, frames);
		models = loader.load(clip, dir);
	}

	@Override
	public void afterAll(ExtensionContext context) throws Exception {
		try {
			if (models != null) models.close();
		} finally {
			models = null;
			clip = null;
			if (dir != null) delete(dir);
			dir = null;
		}
	}

	/** Deletes {@code root} with everything in it, children before their folder. */
	private static void delete(Path root) throws IOException {
		List<Path> paths;
		try (Stream<Path> s = Files.walk(root)) {
			paths = s.sorted(Comparator.reverseOrder()).toList();
		}
		for (Path p : paths) Files.deleteIfExists(p);
	}
}
