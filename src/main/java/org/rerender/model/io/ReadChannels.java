package org.rerender.model.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.rerender.engine.RerenderException;

/** Opening a checkpoint file for reading, with the user-facing errors every reader gives. */
final class ReadChannels {
	private ReadChannels() {}

	static FileChannel open(Path path) {
		try {
			return FileChannel.open(path, StandardOpenOption.READ);
		}
		catch (NoSuchFileException e) {
			throw new RerenderException("File not found: " + path);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot open " + path + ": " + e.getMessage(), e);
		}
	}
}
