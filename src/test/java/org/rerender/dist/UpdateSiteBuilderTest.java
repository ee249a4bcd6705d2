package org.rerender.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.model.download.ModelManifest;

/**
 * Builds an update site from small generated jars plus the real project classes, reads {@code db.xml.gz} back,
 * verifies every file, installs it into an empty Fiji.app and starts the plugin there in a child JVM.
 */
class UpdateSiteBuilderTest {

	static final long TS = 20261126030000L;

	@TempDir
	static Path shared;
	static Path projectJar;

	@TempDir
	Path tmp;
	Path repo, site, natives, macros;
	List<Path> classpath;

	@BeforeEach
	void setUp() throws Exception {
		repo = tmp.resolve("m2");
		classpath = new ArrayList<>();
		classpath.add(UpdaterChecksumTest.jar(mkdirs(repo.resolve("ai/djl/api/0.36.0")).resolve("api-0.36.0.jar"), Map.of("ai/djl/X.class", "x")));
		classpath.add(UpdaterChecksumTest.jar(mkdirs(repo.resolve("org/bytedeco/ffmpeg/8.0.1-1.5.13")).resolve("ffmpeg-8.0.1-1.5.13-linux-x86_64.jar"),
			Map.of("org/bytedeco/ffmpeg/linux-x86_64/libavcodec.so", "elf")));
		classpath.add(mkdirs(repo.resolve("com/google/code/gson/gson/2.10.1")).resolve("gson-2.10.1.jar"));
		Files.copy(Path.of(com.google.gson.Gson.class.getProtectionDomain().getCodeSource().getLocation().toURI()), classpath.get(2));
		classpath.add(UpdaterChecksumTest.jar(mkdirs(repo.resolve("org/openjfx/javafx-base/17")).resolve("javafx-base-17.jar"), Map.of("F.class", "f")));
		natives = mkdirs(tmp.resolve("natives"));
		Files.write(natives.resolve("libfake_ebsynth.so"), new byte[] { 0x7f, 'E', 'L', 'F' });
		macros = mkdirs(tmp.resolve("macros"));
		Files.writeString(macros.resolve("Rerender_Batch.ijm"), "print(\"hello\");\n");
		if (projectJar == null) projectJar = projectJar(shared.resolve("Rerender_Video-0.1.0-TEST.jar"));
		site = tmp.resolve("site");
	}

	static Path mkdirs(Path p) throws IOException {
		return Files.createDirectories(p);
	}

	/** The real compiled project classes and resources as a jar. */
	static Path projectJar(Path out) throws Exception {
		Path classes = Path.of(ModelManifest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
		try (OutputStream o = Files.newOutputStream(out); JarOutputStream j = new JarOutputStream(o); Stream<Path> s = Files.walk(classes)) {
			for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
				j.putNextEntry(new JarEntry(classes.relativize(p).toString().replace('\\', '/')));
				Files.copy(p, j);
				j.closeEntry();
			}
		}
		return out;
	}

	UpdateSiteBuilder.Site build(Path natives) throws IOException {
		return UpdateSiteBuilder.build(new UpdateSiteBuilder.Config(projectJar, classpath, natives, macros, site, TS));
	}

