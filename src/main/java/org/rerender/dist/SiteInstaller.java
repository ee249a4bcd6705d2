package org.rerender.dist;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Installs an update site from a local folder into a Fiji.app-like folder the way the updater does: each record's
 * {@code filename-timestamp} is copied to {@code filename} after its size and updater checksum are checked; files
 * for other platforms are skipped. Used by the tests and to try a freshly built site without a web server.
 */
public final class SiteInstaller {
	private SiteInstaller() {}

	public static List<Path> install(Path siteDir, Path fijiDir, String platform) throws IOException {
		List<SiteRecord> records;
		try (InputStream in = Files.newInputStream(siteDir.resolve("db.xml.gz"))) {
			records = UpdateSiteDb.readGz(in);
		}
		List<Path> installed = new ArrayList<>();
		for (SiteRecord r : records) {
			if (!r.platforms().isEmpty() && !r.platforms().contains(platform)) continue;
			Path src = siteDir.resolve(r.siteName());
			if (!Files.isRegularFile(src)) throw new IOException("site file missing: " + r.siteName());
			if (Files.size(src) != r.filesize()) throw new IOException(r.siteName() + ": size " + Files.size(src) + " != " + r.filesize());
			String sum = UpdaterChecksum.of(r.filename(), src);
			if (!sum.equals(r.checksum())) throw new IOException(r.siteName() + ": checksum " + sum + " != " + r.checksum());
			Path dest = fijiDir.resolve(r.filename());
			Files.createDirectories(dest.getParent());
			Files.copy(src, dest, StandardCopyOption.REPLACE_EXISTING);
			installed.add(dest);
		}
		return installed;
	}
}
