package org.rerender.work;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Atomic file writes: the content goes to a hidden temporary file in the target's folder
 * ({@code .NAME.<random>.tmp}), which is renamed over the target only when complete. A crash leaves at most
 * a temporary file, never a half-written target.
 */
public final class AtomicFiles {
	private AtomicFiles() {}

	/** Writes the content to a temporary path. */
	@FunctionalInterface
	public interface PathWriter {
		void write(Path temp) throws IOException;
	}

	/** Writes the content to a stream. */
	@FunctionalInterface
	public interface StreamWriter {
		void write(OutputStream out) throws IOException;
	}

	/** Suffix of temporary files; such files never count as results. */
	public static final String TEMP_SUFFIX = ".tmp";

	public static void write(Path target, PathWriter writer) throws IOException {
		Path temp = tempSibling(target, TEMP_SUFFIX);
		boolean ok = false;
		try {
			writer.write(temp);
			try {
				Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			}
			catch (AtomicMoveNotSupportedException e) {
				Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
			}
			ok = true;
		}
		finally {
			if (!ok) Files.deleteIfExists(temp);
		}
	}

	public static void writeStream(Path target, StreamWriter writer) throws IOException {
		write(target, temp -> {
			try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(temp))) {
				writer.write(out);
			}
		});
	}

	public static void writeString(Path target, String text) throws IOException {
		writeStream(target, out -> out.write(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
	}

	/**
	 * A fresh, not yet existing hidden name beside {@code target}: {@code .NAME.<random><suffix>}. Not created, so
	 * the file later gets the usual permissions (unlike {@code Files.createTempFile}, which makes it owner-only).
	 */
	public static Path tempSibling(Path target, String suffix) {
		Path abs = target.toAbsolutePath();
		for (;;) {
			String rnd = Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE);
			Path p = abs.resolveSibling("." + abs.getFileName() + "." + rnd + suffix);
			if (!Files.exists(p)) return p;
		}
	}

	/** Whether a file name is one of our temporary files. */
	public static boolean isTemp(String fileName) {
		return fileName.startsWith(".") && fileName.endsWith(TEMP_SUFFIX);
	}
}
