package org.rerender.propagate.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayInputStream;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.dist.InstallCheck;
import org.rerender.engine.RerenderException;

/**
 * Where {@link NativeLibrary} loads the library from: version choice between java.library.path and the jar,
 * extraction fallbacks (a temp folder that cannot be written or loaded from, as on a noexec /tmp), the final error;
 * the real library's version and self-check; and the whole thing in a child JVM with an unusable temp folder.
 */
class NativeLibraryTest {

	@TempDir
	Path tmp;

	static final String LIB = System.mapLibraryName(NativeLibrary.NAME);

	/** A stand-in library file: some bytes with the version tag (or none) inside. */
	static byte[] fakeLibrary(String version) {
		String body = "\u007fELF...." + (version == null ? "" : NativeLibrary.VERSION_TAG + version) + "\0more";
		return body.getBytes(StandardCharsets.ISO_8859_1);
	}

	/** Records the files it is asked to load; fails for files under {@code failUnder} as a noexec mount does. */
	static final class FakeLoader implements NativeLibrary.Loader {
		final List<Path> loaded = new ArrayList<>();
		final Path failUnder;

		FakeLoader(Path failUnder) { this.failUnder = failUnder; }

		@Override
		public void load(Path file) {
			if (failUnder != null && file.startsWith(failUnder))
				throw new UnsatisfiedLinkError(file + ": failed to map segment from shared object");
			loaded.add(file);
		}
	}

	NativeLibrary.Sources sources(List<Path> libPath, byte[] jarCopy, Path temp, Path cache) {
		return new NativeLibrary.Sources(libPath, "/natives/linux-x86_64/" + LIB,
			jarCopy == null ? null : () -> new ByteArrayInputStream(jarCopy), temp, cache);
	}

	@Test
	void javaVersionConstantMatchesTheNativeHeaderAndTheLoadedLibrary() throws Exception {
		String header = Files.readString(Path.of("native/ebsynth/include/rerender_synth.h"));
		Matcher m = Pattern.compile("#define RR_SYNTH_VERSION \"([^\"]+)\"").matcher(header);
		assertTrue(m.find());
		assertEquals(m.group(1), NativeLibrary.VERSION);
		NativeLibrary.load();
		assertEquals(NativeLibrary.VERSION, EbsynthNative.version());
		// the shipped build's C++ error paths (static libstdc++, libgcc_s unwinder, our std::__throw_*, worker threads)
		assertEquals("version " + NativeLibrary.VERSION + ", self-check ok", NativeLibrary.check());
	}

	@Test
	void versionIsReadFromTheFileBytes() throws Exception {
		Path built = Path.of("target/classes/natives/linux-x86_64", LIB);
		assumeTrue(Files.isRegularFile(built), "native library not built");
		assertEquals(NativeLibrary.VERSION, NativeLibrary.versionOf(built));
		Path none = Files.write(tmp.resolve("none.so"), fakeLibrary(null));
		assertNull(NativeLibrary.versionOf(none));
		assertNull(NativeLibrary.versionOf(tmp.resolve("missing.so")));
	}

	@Test
	void matchingCopyOnTheLibraryPathIsLoadedWithoutExtracting() throws Exception {
		Path lib = Files.createDirectories(tmp.resolve("Fiji.app/lib/linux64"));
		Files.write(lib.resolve(LIB), fakeLibrary(NativeLibrary.VERSION));
		FakeLoader loader = new FakeLoader(null);
		List<String> warnings = new ArrayList<>();
		String where = NativeLibrary.locate(sources(List.of(tmp.resolve("empty"), lib), fakeLibrary(NativeLibrary.VERSION),
			tmp.resolve("t"), tmp.resolve("c")), loader, warnings::add);
		assertEquals(List.of(lib.resolve(LIB)), loader.loaded);
		assertTrue(where.startsWith("loaded from java.library.path"), where);
		assertTrue(warnings.isEmpty(), warnings.toString());
		assertFalse(Files.exists(tmp.resolve("t")));
	}

	@Test
	void copyOfAnotherVersionIsSkippedForTheJarsCopy() throws Exception {
		for (String old : new String[] { "1.0.9", null }) {
			Path lib = Files.createDirectories(tmp.resolve("lib-" + old));
			Files.write(lib.resolve(LIB), fakeLibrary(old));
			byte[] jar = fakeLibrary(NativeLibrary.VERSION);
			FakeLoader loader = new FakeLoader(null);
			List<String> warnings = new ArrayList<>();
			String where = NativeLibrary.locate(sources(List.of(lib), jar, tmp.resolve("t"), tmp.resolve("c")), loader, warnings::add);
			assertEquals(1, loader.loaded.size());
			Path used = loader.loaded.get(0);
			assertTrue(used.startsWith(tmp.resolve("t")), used.toString());
			assertArrayEquals(jar, Files.readAllBytes(used));
			assertTrue(where.contains("extracted to " + used), where);
			assertEquals(1, warnings.size());
			assertTrue(warnings.get(0).contains(old == null ? "unknown" : old) && warnings.get(0).contains(NativeLibrary.VERSION),
				warnings.get(0));
		}
	}

