package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.rerender.dist.DependencyPolicy;
import org.rerender.dist.UpdateSiteBuilder;
import org.scijava.util.FileUtils;

/**
 * The real runtime class path is fully covered by the update-site policy, and the shipped file names stay distinct
 * once the updater strips their versions (it keys files by the unversioned name, via SciJava's FileUtils).
 * Lives in the fiji package because it uses SciJava.
 */
class UpdateSiteNamesTest {

	@Test
	void realClasspathIsDecidedAndNamesStayDistinct() throws Exception {
		Path cp = Path.of("target/classpath.txt");
		assumeTrue(Files.isRegularFile(cp), "target/classpath.txt not generated (run mvn process-resources)");
		List<String> shipped = new ArrayList<>();
		for (Path jar : UpdateSiteBuilder.readClasspath(cp)) {
			DependencyPolicy.Decision d = DependencyPolicy.decide(jar); // throws for an undecided jar
			if (d.action() == DependencyPolicy.Action.SHIP) shipped.add("jars/" + d.installName());
		}
		assertTrue(shipped.stream().anyMatch(s -> s.contains("pytorch-native-cpu")), shipped.toString());
		shipped.add("plugins/Rerender_Video-0.1.0.jar");
		Set<String> unversioned = new HashSet<>();
		for (String s : shipped) unversioned.add(FileUtils.stripFilenameVersion(s));
		assertEquals(shipped.size(), unversioned.size(), "two shipped files collapse to one updater name: " + shipped);
	}
}
