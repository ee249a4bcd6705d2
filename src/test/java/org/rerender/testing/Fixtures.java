package org.rerender.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the reference fixtures live: the system property {@code rerender.fixtures}
 * (default {@code ../shared/fixtures}), so parity tests can be pointed at another
 * reference set with {@code -Drerender.fixtures=DIR}.
 */
public final class Fixtures {
	private Fixtures() {}

	public static Path dir() {
		String p = System.getProperty("rerender.fixtures");
		return Path.of(p == null || p.isBlank() ? "../shared/fixtures" : p).toAbsolutePath().normalize();
	}

	/** A file under the fixtures folder; the test is skipped (not failed) when the folder is absent. */
	public static Path file(String relative) {
		Path f = dir().resolve(relative);
		assumeTrue(Files.exists(f), "fixture not present: " + f);
		return f;
	}

	/**
	 * {@code parent/models}, created, holding the CLIP tokenizer vocabulary from the fixtures: the models folder a test
	 * hands to a command or job that runs the tiny fixture networks (the vocabulary is the one file they look up there).
	 */
	public static Path modelsFolder(Path parent) throws IOException {
		Path models = Files.createDirectories(parent.resolve("models"));
		Files.copy(file("bpe_simple_vocab_16e6.txt.gz"), models.resolve("bpe_simple_vocab_16e6.txt.gz"));
		return models;
	}
}
