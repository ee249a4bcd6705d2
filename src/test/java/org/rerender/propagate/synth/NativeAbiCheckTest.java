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
 * every link): the built libRerenderSynth passes it (needing libgomp.so.1 within the limits GOMP_4.0 / OMP_1.0), and
 * it fails for a library that needs a new glibc or OpenMP symbol version, a library outside the allowlist, or exports
 * more than allowed.
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
		assertTrue(!r.out().contains("libstdc++") && !r.out().contains("libpthread"), r.out());
		// OpenMP from the system's libgomp, through entry points GCC 4.9's libgomp has (plain dynamic schedules
		// would need GOMP_4.5)
		assertTrue(r.out().contains("libgomp.so.1") && r.out().contains("GOMP_4.0") && r.out().contains("OMP_1.0"), r.out());
	}

	/** A probe library compiled from C, named libRerenderSynth.so in its own folder (so the Makefile's check runs on it). */
	Path probe(String name, String code) throws Exception {
		Path dir = Files.createDirectories(tmp.resolve(name));
		Path src = dir.resolve("probe.c");
		Files.writeString(src, code);
		Path so = dir.resolve("libRerenderSynth.so");
		Result cc = run(List.of("cc", "-shared", "-fPIC", "-o", so.toString(), src.toString(), "-lgomp"));
		assumeTrue(cc.exit() == 0, "no C compiler with arc4random and libgomp: " + cc.out());
		return dir;
	}

	static Result makefileCheck(Path dir) throws Exception {
		return run(List.of("make", "-s", "-C", "native/ebsynth", "abi-check", "OUT=" + dir.toAbsolutePath()));
	}

	@Test
	void makefileLimitsAllowOldOpenMpAndRefuseNewGlibcNewOpenMpAndExtraExports() throws Exception {
		// allowed: libgomp.so.1 with an OMP_1.0 entry point, only a JNI export
		Path ok = probe("ok", "int omp_get_max_threads(void);\n"
			+ "int Java_org_rerender_propagate_synth_EbsynthNative_probe(void) { return omp_get_max_threads(); }\n");
		Result r = makefileCheck(ok);
		assertEquals(0, r.exit(), r.out());
		assertTrue(r.out().contains("needs: libgomp.so.1") || r.out().contains(" libgomp.so.1"), r.out());

		// refused: arc4random is GLIBC_2.36, omp_get_num_places OMP_4.5 (GCC 6), and a non-JNI export
		Path bad = probe("bad", "#include <stdlib.h>\nint omp_get_num_places(void);\n"
			+ "unsigned rerender_probe(void) { return arc4random() + omp_get_num_places(); }\n");
		r = makefileCheck(bad);
		assertTrue(r.exit() != 0, r.out());
		assertTrue(r.out().contains("GLIBC_2.36 (limit GLIBC_2.17)") && r.out().contains("arc4random"), r.out());
		assertTrue(r.out().contains("OMP_4.5 (limit OMP_1.0)") && r.out().contains("omp_get_num_places"), r.out());
		assertTrue(r.out().contains("rerender_probe"), r.out());
		assertTrue(!r.out().contains("not in the allowlist"), r.out());
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