	@Test
	void dbListsEveryFileWithMatchingChecksumAndSize() throws Exception {
		build(natives);
		List<SiteRecord> records;
		try (InputStream in = Files.newInputStream(site.resolve("db.xml.gz"))) {
			records = UpdateSiteDb.readGz(in);
		}
		List<String> names = records.stream().map(SiteRecord::filename).toList();
		assertEquals(List.of("plugins/Rerender_Video-0.1.0-TEST.jar", "lib/linux64/libfake_ebsynth.so", "macros/Rerender_Batch.ijm",
			"jars/djl-api-0.36.0.jar", "jars/ffmpeg-8.0.1-1.5.13-linux-x86_64.jar"), names);
		for (SiteRecord r : records) {
			Path f = site.resolve(r.filename() + "-" + TS);
			assertTrue(Files.isRegularFile(f), r.siteName());
			assertEquals(Files.size(f), r.filesize(), r.filename());
			assertEquals(UpdaterChecksum.of(r.filename(), f), r.checksum(), r.filename());
			assertEquals(TS, r.timestamp());
		}
		// plain files: the checksum is SHA-1(path + bytes), recomputed here independently
		SiteRecord lib = records.get(1);
		MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
		sha1.update("lib/linux64/libfake_ebsynth.so".getBytes(StandardCharsets.US_ASCII));
		sha1.update(Files.readAllBytes(natives.resolve("libfake_ebsynth.so")));
		assertEquals(HexFormat.of().formatHex(sha1.digest()), lib.checksum());
		assertEquals(List.of("linux64"), lib.platforms());
		assertEquals(List.of("linux64"), records.get(4).platforms());
		assertEquals(List.of(), records.get(3).platforms());

		SiteRecord plugin = records.get(0);
		List<String> deps = plugin.dependencies().stream().map(SiteRecord.Dependency::filename).toList();
		assertTrue(deps.containsAll(List.of("jars/djl-api-0.36.0.jar", "jars/ffmpeg-8.0.1-1.5.13-linux-x86_64.jar", "jars/gson-2.10.1.jar",
			"lib/linux64/libfake_ebsynth.so")), deps.toString());
		assertFalse(deps.stream().anyMatch(d -> d.contains("javafx")), deps.toString());
		assertFalse(Files.exists(site.resolve("jars/gson-2.10.1.jar-" + TS)), "Fiji ships gson");
		String report = Files.readString(site.resolve("build-report.txt"));
		assertTrue(report.contains("fiji   jars/gson-2.10.1.jar") && report.contains("skip   javafx-base-17.jar"), report);
	}

