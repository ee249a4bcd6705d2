package org.rerender.dist;

import java.util.List;

/**
 * One {@code <plugin>} record of an update site's {@code db.xml.gz}: the file as installed in Fiji.app
 * ({@code filename}, e.g. {@code jars/javacv-1.5.13.jar}) and its current version. On the site the file is
 * stored as {@code filename + "-" + timestamp}, which is the URL the updater downloads.
 */
public record SiteRecord(String filename, String checksum, long timestamp, long filesize, List<String> platforms,
	String description, List<Dependency> dependencies)
{
	/** A {@code <dependency>} of a version: another file (by Fiji-relative name) and its timestamp. */
	public record Dependency(String filename, long timestamp) {}

	/** Where the file lies on the site, relative to the site root. */
	public String siteName() {
		return filename + "-" + timestamp;
	}
}
