package org.rerender.video;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

import org.rerender.engine.Cancel;
import org.rerender.engine.RerenderException;
import org.rerender.engine.Sha256;
import org.rerender.image.Rgb8Image;

/**
 * A video written from frames that are made on demand (e.g. a Fiji stack converted to RGB one slice at a time) and
 * kept when it already holds exactly these frames, so that a resumed job finds its input unchanged while another
 * clip given with the same work folder never meets a stale video.
 * <p>
 * Beside {@code NAME.mp4}, {@code NAME.mp4.sha256} says what it holds: a line with the frame count, size and rate,
 * then one SHA-256 per frame. Frames are fetched once, in order, each hashed and compared with the stamp; from the
 * first one that differs on, they are written ({@link VideoWriter#createPadded}: odd sides and sides under
 * {@value VideoWriter#MIN_SIDE} pixels padded). Only the frames before the first difference are fetched a second time
 * (none when the count, size or first frame differs, or when there is no stamp).
 */
public final class StampedVideo {
	private StampedVideo() {}

	/** The stamp file of {@code video}. */
	public static Path stamp(Path video) {
		return video.resolveSibling(video.getFileName() + ".sha256");
	}

	/** Writes {@code frames} to {@code video} at {@code fps} unless its stamp says it holds them; returns {@code video}. */
	public static Path write(Path video, List<Rgb8Image> frames, double fps, Cancel cancel) {
		int n = frames.size();
		if (n == 0) throw new RerenderException("No frames to write to " + video);
		Path stamp = stamp(video);
		MessageDigest md = Sha256.digest();
		VideoWriter w = null;
		try {
			List<String> old = Files.isRegularFile(video) && Files.isRegularFile(stamp) ? Files.readAllLines(stamp) : List.of();
			List<String> now = new ArrayList<>(n + 1);
			boolean same = old.size() == n + 1; // the stamp so far matches these frames
			for (int i = 0; i < n; i++) {
				cancel.check();
				Rgb8Image f = frames.get(i);
				if (i == 0) {
					now.add(n + " " + f.width() + "x" + f.height() + " " + fps);
					same = same && old.get(0).equals(now.get(0));
				}
				String hash = Sha256.hex(md.digest(f.data()));
				now.add(hash);
				same = same && old.get(i + 1).equals(hash);
				if (w == null && !same) { // first difference
					Files.deleteIfExists(stamp);
					Files.createDirectories(video.toAbsolutePath().getParent());
					w = VideoWriter.createPadded(video, f.width(), f.height(), fps, null);
					for (int j = 0; j < i; j++) {
						cancel.check();
						w.write(frames.get(j));
					}
				}
				if (w != null) w.write(f);
			}
			if (w == null) return video; // holds these frames already
			w.finish();
			Files.write(stamp, now, StandardCharsets.UTF_8);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot write the frames to " + video + ": " + e.getMessage(), e);
		}
		finally {
			if (w != null) w.close();
		}
		return video;
	}
}
