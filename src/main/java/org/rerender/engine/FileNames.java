package org.rerender.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/** File-name helpers shared by the packages that name files after others (reports, outputs, work folders). */
public final class FileNames {
	private FileNames() {}

	/** The stem of a file system root ({@code /}, {@code C:\}), which has no name. */
	public static final String ROOT_STEM = "root";

	/**
	 * The file name without its extension: "clip.mp4" → "clip", "a.b.png" → "a.b"; a leading dot is kept (".hidden").
	 * The name is taken of the absolute, normalized path ({@code .} and {@code ..} are the folders they stand for), an
	 * existing folder keeps its whole name ("shots.v2"), and a root is {@value #ROOT_STEM}.
	 */
	public static String stem(Path file) {
		Path abs = file.toAbsolutePath().normalize();
		Path name = abs.getFileName();
		if (name == null) return ROOT_STEM;
		String n = name.toString();
		return Files.isDirectory(abs) ? n : stemOfName(n);
	}

	/**
	 * A file name without its extension, from the name alone (no file-system access): cut at the last dot, a leading
	 * dot kept: "clip.mp4" → "clip", "a.b.png" → "a.b", ".hidden" → ".hidden", "README" → "README".
	 */
	public static String stemOfName(String name) {
		int dot = name.lastIndexOf('.');
		return dot > 0 ? name.substring(0, dot) : name;
	}
}
