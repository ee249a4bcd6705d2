package org.rerender.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Memory figures of this process from Linux's {@code /proc/self/status}, for benchmarks and leak checks. */
public final class ProcStatus {
	private ProcStatus() {}

	/** The field in KiB (e.g. {@code VmRSS}, {@code VmHWM}), or −1 where it cannot be read (not Linux). */
	public static long kib(String field) {
		try {
			for (String l : Files.readAllLines(Path.of("/proc/self/status")))
				if (l.startsWith(field + ":")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
		}
		catch (IOException | NumberFormatException e) {
			// not Linux: no figure
		}
		return -1;
	}
}
