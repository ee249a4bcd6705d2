package org.rerender.model.download;

import java.util.Locale;

/**
 * One downloadable file of the manifest.
 *
 * @param id short stable identifier used on the command line ({@code --only gmflow,vae-ft-mse})
 * @param file file name inside the model folder
 * @param role what the method uses it for
 * @param url where it is downloaded from
 * @param size size in bytes, or {@code null} when no verified value is known
 * @param sha256 lower-case hex SHA-256, or {@code null} when no verified value is known
 * @param required whether the default pipeline needs it (optional files: canny, community checkpoints, ...)
 * @param licence licence note shown to the user
 */
public record ModelEntry(String id, String file, String role, String url, Long size, String sha256,
	boolean required, String licence)
{
	public ModelEntry {
		if (id == null || id.isBlank()) throw new IllegalArgumentException("model entry without id");
		if (file == null || file.isBlank() || file.contains("/") || file.contains("\\") || file.startsWith("."))
			throw new IllegalArgumentException("model entry " + id + ": bad file name '" + file + "'");
		if (url == null || !(url.startsWith("http://") || url.startsWith("https://")))
			throw new IllegalArgumentException("model entry " + id + ": bad url '" + url + "'");
		if (sha256 != null) {
			sha256 = sha256.toLowerCase(Locale.ROOT);
			if (!sha256.matches("[0-9a-f]{64}"))
				throw new IllegalArgumentException("model entry " + id + ": sha256 must be 64 hex digits");
		}
		if (size != null && size < 0) throw new IllegalArgumentException("model entry " + id + ": negative size");
	}

	/** Whether a SHA-256 is known, so that a download can be verified. */
	public boolean hasChecksum() {
		return sha256 != null;
	}

	/** Host name of the source URL (for messages). */
	public String host() {
		return java.net.URI.create(url).getHost();
	}
}
