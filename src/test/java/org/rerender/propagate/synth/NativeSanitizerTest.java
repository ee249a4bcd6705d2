package org.rerender.propagate.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.rerender.testing.Tags;

/**
 * Builds the native core with -fsanitize=address,undefined and with -fsanitize=thread and runs its C test driver
 * under each (`make -C native/ebsynth sanitize-check`; about two minutes on 2 cores, hence heavy).
 * The same check runs in the build with {@code mvn test -Psanitize}.
 */
@Tag(Tags.HEAVY)
class NativeSanitizerTest {

	@Test
	void sanitizerBuildRunsClean() throws Exception {
		Process p = new ProcessBuilder("make", "-C", "native/ebsynth", "BUILD=" + new File("target/native-asan").getAbsolutePath(),
			"sanitize-check").redirectErrorStream(true).start();
		String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertTrue(p.waitFor(10, TimeUnit.MINUTES));
		System.out.println(out);
		assertEquals(0, p.exitValue(), out);
		assertEquals(2, out.split("all passed", -1).length - 1, out);
		assertTrue(!out.contains("ERROR: AddressSanitizer") && !out.contains("runtime error:")
			&& !out.contains("WARNING: ThreadSanitizer"), out);
	}
}
