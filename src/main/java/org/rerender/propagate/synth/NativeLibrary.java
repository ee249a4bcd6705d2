package org.rerender.propagate.synth;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

import org.rerender.engine.RerenderException;
import org.rerender.engine.Sha256;

/**
 * Loads {@code libRerenderSynth.so} once, from the first of these that works:
 * <ol>
 * <li>the copy on {@code java.library.path} (a Fiji update site installs it into {@code Fiji.app/lib/linux64/}, which
 * the launcher puts on that path), if its version is {@link #VERSION} — or whatever its version when the jar has no
 * copy. A copy of another version (an update of only one of the two files) is skipped with a warning, and the jar's
 * copy is used, since a loaded JNI library cannot be swapped later. The version is read from the file's bytes
 * ({@code RerenderSynth-version=...}, written by the native build), then checked again through
 * {@link EbsynthNative#version()} after loading;</li>
 * <li>the jar resource {@code natives/<platform>/}, extracted to a fresh temp file in {@value #EXTRACT_DIR_PROPERTY}
 * (default {@code java.io.tmpdir});</li>
 * <li>the same, extracted to {@value #CACHE_DIR_PROPERTY} (default {@code $XDG_CACHE_HOME/rerender/natives}, else
 * {@code ~/.cache/rerender/natives}) under a name with the version and a content hash, reused by later runs. This is
 * the way out when {@code /tmp} is mounted {@code noexec} (the loader then fails with "failed to map segment from
 * shared object").</li>
 * </ol>
 * If none works, the error lists every place tried and why.
 */
public final class NativeLibrary {

	/** Base name of the library ({@code lib<NAME>.so}). */
	public static final String NAME = "RerenderSynth";
	/** The library version this code needs: {@code RR_SYNTH_VERSION} of {@code native/ebsynth/include/rerender_synth.h}. */
	public static final String VERSION = "1.1.1";
	/** System property: the folder the jar's copy is extracted to first (default {@code java.io.tmpdir}). */
	public static final String EXTRACT_DIR_PROPERTY = "rerender.native.extractDir";
	/** System property: the folder tried next, where the extracted copy is kept for later runs. */
	public static final String CACHE_DIR_PROPERTY = "rerender.native.cacheDir";
	/** Precedes the version string inside the library file. */
	static final String VERSION_TAG = "RerenderSynth-version=";

	private static final System.Logger LOG = System.getLogger(NativeLibrary.class.getName());

	/** Load states. */
	public enum Status { NOT_TRIED, LOADED, FAILED }

	private static Status status = Status.NOT_TRIED;
	private static String message = "not loaded yet";

	private NativeLibrary() {}

	/** How a library file is loaded ({@link System#load}; tests substitute their own). */
	interface Loader {
		void load(Path file);
	}

	/** Opens the jar's copy of the library. */
	interface Resource {
		InputStream open() throws IOException;
	}

