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
		Path dir = target.toAbsolutePath().getParent();
		Path temp = Files.createTempFile(dir, "." + target.getFileName() + ".", TEMP_SUFFIX);
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

	/** Whether a file name is one of our temporary files. */
	public static boolean isTemp(String fileName) {
		return fileName.startsWith(".") && fileName.endsWith(TEMP_SUFFIX);
	}
}
