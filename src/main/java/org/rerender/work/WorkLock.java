package org.rerender.work;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import org.rerender.engine.RerenderException;

/**
 * Holds a work folder for one run: an operating-system lock on its hidden {@value #FILE}, so that a second job on
 * the same folder (another {@code bin/rerender}, a Fiji command, a macro, in this process or another) is refused with
 * a message instead of writing the same files at the same time. The lock goes with the process: a killed run leaves
 * no stale lock. The file itself stays (it is empty).
 */
public final class WorkLock implements AutoCloseable {
	/** The lock file in the work folder. */
	public static final String FILE = ".rerender.lock";

	private final FileChannel channel;
	private final FileLock lock;

	private WorkLock(FileChannel channel, FileLock lock) {
		this.channel = channel;
		this.lock = lock;
	}

	/**
	 * Creates {@code root} if needed and locks it.
	 *
	 * @throws RerenderException when another run holds it, or the folder cannot be made
	 */
	public static WorkLock acquire(Path root) {
		Path dir = root.toAbsolutePath();
		try {
			Files.createDirectories(dir);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot create the work folder " + dir + " (" + (Files.exists(dir) || Files.isRegularFile(dir.getParent())
				? "a file is in the way" : e.getClass().getSimpleName() + ": " + e.getMessage()) + "): choose another folder", e);
		}
		FileChannel ch;
		try {
			ch = FileChannel.open(dir.resolve(FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot write in the work folder " + dir + ": " + e.getMessage(), e);
		}
		FileLock l;
		try {
			l = ch.tryLock();
		}
		catch (OverlappingFileLockException e) {
			l = null; // held by another run in this process
		}
		catch (IOException e) {
			return new WorkLock(ch, null); // a file system without locks: run unguarded, as before
		}
		if (l == null) {
			closeQuietly(ch);
			throw new RerenderException("The work folder " + dir + " is in use by another run (bin/rerender, a Fiji command or a macro):"
				+ " wait for it to finish, stop it, or use another work folder.");
		}
		return new WorkLock(ch, l);
	}

	@Override
	public void close() {
		try {
			if (lock != null) lock.release();
		}
		catch (IOException e) {
			// released with the channel
		}
		closeQuietly(channel);
	}

	private static void closeQuietly(FileChannel ch) {
		try {
			ch.close();
		}
		catch (IOException e) {
			// nothing to do
		}
	}
}
