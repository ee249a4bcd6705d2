package org.rerender.work;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.RerenderException;

/** One run per work folder: a second one (here: in the same process) is refused in words until the first ends. */
class WorkLockTest {
	@TempDir
	Path dir;

	@Test
	void aHeldWorkFolderIsRefusedUntilReleased() {
		Path work = dir.resolve("new work ü");
		try (WorkLock first = WorkLock.acquire(work)) {
			assertTrue(Files.isDirectory(work), "made");
			RerenderException e = assertThrows(RerenderException.class, () -> WorkLock.acquire(work));
			assertTrue(e.getMessage().contains("is in use by another run") && e.getMessage().contains(work.toString()), e.getMessage());
		}
		try (WorkLock again = WorkLock.acquire(work)) {
			// free again
		}
	}

	@Test
	void aFileInTheWayIsNamed() throws Exception {
		Path file = Files.writeString(dir.resolve("afile"), "x");
		RerenderException e = assertThrows(RerenderException.class, () -> WorkLock.acquire(file.resolve("x_work")));
		assertTrue(e.getMessage().contains("Cannot create the work folder") && e.getMessage().contains("a file is in the way"), e.getMessage());
		e = assertThrows(RerenderException.class, () -> WorkLock.acquire(file));
		assertTrue(e.getMessage().contains("a file is in the way"), e.getMessage());
	}
}
