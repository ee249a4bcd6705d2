package org.rerender.architecture;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The engine knows no Fiji: only {@code org.rerender.fiji} may import SciJava, ImageJ or ImageJ 1.x classes,
 * so everything else runs in a plain JVM (CLI, tests, a child process).
 */
class LayeringTest {

	private static final Pattern FIJI_IMPORT = Pattern.compile("^\\s*import\\s+(static\\s+)?(org\\.scijava|net\\.imagej|ij)\\.",
		Pattern.MULTILINE);

	@Test
	void onlyTheFijiPackageImportsFiji() throws IOException {
		Path root = Path.of("src/main/java/org/rerender");
		List<String> offenders = new ArrayList<>();
		try (Stream<Path> files = Files.walk(root)) {
			for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
				if (root.relativize(f).startsWith("fiji")) continue;
				if (FIJI_IMPORT.matcher(Files.readString(f)).find()) offenders.add(root.relativize(f).toString());
			}
		}
		assertTrue(offenders.isEmpty(), "engine classes importing Fiji/ImageJ: " + offenders);
	}

	@Test
	void noClassGrowsIntoAGodClass() throws IOException {
		List<String> big = new ArrayList<>();
		try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
			for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
				long lines = Files.readAllLines(f).size();
				if (lines > 600) big.add(f.getFileName() + " (" + lines + " lines)");
			}
		}
		assertTrue(big.isEmpty(), "split these classes: " + big);
	}

	/** The video package was split to the style guide's size (~400 lines at most): keep it there. */
	@Test
	void videoClassesStayWithinTheStyleGuidesSize() throws IOException {
		List<String> big = new ArrayList<>();
		try (Stream<Path> files = Files.list(Path.of("src/main/java/org/rerender/video"))) {
			for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
				long lines = Files.readAllLines(f).size();
				if (lines > 400) big.add(f.getFileName() + " (" + lines + " lines)");
			}
		}
		assertTrue(big.isEmpty(), "split these classes: " + big);
	}
}
