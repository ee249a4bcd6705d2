package org.rerender.model.download;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.prefs.Preferences;

/**
 * Where model files live and what is installed there.
 *
 * <p>The folder is, in this order: the system property {@value #PROPERTY}; the user preference
 * {@value #PREF_KEY} (node {@value #PREF_NODE}, which the Fiji {@code Download Models} command saves);
 * {@code <Fiji>/models/rerender} when {@code fiji.dir}, {@code imagej.dir} or {@code ij.dir} is set or the plugin
 * jar sits in a Fiji {@code jars/} or {@code plugins/} folder; the repository's {@code models/} folder when running
 * from a build tree ({@code target/classes}); else {@code ~/.rerender/models}.
 */
public final class ModelStore {

	public static final String PROPERTY = "rerender.models";
	public static final String PREF_NODE = "org/rerender";
	public static final String PREF_KEY = "models.dir";
	/** Suffix of a partly downloaded file. */
	public static final String PART = ".part";

	/** What is on disk for one manifest entry. */
	public enum State {
		/** present, size and SHA-256 checked against the manifest */
		VERIFIED,
		/** present, but the manifest has no checksum (or it was not checked yet): not verified */
		UNVERIFIED,
		/** present, but its size differs from the manifest */
		WRONG_SIZE,
		/** only a partial download ({@code .part}) */
		PARTIAL,
		MISSING
	}

	/** Status of one entry. */
	public record Status(ModelEntry entry, State state, long bytesOnDisk, Path path) {
		public boolean installed() {
			return state == State.VERIFIED || state == State.UNVERIFIED;
		}
	}

	private final Path dir;

	public ModelStore(Path dir) {
		this.dir = dir.toAbsolutePath().normalize();
	}

	/** The store at the default location (see the class comment). */
	public static ModelStore standard() {
		return new ModelStore(defaultDirectory());
	}

	public Path directory() {
		return dir;
	}

	public Path path(ModelEntry e) {
		return dir.resolve(e.file());
	}

	public Path partPath(ModelEntry e) {
		return dir.resolve(e.file() + PART);
	}

	/** Marker written after a successful SHA-256 check: "sha256 size lastModifiedMillis". */
	Path verifiedMarker(ModelEntry e) {
		return dir.resolve("." + e.file() + ".verified");
	}

	public static Path defaultDirectory() {
		return defaultDirectory(System::getProperty, preference(), codeLocation());
	}

	/** The decision behind {@link #defaultDirectory()}, with its inputs passed in (for tests). */
	static Path defaultDirectory(Function<String, String> sysprop, String preference, Path codeLocation) {
		String p = sysprop.apply(PROPERTY);
		if (p != null && !p.isBlank()) return Path.of(p);
		if (preference != null && !preference.isBlank()) return Path.of(preference);
		for (String key : new String[] { "fiji.dir", "imagej.dir", "ij.dir" }) {
			String d = sysprop.apply(key);
			if (d != null && !d.isBlank()) return Path.of(d, "models", "rerender");
		}
		if (codeLocation != null) {
			Path parent = codeLocation.toAbsolutePath().getParent();
			String parentName = parent == null || parent.getFileName() == null ? "" : parent.getFileName().toString();
			if (Files.isRegularFile(codeLocation) && (parentName.equals("jars") || parentName.equals("plugins")))
				return parent.getParent().resolve("models").resolve("rerender");
			if (Files.isDirectory(codeLocation) && parentName.equals("target") && parent.getParent() != null)
				return parent.getParent().resolve("models");
		}
		return Path.of(System.getProperty("user.home"), ".rerender", "models");
	}

	/** The saved preference, or null. */
	public static String preference() {
		try {
			return Preferences.userRoot().node(PREF_NODE).get(PREF_KEY, null);
		}
		catch (RuntimeException e) {
			return null;
		}
	}

	/** Saves (or with {@code null} clears) the model folder preference. */
	public static void savePreference(Path folder) {
		Preferences p = Preferences.userRoot().node(PREF_NODE);
		if (folder == null) p.remove(PREF_KEY);
		else p.put(PREF_KEY, folder.toAbsolutePath().toString());
	}

	private static Path codeLocation() {
		try {
			CodeSource cs = ModelStore.class.getProtectionDomain().getCodeSource();
			return cs == null ? null : Path.of(cs.getLocation().toURI());
		}
		catch (URISyntaxException | RuntimeException e) {
			return null;
		}
	}

	public Status status(ModelEntry e) {
		Path f = path(e);
		try {
			if (Files.isRegularFile(f)) {
				long size = Files.size(f);
				if (e.size() != null && size != e.size()) return new Status(e, State.WRONG_SIZE, size, f);
				return new Status(e, isVerified(e, f, size) ? State.VERIFIED : State.UNVERIFIED, size, f);
			}
			Path part = partPath(e);
			if (Files.isRegularFile(part)) return new Status(e, State.PARTIAL, Files.size(part), part);
		}
		catch (IOException ex) {
			// unreadable counts as missing
		}
		return new Status(e, State.MISSING, 0, f);
	}

	public List<Status> status(Iterable<ModelEntry> entries) {
		List<Status> out = new ArrayList<>();
		for (ModelEntry e : entries) out.add(status(e));
		return out;
	}

	private boolean isVerified(ModelEntry e, Path f, long size) throws IOException {
		if (!e.hasChecksum()) return false;
		Path m = verifiedMarker(e);
		if (!Files.isRegularFile(m)) return false;
		String[] parts = Files.readString(m, StandardCharsets.UTF_8).trim().split("\\s+");
		return parts.length == 3 && parts[0].equals(e.sha256()) && parts[1].equals(Long.toString(size))
			&& parts[2].equals(Long.toString(Files.getLastModifiedTime(f).toMillis()));
	}

	void markVerified(ModelEntry e) throws IOException {
		Path f = path(e);
		Files.writeString(verifiedMarker(e), e.sha256() + " " + Files.size(f) + " " + Files.getLastModifiedTime(f).toMillis() + "\n",
			StandardCharsets.UTF_8);
	}

	/** A human-readable table of the given statuses (CLI and the Fiji log). */
	public static String table(List<Status> statuses) {
		StringBuilder sb = new StringBuilder(String.format("%-22s %-36s %-11s %12s  %s%n", "id", "file", "state", "size", "role"));
		for (Status s : statuses) {
			String size = s.state() == State.MISSING ? (s.entry().size() == null ? "?" : Units.bytes(s.entry().size()))
				: Units.bytes(s.bytesOnDisk());
			sb.append(String.format("%-22s %-36s %-11s %12s  %s%s%n", s.entry().id(), s.entry().file(), s.state().name().toLowerCase(),
				size, s.entry().required() ? "" : "(optional) ", s.entry().role()));
		}
		return sb.toString();
	}
}
