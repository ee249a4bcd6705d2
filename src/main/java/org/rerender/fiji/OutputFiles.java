package org.rerender.fiji;

import java.nio.file.Files;
import java.nio.file.Path;

import org.rerender.engine.RerenderException;

/**
 * The commands' rule for output files: an existing file is replaced only when the user said so ({@code overwrite}).
 * Neither the IJ1 dialog's file field nor a macro asks before replacing a file, so the commands cannot rely on a Save
 * dialog having confirmed it.
 */
final class OutputFiles {
	private OutputFiles() {}

	/** @throws RerenderException when {@code file} exists and {@code overwrite} is off (before any work) */
	static void checkReplaceable(Path file, boolean overwrite) {
		if (overwrite || !Files.exists(file)) return;
		throw new RerenderException("The output file " + file + " already exists: choose another file, delete it, or tick"
			+ " 'Replace an existing output file' (macro key: overwrite).");
	}
}
