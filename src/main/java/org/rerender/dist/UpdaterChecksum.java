package org.rerender.dist;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The checksum the ImageJ updater stores in {@code db.xml.gz} (our own implementation of the rules of
 * {@code net.imagej.updater.util.UpdaterUtil#getDigest}): SHA-1, lower-case hex.
 * <ul>
 * <li>Any file but a jar: SHA-1 of the Fiji-relative path in ASCII (e.g. {@code lib/linux64/libx.so}) followed by the
 * file's bytes.</li>
 * <li>A {@code .jar}: SHA-1 over its entries sorted by name; per entry the name in ASCII then the (filtered) content.
 * {@code .properties} entries drop every line that starts with {@code #} (Maven writes a build date there) but keep
 * its line end; the updater's quirk is kept too: after an empty line, a following {@code #} line is not dropped.
 * {@code META-INF/MANIFEST.MF} contributes nothing but its name (the updater's current mode keeps only lines that,
 * upper-cased, start with "Main-Class:", which no upper-cased line can).</li>
 * </ul>
 * The net effect is that rebuilding an unchanged jar (new dates in pom.properties and the manifest) keeps its checksum.
 */
public final class UpdaterChecksum {
	private UpdaterChecksum() {}

	/** The updater checksum of {@code file} installed at Fiji-relative {@code path}. */
	public static String of(String path, Path file) throws IOException {
		return path.endsWith(".jar") ? jar(file) : plain(path, file);
	}

	public static String plain(String path, Path file) throws IOException {
		MessageDigest d = sha1();
		d.update(path.getBytes(StandardCharsets.US_ASCII));
		try (InputStream in = Files.newInputStream(file)) {
			update(d, in);
		}
		return HexFormat.of().formatHex(d.digest());
	}

	public static String jar(Path file) throws IOException {
		MessageDigest d = sha1();
		try (JarFile jar = new JarFile(file.toFile(), false)) {
			List<JarEntry> entries = new ArrayList<>(Collections.list(jar.entries()));
			entries.sort((a, b) -> a.getName().compareTo(b.getName()));
			for (JarEntry e : entries) {
				d.update(e.getName().getBytes(StandardCharsets.US_ASCII));
				if (e.getName().equals("META-INF/MANIFEST.MF")) continue; // filtered to nothing
				try (InputStream in = jar.getInputStream(e)) {
					if (e.getName().endsWith(".properties")) d.update(skipHashedLines(in));
					else update(d, in);
				}
			}
		}
		return HexFormat.of().formatHex(d.digest());
	}

	/**
	 * Drops lines starting with '#' but keeps the line end that closes them. Line starts are tracked exactly as the
	 * updater does: an empty line, or a comment line that is only "#", leaves the next line not at a line start.
	 */
	static byte[] skipHashedLines(InputStream raw) throws IOException {
		HashSkipper s = new HashSkipper(new BufferedInputStream(raw));
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		for (int ch; (ch = s.read()) >= 0;) out.write(ch);
		return out.toByteArray();
	}

	private static final class HashSkipper {
		private final InputStream in;
		private boolean atLineStart = true;

		HashSkipper(InputStream in) {
			this.in = in;
		}

		int read() throws IOException {
			int ch = in.read();
			if (!atLineStart) {
				if (ch == '\n') atLineStart = true;
				return ch;
			}
			if (ch != '#') {
				atLineStart = false;
				return ch;
			}
			do ch = read(); while (ch != '\n' && ch != -1);
			return ch;
		}
	}

	private static void update(MessageDigest d, InputStream in) throws IOException {
		byte[] buf = new byte[1 << 16];
		for (int n; (n = in.read(buf)) > 0;) d.update(buf, 0, n);
	}

	private static MessageDigest sha1() {
		try {
			return MessageDigest.getInstance("SHA-1");
		}
		catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException(e);
		}
	}

	/** Reads lines (used by tests to compare manifests); kept package-private. */
	static List<String> lines(InputStream in) throws IOException {
		List<String> out = new ArrayList<>();
		BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
		for (String l; (l = r.readLine()) != null;) out.add(l);
		return out;
	}
}
