package org.rerender.video;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.rerender.engine.Cancel;
import org.rerender.engine.RerenderException;
import org.rerender.engine.Sha256;
import org.rerender.image.Png;
import org.rerender.image.Rgb8Image;

/**
 * Frames that are made on demand (e.g. a Fiji stack converted to RGB one slice at a time) written losslessly as a
 * folder of numbered PNGs, an {@link ImageSequence} a job reads like a video, and kept when they are unchanged, so
 * that a resumed job finds its input (and the input hash its work folder recorded) unchanged while another clip
 * given with the same work folder never meets stale frames.
 * <p>
 * The folder holds {@code 000000.png, 000001.png, …}; beside it, {@code DIR.sha256} says what it holds: a line with
 * the frame size, then one SHA-256 per frame (of its RGB bytes). Each frame is fetched once, hashed, and
 * written (to a hidden temporary name, then renamed) only when its stamp line differs or its file is missing; frames
 * beyond the new count are deleted. The stamp is removed before the first write and written last, so an interrupted
 * write leaves no stamp and the next one checks every file again. The frame rate is not part of the frames: the
 * caller gives it to the job ({@code RerenderJob.sequenceFps}).
 */
public final class StampedFrames {
	private StampedFrames() {}

	private static final Pattern FRAME = Pattern.compile("\\d{6}\\.png");

	/** The stamp file of the folder {@code dir}. */
	public static Path stamp(Path dir) {
		return dir.resolveSibling(dir.getFileName() + ".sha256");
	}

	/** The file of frame {@code i} (0-based) in {@code dir}. */
	public static Path frame(Path dir, int i) {
		return dir.resolve(String.format("%06d.png", i));
	}

	/** Writes {@code frames} to the folder {@code dir} as PNGs, keeping the files that already hold them; returns {@code dir}. */
	public static Path write(Path dir, List<Rgb8Image> frames, Cancel cancel) {
		int n = frames.size();
		if (n == 0) throw new RerenderException("No frames to write to " + dir);
		if (n > 1_000_000) throw new RerenderException(n + " frames are too many for one frame folder (at most 1000000): " + dir);
		Path stamp = stamp(dir);
		MessageDigest md = Sha256.digest();
		try {
			List<String> old = Files.isDirectory(dir) && Files.isRegularFile(stamp) ? Files.readAllLines(stamp) : List.of();
			List<String> now = new ArrayList<>(n + 1);
			boolean stampRemoved = false;
			for (int i = 0; i < n; i++) {
				cancel.check();
				Rgb8Image f = frames.get(i);
				String size = f.width() + "x" + f.height();
				if (i == 0) now.add(size);
				else if (!size.equals(now.get(0)))
					throw new RerenderException("Frame " + (i + 1) + " is " + size + " but the first is " + now.get(0) + ": all frames of a clip must have one size.");
				String hash = Sha256.hex(md.digest(f.data()));
				now.add(hash);
				if (old.size() > i + 1 && old.get(0).equals(size) && old.get(i + 1).equals(hash) && Files.isRegularFile(frame(dir, i)))
					continue; // this file holds this frame already
				if (!stampRemoved) stampRemoved = removeStamp(dir, stamp);
				Path tmp = dir.resolve(".writing-" + frame(dir, i).getFileName()); // hidden: never read as a frame
				Png.write(f, tmp);
				Files.move(tmp, frame(dir, i), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
			}
			if (!stampRemoved && old.size() == n + 1) return dir; // holds these frames already
			if (!stampRemoved) removeStamp(dir, stamp);
			deleteFramesFrom(dir, n);
			Files.write(stamp, now, StandardCharsets.UTF_8);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot write the frames to " + dir + ": " + e.getMessage(), e);
		}
		return dir;
	}

	private static boolean removeStamp(Path dir, Path stamp) throws IOException {
		Files.deleteIfExists(stamp);
		Files.createDirectories(dir);
		return true;
	}

	/** Deletes the frame files numbered {@code n} and above (left by a longer clip). */
	private static void deleteFramesFrom(Path dir, int n) throws IOException {
		List<Path> extra;
		try (Stream<Path> s = Files.list(dir)) {
			extra = s.filter(p -> FRAME.matcher(p.getFileName().toString()).matches())
				.filter(p -> Integer.parseInt(p.getFileName().toString().substring(0, 6)) >= n).toList();
		}
		for (Path p : extra) Files.deleteIfExists(p);
	}
}