	@Test
	void copyOfAnotherVersionIsStillLoadedWhenTheJarHasNone() throws Exception {
		Path lib = Files.createDirectories(tmp.resolve("lib"));
		Files.write(lib.resolve(LIB), fakeLibrary("0.5"));
		FakeLoader loader = new FakeLoader(null);
		List<String> warnings = new ArrayList<>();
		NativeLibrary.locate(sources(List.of(lib), null, tmp.resolve("t"), tmp.resolve("c")), loader, warnings::add);
		assertEquals(List.of(lib.resolve(LIB)), loader.loaded);
		assertEquals(1, warnings.size());
	}

	@Test
	void unusableTempFolderFallsBackToTheCacheFolder() throws Exception {
		byte[] jar = fakeLibrary(NativeLibrary.VERSION);
		// (a) the temp "folder" is a file: extraction fails
		Path notADir = Files.writeString(tmp.resolve("not-a-dir"), "x");
		Path cache = tmp.resolve("cache/rerender/natives");
		FakeLoader loader = new FakeLoader(null);
		String where = NativeLibrary.locate(sources(List.of(), jar, notADir, cache), loader, w -> {});
		assertEquals(1, loader.loaded.size());
		Path cached = loader.loaded.get(0);
		assertEquals(cache, cached.getParent());
		assertTrue(cached.getFileName().toString().startsWith("lib" + NativeLibrary.NAME + "-" + NativeLibrary.VERSION + "-"), cached.toString());
		assertArrayEquals(jar, Files.readAllBytes(cached));
		assertTrue(where.contains(cached.toString()), where);

		// (b) extraction works but loading from there fails (noexec mount): the temp copy is removed, the cache is used
		Path noexec = Files.createDirectories(tmp.resolve("noexec"));
		FakeLoader failing = new FakeLoader(noexec);
		NativeLibrary.locate(sources(List.of(), jar, noexec, cache), failing, w -> {});
		assertEquals(List.of(cached), failing.loaded, "the cached copy is reused");
		try (var s = Files.list(noexec)) {
			assertEquals(0, s.count(), "the unloadable temp copy is deleted");
		}
		// a changed jar copy replaces the cached one under a new name
		byte[] other = fakeLibrary(NativeLibrary.VERSION + " ");
		other[0] = 1;
		FakeLoader again = new FakeLoader(noexec);
		NativeLibrary.locate(sources(List.of(), other, noexec, cache), again, w -> {});
		assertFalse(again.loaded.get(0).equals(cached));
		assertArrayEquals(other, Files.readAllBytes(again.loaded.get(0)));
	}

	@Test
	void whenNothingWorksTheErrorListsEveryAttempt() throws Exception {
		Path lib = Files.createDirectories(tmp.resolve("lib"));
		Files.write(lib.resolve(LIB), fakeLibrary("0.1"));
		Path noexec = Files.createDirectories(tmp.resolve("noexec"));
		Path cacheFile = Files.writeString(tmp.resolve("cache-is-a-file"), "x");
		RerenderException e = assertThrows(RerenderException.class, () -> NativeLibrary.locate(
			sources(List.of(lib), fakeLibrary(NativeLibrary.VERSION), noexec.resolve("tmp"), cacheFile), new FakeLoader(noexec), w -> {}));
		String m = e.getMessage();
		assertTrue(m.contains(lib.resolve(LIB) + ": version 0.1"), m);
		assertTrue(m.contains("extracted to " + noexec.resolve("tmp")) && m.contains("failed to map segment"), m);
		assertTrue(m.contains("extracted to " + cacheFile), m);
		assertTrue(m.contains("-D" + NativeLibrary.EXTRACT_DIR_PROPERTY + "=DIR"), m);

		RerenderException none = assertThrows(RerenderException.class, () -> NativeLibrary.locate(
			sources(List.of(tmp.resolve("nowhere")), null, tmp, tmp), new FakeLoader(null), w -> {}));
		assertTrue(none.getMessage().contains("Native library not available for this platform"), none.getMessage());
	}

	/** The real loader in a child JVM whose temp folder cannot hold the library: it comes from the cache folder. */
	@Test
	void childJvmWithAnUnusableTempFolderLoadsFromTheCacheFolder() throws Exception {
		assumeTrue(NativeLibrary.class.getResource("/natives/linux-x86_64/" + LIB) != null, "native library not built");
		Path notADir = Files.writeString(tmp.resolve("tmp-is-a-file"), "x");
		Path cache = tmp.resolve("cache");
		List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
			"-cp", System.getProperty("java.class.path"), "-Djava.library.path=" + tmp.resolve("no-libs"),
			"-D" + NativeLibrary.EXTRACT_DIR_PROPERTY + "=" + notADir, "-D" + NativeLibrary.CACHE_DIR_PROPERTY + "=" + cache,
			InstallCheck.class.getName(), "--call", NativeLibrary.class.getName() + "#check",
			"--call", NativeLibrary.class.getName() + "#message");
		Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
		assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM timed out");
		String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertEquals(0, p.exitValue(), out);
		assertTrue(out.contains("#check -> version " + NativeLibrary.VERSION + ", self-check ok"), out);
		assertTrue(out.contains("extracted to " + cache + File.separator + "lib" + NativeLibrary.NAME), out);
	}
}
