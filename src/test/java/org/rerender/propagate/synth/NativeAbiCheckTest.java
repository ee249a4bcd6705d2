package org.rerender.propagate.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The portability check of the shipped native libraries ({@code native/check-abi.sh}, run by the native builds after
 * every link): the built libRerenderSynth passes it, and it fails for a library that needs a new glibc symbol
 * version, a library outside the allowlist, or exports more than allowed.
 */
class NativeAbiCheckTest {

	@TempDir
	Path tmp;

	record Result(int exit, String out) {}

	static Result run(List<String> cmd) throws Exception {
		Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
		String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertTrue(p.waitFor(120, TimeUnit.SECONDS));
		return new Result(p.exitValue(), out);
	}

	@Test
	void builtLibraryPassesTheCheckOfItsMakefile() throws Exception {
		Path out = Path.of("target/classes/natives/linux-x86_64");
		assumeTrue(Files.isRegularFile(out.resolve("libRerenderSynth.so")), "native library not built");
		Result r = run(List.of("make", "-s", "-C", "native/ebsynth", "abi-check", "OUT=" + out.toAbsolutePath()));
		assertEquals(0, r.exit(), r.out());
		assertTrue(r.out().contains("libRerenderSynth.so ok"), r.out());
		assertTrue(!r.out().contains("libgomp") && !r.out().contains("libstdc++"), r.out());
	}

	@Test
	void failsForNewSymbolVersionsUnlistedLibrariesAndExtraExports() throws Exception {
		Path src = tmp.resolve("probe.c");
		// arc4random is GLIBC_2.36; omp_get_max_threads brings libgomp.so.1
		Files.writeString(src, "#include <stdlib.h>\nint omp_get_max_threads(void);\n"
			+ "unsigned rerender_probe(void) { return arc4random() + omp_get_max_threads(); }\n");
		Path so = tmp.resolve("libprobe.so");
		Result cc = run(List.of("cc", "-shared", "-fPIC", "-o", so.toString(), src.toString(), "-lgomp"));
		assumeTrue(cc.exit() == 0, "no C compiler with arc4random and libgomp: " + cc.out());

		List<String> cmd = new ArrayList<>(List.of("sh", "native/check-abi.sh", so.toString(), "--max", "GLIBC=2.17",
			"--max", "GOMP=9", "--max", "OMP=9", "--allow", "libc.so.6", "--exports", "^Java_"));
		Result r = run(cmd);
		assertEquals(1, r.exit(), r.out());
		assertTrue(r.out().contains("GLIBC_2.36 (limit GLIBC_2.17)") && r.out().contains("arc4random"), r.out());
		assertTrue(r.out().contains("needs libgomp.so.1, which is not in the allowlist"), r.out());
		assertTrue(r.out().contains("rerender_probe"), r.out());

		// the same library passes limits it meets
		Result ok = run(List.of("sh", "native/check-abi.sh", so.toString(), "--max", "GLIBC=2.36", "--max", "GOMP=9", "--max", "OMP=9",
			"--allow", "libc.so.6 libgomp.so.*"));
		assertEquals(0, ok.exit(), ok.out());
		// and a version prefix without a limit fails
		Result noLimit = run(List.of("sh", "native/check-abi.sh", so.toString(), "--max", "GLIBC=2.36", "--allow", "libc.so.6 libgomp.so.*"));
		assertEquals(1, noLimit.exit(), noLimit.out());
		assertTrue(noLimit.out().contains("no limit set for OMP"), noLimit.out());
	}
}
