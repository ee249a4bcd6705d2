package org.rerender.engine;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests as the work folder and the stamped videos record them ({@code "sha256:<hex>"} or bare hex). */
public final class Sha256 {
	private Sha256() {}

	/** A new SHA-256 digest. */
	public static MessageDigest digest() {
		try {
			return MessageDigest.getInstance("SHA-256");
		}
		catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException("No SHA-256 in this Java", e);
		}
	}

	/** Adds a file's bytes to {@code md}, streamed. */
	public static void update(MessageDigest md, Path file) throws IOException {
		try (InputStream in = Files.newInputStream(file)) {
			byte[] buf = new byte[1 << 16];
			for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
		}
	}

	/** {@code "sha256:<hex>"} of what {@code md} was given (which it resets). */
	public static String tagged(MessageDigest md) {
		return "sha256:" + hex(md.digest());
	}

	/** Lower-case hex of a digest's bytes. */
	public static String hex(byte[] digest) {
		return HexFormat.of().formatHex(digest);
	}

	/** {@code "sha256:<hex>"} of a string's UTF-8 bytes. */
	public static String of(String s) {
		return "sha256:" + hex(digest().digest(s.getBytes(StandardCharsets.UTF_8)));
	}

	/** {@code "sha256:<hex>"} of a file's bytes. */
	public static String ofFile(Path file) throws IOException {
		MessageDigest md = digest();
		update(md, file);
		return tagged(md);
	}
}
