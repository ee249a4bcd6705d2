package org.rerender.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.rerender.dist.SiteInstaller;
import org.rerender.dist.UpdateSiteBuilder;
import org.rerender.engine.RerenderException;

/** {@code rerender update-site}: build the Fiji update site from the packaged project. */
final class UpdateSiteSubcommand implements Subcommand {

	@Override
	public String name() {
		return "update-site";
	}

	@Override
	public String summary() {
		return "build the Fiji update site (target/update-site) from the packaged jar";
	}

	@Override
	public String help() {
		return String.join("\n",
			"Usage: rerender update-site [--out DIR] [--jar JAR] [--natives DIR] [--macros DIR] [--timestamp T] [--install-into FIJI]",
			"",
			"Builds a Fiji update site: plugins/Rerender_Video-VERSION.jar, jars/ (third-party jars Fiji lacks),",
			"lib/linux64/ (native libraries), macros/, each stored as NAME-TIMESTAMP, and db.xml.gz.",
			"Run ./build.sh build (mvn package) first. Upload the folder's contents to your update site.",
			"",
			"  --out DIR            output folder (default target/update-site; emptied first)",
			"  --jar JAR            project jar (default target/Rerender_Video-*.jar)",
			"  --natives DIR        native libraries (default target/classes/natives/linux-x86_64)",
			"  --macros DIR         macros (default macros/)",
			"  --timestamp T        yyyyMMddHHmmss (default now, UTC)",
			"  --install-into FIJI  then install the site into FIJI (a Fiji.app folder) as the updater would");
	}

	@Override
	public int run(String[] argv) throws Exception {
		Args a = Args.parse(argv, Set.of(), Set.of("--out", "--jar", "--natives", "--macros", "--timestamp", "--install-into"));
		Path root = projectRoot();
		Path target = root.resolve("target");
		Path out = a.path("--out", target.resolve("update-site"));
		Path jar = a.has("--jar") ? a.path("--jar", null) : findJar(target);
		Path cpFile = target.resolve("classpath.txt");
		if (!Files.isRegularFile(cpFile)) throw new RerenderException("target/classpath.txt is missing: run ./build.sh build first.");
		if (Files.isDirectory(out)) UpdateSiteBuilder.deleteTree(out);
		long ts = a.has("--timestamp") ? Long.parseLong(a.string("--timestamp", "")) : UpdateSiteBuilder.timestampNow();
		UpdateSiteBuilder.Site site = UpdateSiteBuilder.build(new UpdateSiteBuilder.Config(jar, UpdateSiteBuilder.readClasspath(cpFile),
			a.path("--natives", target.resolve("classes/natives/linux-x86_64")), a.path("--macros", root.resolve("macros")), out, ts));
		System.out.print(site.report());
		if (a.has("--install-into")) {
			List<Path> files = SiteInstaller.install(out, a.path("--install-into", null), "linux64");
			System.out.println("Installed " + files.size() + " files into " + a.path("--install-into", null));
		}
		return 0;
	}

	static Path projectRoot() {
		try {
			Path classes = Path.of(UpdateSiteSubcommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
			if (classes.getParent() != null && classes.getParent().getFileName().toString().equals("target"))
				return classes.getParent().getParent();
		}
		catch (URISyntaxException | RuntimeException e) {
			// fall through
		}
		return Path.of("").toAbsolutePath();
	}

	private static Path findJar(Path target) throws IOException {
		if (!Files.isDirectory(target)) throw new RerenderException("No target/ folder: run ./build.sh build first.");
		try (Stream<Path> s = Files.list(target)) {
			return s.filter(p -> p.getFileName().toString().matches("Rerender_Video-.*\\.jar")
				&& !p.getFileName().toString().matches(".*-(sources|tests|javadoc)\\.jar")).findFirst()
				.orElseThrow(() -> new RerenderException("No target/Rerender_Video-*.jar: run ./build.sh build first."));
		}
	}
}