	/**
	 * Where {@link #locate} looks: the {@code java.library.path} folders, the jar resource (its name, and how to open
	 * it, or null when the jar has none), the temp folder and the cache folder for extraction.
	 */
	record Sources(List<Path> libraryPath, String resourceName, Resource resource, Path tempDir, Path cacheDir) {}

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
		try {
			String where = locate(defaultSources(), f -> System.load(f.toString()),
				w -> LOG.log(System.Logger.Level.WARNING, w));
			String loaded = EbsynthNative.version();
			if (!VERSION.equals(loaded)) {
				LOG.log(System.Logger.Level.WARNING, "lib" + NAME + " " + loaded + " was loaded (" + where + "), but this plugin was built "
					+ "with " + VERSION + "; propagation may fail. Reinstall the plugin so that both match.");
			}
			status = Status.LOADED;
			message = where;
		}
		catch (RerenderException e) {
			status = Status.FAILED;
			message = e.getMessage();
			throw e;
		}
		catch (UnsatisfiedLinkError e) {  // a library without the version entry point
			status = Status.FAILED;
			message = "The native synthesis library that was loaded is not usable by this plugin (" + e.getMessage()
				+ "); reinstall the plugin so that lib" + NAME + " " + VERSION + " is used.";
			throw new RerenderException(message, e);
		}
	}

	/** The defaults of {@link #load()}: system properties, the class's own jar resource. */
	static Sources defaultSources() {
		List<Path> libPath = new ArrayList<>();
		for (String p : System.getProperty("java.library.path", "").split(File.pathSeparator))
			if (!p.isBlank()) libPath.add(Path.of(p));
		String platform = platform();
		String resource = platform == null ? null : "/natives/" + platform + "/" + System.mapLibraryName(NAME);
		Resource opener = resource == null || NativeLibrary.class.getResource(resource) == null ? null
			: () -> NativeLibrary.class.getResourceAsStream(resource);
		Path temp = Path.of(System.getProperty(EXTRACT_DIR_PROPERTY, System.getProperty("java.io.tmpdir")));
		String cache = System.getProperty(CACHE_DIR_PROPERTY);
		Path cacheDir;
		if (cache != null) cacheDir = Path.of(cache);
		else {
			String xdg = System.getenv("XDG_CACHE_HOME");
			Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
			cacheDir = base.resolve("rerender").resolve("natives");
		}
		return new Sources(libPath, resource, opener, temp, cacheDir);
	}

	/**
	 * Finds and loads the library (see the class comment).
	 *
	 * @param warn receives one line per copy skipped for its version
	 * @return where it was loaded from
	 * @throws RerenderException listing what was tried
	 */
	static String locate(Sources s, Loader loader, Consumer<String> warn) {
		String file = System.mapLibraryName(NAME);
		List<String> tried = new ArrayList<>();
		Path onPath = null;
		for (Path dir : s.libraryPath()) {
			if (Files.isRegularFile(dir.resolve(file))) {
				onPath = dir.resolve(file);
				break;
			}
		}
		if (onPath != null) {
			String v = versionOf(onPath);
			String shown = v == null ? "unknown (older than 1.1.0)" : v;
			if (VERSION.equals(v) || s.resource() == null) {
				if (!VERSION.equals(v)) warn.accept(onPath + " has version " + shown + ", this plugin needs " + VERSION
					+ "; the plugin jar has no copy of its own, so it is loaded anyway");
				try {
					loader.load(onPath);
					return "loaded from java.library.path: " + onPath + " (version " + shown + ")";
				}
				catch (UnsatisfiedLinkError e) {
					tried.add(onPath + ": " + e.getMessage());
				}
			}
			else {
				warn.accept(onPath + " has version " + shown + ", but this plugin needs " + VERSION
					+ " (only one of the two was updated?); using the plugin jar's copy instead");
				tried.add(onPath + ": version " + shown + ", not " + VERSION + " (skipped)");
			}
		}
		else tried.add("java.library.path " + s.libraryPath() + ": no " + file);
		if (s.resource() == null) {
			String platform = platform();
			throw new RerenderException(platform == null
				? "Native library not available for this platform: " + System.getProperty("os.name") + " / "
					+ System.getProperty("os.arch") + " (only linux-x86_64 is built; put lib" + NAME
					+ ".so on java.library.path to use your own build)."
				: "Native library not available for this platform: " + platform + " (no " + s.resourceName()
					+ " in the jar). Tried: " + String.join("; ", tried) + runtimeHint(tried));
		}
		byte[] bytes;
		try (InputStream in = s.resource().open()) {
			if (in == null) throw new IOException("resource " + s.resourceName() + " not found");
			bytes = in.readAllBytes();
		}
		catch (IOException e) {
			throw new RerenderException("Could not read the native synthesis library " + s.resourceName() + " from the plugin jar: "
				+ e.getMessage(), e);
		}
		// 1. a fresh temp file (random name: safe in a shared /tmp), deleted when the JVM exits
		try {
			Files.createDirectories(s.tempDir());
			Path tmp = Files.createTempFile(s.tempDir(), "lib" + NAME + "-", ".so");
			tmp.toFile().deleteOnExit();
			Files.write(tmp, bytes);
			try {
				loader.load(tmp);
				return "loaded from jar resource " + s.resourceName() + " (extracted to " + tmp + ")";
			}
			catch (UnsatisfiedLinkError e) {
				Files.deleteIfExists(tmp);
				throw e;
			}
		}
		catch (IOException | UnsatisfiedLinkError | SecurityException e) {
			tried.add("extracted to " + s.tempDir() + " (" + EXTRACT_DIR_PROPERTY + "): " + reason(e));
		}
		// 2. the user's cache folder, one file per content, kept for later runs
		try {
			Files.createDirectories(s.cacheDir());
			Path cached = s.cacheDir().resolve("lib" + NAME + "-" + VERSION + "-" + Sha256.hex(Sha256.digest().digest(bytes)).substring(0, 16) + ".so");
			if (!Files.isRegularFile(cached) || !Arrays.equals(Files.readAllBytes(cached), bytes)) {
				Path part = Files.createTempFile(s.cacheDir(), "lib" + NAME + "-", ".part");
				try {
					Files.write(part, bytes);
					Files.move(part, cached, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
				}
				finally {
					Files.deleteIfExists(part);
				}
			}
			loader.load(cached);
			return "loaded from jar resource " + s.resourceName() + " (extracted to " + cached + ")";
		}
		catch (IOException | UnsatisfiedLinkError | SecurityException e) {
			tried.add("extracted to " + s.cacheDir() + " (" + CACHE_DIR_PROPERTY + "): " + reason(e));
		}
		throw new RerenderException("Could not load the native synthesis library lib" + NAME + ".so (propagation needs it). Tried:\n  - "
			+ String.join("\n  - ", tried) + runtimeHint(tried) + "\n\"failed to map segment\" means the folder is on a file system mounted noexec: "
			+ "start Fiji/Java with -D" + EXTRACT_DIR_PROPERTY + "=DIR (or -D" + CACHE_DIR_PROPERTY + "=DIR) naming a folder "
			+ "you can write to and run programs from, or install lib" + NAME + ".so into Fiji.app/lib/linux64/.");
	}

	/**
	 * What to install when a load failed for want of the OpenMP runtime the library is linked against (the loader
	 * names it: "libgomp.so.1: cannot open shared object file", or "version `GOMP_4.0' not found" for a libgomp older
	 * than GCC 4.9's); empty otherwise.
	 */
	static String runtimeHint(List<String> failures) {
		boolean missing = false, old = false;
		for (String f : failures) {
			if (f.contains("libgomp.so.1: cannot open shared object file")) missing = true;
			else if (f.contains("GOMP_") && f.contains("not found")) old = true;
		}
		if (missing) return "\nlibgomp.so.1 (the OpenMP runtime of GCC, which lib" + NAME + ".so uses for its threads) is not "
			+ "installed: install the package libgomp1 (Debian, Ubuntu: sudo apt install libgomp1) or libgomp (RHEL, "
			+ "CentOS, Fedora: sudo dnf install libgomp; openSUSE: libgomp1), then restart Fiji.";
		if (old) return "\nThe installed libgomp.so.1 (OpenMP runtime) is older than GCC 4.9's, which lib" + NAME
			+ ".so needs: update the package libgomp1 (Debian, Ubuntu) or libgomp (RHEL, CentOS, Fedora).";
		return "";
	}

	private static String reason(Throwable e) {
		String m = e.getMessage();
		return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
	}

	/** The version written into a library file ({@code RerenderSynth-version=x.y.z}), or null if it has none. */
	static String versionOf(Path lib) {
		byte[] data;
		try {
			data = Files.readAllBytes(lib);
		}
		catch (IOException e) {
			return null;
		}
		byte[] tag = VERSION_TAG.getBytes(StandardCharsets.US_ASCII);
		outer:
		for (int i = 0; i + tag.length < data.length; i++) {
			for (int k = 0; k < tag.length; k++)
				if (data[i + k] != tag[k]) continue outer;
			int start = i + tag.length, end = start;
			while (end < data.length && end - start < 64 && data[end] > ' ' && data[end] < 127) end++;
			if (end > start) return new String(data, start, end - start, StandardCharsets.US_ASCII);
		}
		return null;
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

	/**
	 * Loads the library and runs its self-check (C++ error paths: exceptions from the standard library, a failed
	 * allocation, a worker thread); returns e.g. "version 1.1.1, self-check ok", or throws if it fails.
	 */
	public static String check() {
		load();
		String r = EbsynthNative.selfCheck();
		if (!"ok".equals(r)) throw new RerenderException("The native synthesis library failed its self-check: " + r);
		return "version " + EbsynthNative.version() + ", self-check " + r;
	}

	public static synchronized Status status() { return status; }

	/** Where the library came from, or why it failed. */
	public static synchronized String message() { return message; }
}
