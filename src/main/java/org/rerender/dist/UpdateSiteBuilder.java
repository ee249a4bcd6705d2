package org.rerender.dist;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Builds a Fiji update site: every file stored as {@code <Fiji-relative name>-<timestamp>} (the updater's download
 * URL scheme) plus {@code db.xml.gz}. Layout: {@code plugins/Rerender_Video-VERSION.jar} (the project jar; in
 * {@code plugins/} so that ImageJ 1.x reads its {@code plugins.config}), {@code jars/} for the third-party jars of
 * {@link DependencyPolicy}, {@code lib/linux64/} for native libraries (the Ebsynth JNI library), {@code macros/}.
 *
 * <p>Run as {@code bin/rerender update-site} or {@code java -cp ... org.rerender.dist.UpdateSiteBuilder --jar J
 * --classpath-file F --out DIR [--natives DIR] [--macros DIR] [--timestamp yyyyMMddHHmmss]}.
 */
public final class UpdateSiteBuilder {

	/** What goes into the site. */
	public record Config(Path projectJar, List<Path> classpath, Path nativesDir, Path macrosDir, Path outDir, long timestamp) {}

	/** The built site: its records and a report of the decisions. */
	public record Site(Path dir, List<SiteRecord> records, String report) {}

	public static final String AUTHOR = "Rerender for Fiji developers";

	private UpdateSiteBuilder() {}

	public static long timestampNow() {
		return Long.parseLong(ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMddHHmmss")));
	}

	public static Site build(Config c) throws IOException {
		if (!Files.isRegularFile(c.projectJar())) throw new IOException("project jar not found: " + c.projectJar()
			+ " (build it first: ./build.sh build)");
		Files.createDirectories(c.outDir());
		long ts = c.timestamp();
		StringBuilder report = new StringBuilder("Update site built at " + ts + " in " + c.outDir() + "\n");
		List<SiteRecord> deps = new ArrayList<>();
		List<SiteRecord.Dependency> projectDeps = new ArrayList<>();
		for (Path jar : c.classpath()) {
			if (!jar.toString().endsWith(".jar")) continue;
			DependencyPolicy.Decision d = DependencyPolicy.decide(jar);
			String name = "jars/" + d.installName();
			switch (d.action()) {
				case SHIP -> {
					SiteRecord r = add(c.outDir(), name, jar, ts, d.platform() == null ? List.of() : List.of(d.platform()), null, List.of());
					deps.add(r);
					projectDeps.add(new SiteRecord.Dependency(name, ts));
					report.append("  ship   ").append(name).append(d.platform() == null ? "" : " [" + d.platform() + "]").append('\n');
				}
				case FIJI_PROVIDES -> {
					projectDeps.add(new SiteRecord.Dependency(name, 0));
					report.append("  fiji   ").append(name).append(" (").append(d.reason()).append(")\n");
				}
				case SKIP -> report.append("  skip   ").append(jar.getFileName()).append(" (").append(d.reason()).append(")\n");
			}
		}
		List<SiteRecord> all = new ArrayList<>();
		for (Path so : list(c.nativesDir())) {
			SiteRecord r = add(c.outDir(), "lib/linux64/" + so.getFileName(), so, ts, List.of("linux64"), "native library", List.of());
			all.add(r);
			projectDeps.add(new SiteRecord.Dependency(r.filename(), ts));
			report.append("  native ").append(r.filename()).append('\n');
		}
		if (list(c.nativesDir()).isEmpty()) report.append("  native (none found in ").append(c.nativesDir()).append(")\n");
		for (Path m : list(c.macrosDir())) {
			String n = m.getFileName().toString();
			if (!(n.endsWith(".ijm") || n.endsWith(".txt"))) continue;
			all.add(add(c.outDir(), "macros/" + n, m, ts, List.of(), "macro", List.of()));
			report.append("  macro  macros/").append(n).append('\n');
		}
		String projectName = "plugins/" + c.projectJar().getFileName();
		all.add(0, add(c.outDir(), projectName, c.projectJar(), ts, List.of(),
			"Rerender A Video for Fiji: text-guided video stylisation (SD 1.5 + ControlNet key frames, Ebsynth-style propagation).",
			projectDeps));
		report.append("  plugin ").append(projectName).append('\n');
		all.addAll(deps);
		try (OutputStream out = Files.newOutputStream(c.outDir().resolve("db.xml.gz"))) {
			UpdateSiteDb.writeGz(all, AUTHOR, out);
		}
		Files.writeString(c.outDir().resolve("build-report.txt"), report, StandardCharsets.UTF_8);
		return new Site(c.outDir(), all, report.toString());
	}

	private static List<Path> list(Path dir) throws IOException {
		if (dir == null || !Files.isDirectory(dir)) return List.of();
		try (Stream<Path> s = Files.list(dir)) {
			return s.filter(Files::isRegularFile).sorted().toList();
		}
	}

	private static SiteRecord add(Path out, String name, Path src, long ts, List<String> platforms, String description,
		List<SiteRecord.Dependency> deps) throws IOException
	{
		SiteRecord r = new SiteRecord(name, UpdaterChecksum.of(name, src), ts, Files.size(src), platforms, description, deps);
		Path dest = out.resolve(r.siteName());
		Files.createDirectories(dest.getParent());
		Files.copy(src, dest, StandardCopyOption.REPLACE_EXISTING);
		return r;
	}

	public static void main(String[] args) throws IOException {
		Path jar = null, cpFile = null, natives = null, macros = null, out = null;
		long ts = timestampNow();
		for (int i = 0; i + 1 < args.length; i += 2) {
			switch (args[i]) {
				case "--jar" -> jar = Path.of(args[i + 1]);
				case "--classpath-file" -> cpFile = Path.of(args[i + 1]);
				case "--natives" -> natives = Path.of(args[i + 1]);
				case "--macros" -> macros = Path.of(args[i + 1]);
				case "--out" -> out = Path.of(args[i + 1]);
				case "--timestamp" -> ts = Long.parseLong(args[i + 1]);
				default -> throw new IllegalArgumentException("unknown option " + args[i]);
			}
		}
		if (jar == null || cpFile == null || out == null)
			throw new IllegalArgumentException("usage: UpdateSiteBuilder --jar J --classpath-file F --out DIR [--natives DIR] [--macros DIR] [--timestamp T]");
		if (Files.exists(out.resolve("db.xml.gz"))) deleteTree(out); // a previous site: start clean
		Site s = build(new Config(jar, readClasspath(cpFile), natives, macros, out, ts));
		System.out.print(s.report());
	}

	/** Deletes a folder and everything in it. */
	public static void deleteTree(Path dir) throws IOException {
		try (Stream<Path> s = Files.walk(dir)) {
			for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
		}
	}

	/** Reads a Maven {@code build-classpath} output file (path-separator separated). */
	public static List<Path> readClasspath(Path file) throws IOException {
		String s = Files.readString(file, StandardCharsets.UTF_8).trim();
		if (s.isEmpty()) return List.of();
		return Arrays.stream(s.split(java.io.File.pathSeparator)).map(Path::of).toList();
	}
}
