package org.rerender.propagate.synth;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

import org.rerender.engine.RerenderException;

/**
 * Loads {@code libRerenderSynth.so} once: first from {@code java.library.path} (a Fiji
 * update site installs it into {@code Fiji.app/lib/linux64/}, which the launcher puts on that
 * path), else from the jar resource {@code natives/<platform>/}, extracted to a temp file.
 */
public final class NativeLibrary {

	/** Base name of the library ({@code lib<NAME>.so}). */
	public static final String NAME = "RerenderSynth";

	/** Load states. */
	public enum Status { NOT_TRIED, LOADED, FAILED }

	private static Status status = Status.NOT_TRIED;
	private static String message = "not loaded yet";

	private NativeLibrary() {}

	/** The platform folder name used in the jar, e.g. {@code linux-x86_64}, or null if unsupported. */
	static String platform() {
		String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
		String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
		boolean x64 = arch.equals("amd64") || arch.equals("x86_64");
		if (os.contains("linux") && x64) return "linux-x86_64";
		return null;
	}

	/** Loads the library if not done yet; throws a {@link RerenderException} explaining why it failed. */
	public static synchronized void load() {
		if (status == Status.LOADED) return;
		if (status == Status.FAILED) throw new RerenderException(message);
		String fromPath;
		try {
			System.loadLibrary(NAME);
			status = Status.LOADED;
			message = "loaded from java.library.path";
			return;
		}
		catch (UnsatisfiedLinkError e) {
			fromPath = e.getMessage();
		}
		String platform = platform();
		if (platform == null) {
			fail("Native library not available for this platform: " + System.getProperty("os.name") + " / "
				+ System.getProperty("os.arch") + " (only linux-x86_64 is built; put lib" + NAME
				+ " on java.library.path to use your own build).", null);
		}
		String resource = "/natives/" + platform + "/" + System.mapLibraryName(NAME);
		try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
			if (in == null) {
				fail("Native library not available for this platform: " + platform + " (no " + resource
					+ " in the jar, and java.library.path has none: " + fromPath + ")", null);
			}
			Path tmp = Files.createTempFile("lib" + NAME + "-", ".so");
			tmp.toFile().deleteOnExit();
			Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
			System.load(tmp.toAbsolutePath().toString());
			status = Status.LOADED;
			message = "loaded from jar resource " + resource;
		}
		catch (IOException | UnsatisfiedLinkError e) {
			fail("Could not load the native synthesis library " + resource + ": " + e.getMessage(), e);
		}
	}

	private static void fail(String msg, Throwable cause) {
		status = Status.FAILED;
		message = msg;
		throw new RerenderException(msg, cause);
	}

	/** Whether the library is (or can be) loaded; never throws. */
	public static synchronized boolean isAvailable() {
		try {
			load();
			return true;
		}
		catch (RerenderException e) {
			return false;
		}
	}

	public static synchronized Status status() { return status; }

	/** Where the library came from, or why it failed. */
	public static synchronized String message() { return message; }
}
