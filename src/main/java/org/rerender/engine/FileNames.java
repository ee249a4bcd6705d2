package org.rerender.engine;

import java.nio.file.Path;

/** File-name helpers shared by the packages that name files after others (reports, outputs, work folders). */
public final class FileNames {
	private FileNames() {}

	/** The file name without its extension: "clip.mp4" → "clip", "a.b.png" → "a.b"; a leading dot is kept (".hidden"). */
	public static String stem(Path file) {
		String n = file.getFileName().toString();
		int dot = n.lastIndexOf('.');
		return dot > 0 ? n.substring(0, dot) : n;
	}
}