	@Test
	void anUndecidedDependencyFailsTheBuild() throws Exception {
		classpath.add(UpdaterChecksumTest.jar(mkdirs(repo.resolve("org/example/new-lib/1.0")).resolve("new-lib-1.0.jar"), Map.of("A.class", "a")));
		IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> build(natives));
		assertTrue(e.getMessage().contains("new-lib-1.0.jar"), e.getMessage());
	}

	@Test
	void missingNativeLibraryIsReportedNotFatal() throws Exception {
		UpdateSiteBuilder.Site s = build(tmp.resolve("no-natives-yet"));
		assertTrue(s.report().contains("native (none found"), s.report());
	}

	@Test
	void installedSiteStartsThePluginInAChildJvm() throws Exception {
		Path probe = compileProbeLibrary(natives);
		build(natives);
		Path fiji = mkdirs(tmp.resolve("Fiji.app"));
		// Fiji's own core jars (here: the one our code needs at this point)
		Files.copy(classpath.get(2), mkdirs(fiji.resolve("jars")).resolve("gson-2.10.1.jar"));
		List<Path> installed = SiteInstaller.install(site, fiji, "linux64");
		assertTrue(Files.isRegularFile(fiji.resolve("plugins/Rerender_Video-0.1.0-TEST.jar")));
		assertTrue(Files.isRegularFile(fiji.resolve("jars/djl-api-0.36.0.jar")));
		assertTrue(Files.isRegularFile(fiji.resolve("macros/Rerender_Batch.ijm")));
		assertTrue(Files.isRegularFile(fiji.resolve("lib/linux64/libfake_ebsynth.so")));
		assertEquals(6, installed.size());

		List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
			"-cp", fiji.resolve("plugins") + "/*:" + fiji.resolve("jars") + "/*",
			"-Djava.library.path=" + fiji.resolve("lib/linux64"), InstallCheck.class.getName(),
			"--class", "org.rerender.cli.RerenderCli", "--class", "org.rerender.model.download.Downloader"));
		if (probe != null) cmd.addAll(List.of("--library", "rerender_probe"));
		String out = run(cmd);
		assertTrue(out.contains("ok class org.rerender.cli.RerenderCli from file:" + fiji.resolve("plugins")), out);
		assertTrue(out.contains("ok resource /plugins.config"), out);
		assertTrue(out.contains("manifest entries: " + ModelManifest.packaged().entries().size()), out);
		if (probe != null) assertTrue(out.contains("ok library rerender_probe"), out);
		assumeTrue(probe != null, "no C compiler: native loading from lib/linux64 not exercised");
	}

	@Test
	void ebsynthLibraryFromTheBuildLoadsFromLibLinux64() throws Exception {
		Path classes = Path.of(ModelManifest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
		Path built = classes.resolve("natives/linux-x86_64");
		List<Path> libs = Files.isDirectory(built) ? Files.list(built).filter(p -> p.toString().endsWith(".so")).toList() : List.of();
		assumeTrue(!libs.isEmpty(), "the ebsynth JNI library is not built yet (target/classes/natives/linux-x86_64)");
		build(built);
		Path fiji = mkdirs(tmp.resolve("Fiji.app"));
		Files.copy(classpath.get(2), mkdirs(fiji.resolve("jars")).resolve("gson-2.10.1.jar"));
		SiteInstaller.install(site, fiji, "linux64");
		List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
			"-cp", fiji.resolve("plugins") + "/*:" + fiji.resolve("jars") + "/*", "-Djava.library.path=" + fiji.resolve("lib/linux64"),
			InstallCheck.class.getName()));
		boolean torchext = false;
		for (Path so : libs) {
			String n = so.getFileName().toString();
			// the fused-ops library links against libtorch, which only DJL's engine start brings: its own loader loads it
			if (n.equals("libRerenderTorchExt.so")) torchext = true;
			else cmd.addAll(List.of("--library", n.substring(3, n.length() - 3)));
		}
		if (torchext) {
			// the site's DJL jars are fakes here: the engine's real jars (this JVM's) go after the installed ones
			String djl = java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
				.filter(e -> e.matches(".*/(ai/djl|net/java/dev/jna|org/slf4j|org/apache/commons/commons-compress)/.*\\.jar")).collect(
					java.util.stream.Collectors.joining(java.io.File.pathSeparator));
			cmd.set(2, cmd.get(2) + java.io.File.pathSeparator + djl);
			cmd.addAll(List.of("--call", "org.rerender.model.nn.TorchExt#status"));
		}
		// and the plugin's own loader takes it from lib/linux64 (java.library.path), not from the jar
		boolean synth = libs.stream().anyMatch(p -> p.getFileName().toString().equals("libRerenderSynth.so"));
		if (synth) cmd.addAll(List.of("--call", "org.rerender.propagate.synth.NativeLibrary#load", "--call",
			"org.rerender.propagate.synth.NativeLibrary#message", "--call", "org.rerender.propagate.synth.NativeLibrary#check"));
		String out = run(cmd);
		assertFalse(out.contains("FAILED"), out);
		if (synth) assertTrue(out.contains("NativeLibrary#message -> loaded from java.library.path"), out);
		if (synth) assertTrue(out.contains("NativeLibrary#check -> version " + org.rerender.propagate.synth.NativeLibrary.VERSION
			+ ", self-check ok"), out);
		if (torchext) assertTrue(out.contains("TorchExt#status -> libRerenderTorchExt from java.library.path"), out);
	}

	private static String run(List<String> cmd) throws Exception {
		Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
		assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM timed out");
		String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertEquals(0, p.exitValue(), out);
		return out;
	}

	/** A trivial shared library (no JNI needed for System.loadLibrary), or null without a C compiler. */
	private static Path compileProbeLibrary(Path dir) throws Exception {
		Path src = dir.getParent().resolve("probe.c");
		Files.writeString(src, "int rerender_probe(void) { return 42; }\n");
		Path so = dir.resolve("librerender_probe.so");
		try {
			Process p = new ProcessBuilder("cc", "-shared", "-fPIC", "-o", so.toString(), src.toString()).redirectErrorStream(true).start();
			if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) return null;
		}
		catch (IOException e) {
			return null;
		}
		return so;
	}
}
