package org.rerender.propagate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;
import org.rerender.video.ImageSequence;
import org.rerender.video.VideoReader;

/** Reading frames and key frames for the Fiji command and batch use, and matching key images to a schedule. */
public final class PropagationInputs {
	private PropagationInputs() {}

	/** Frames and their rate: {@code fps} is a video file's, as decoded (once), or 0 for a folder of images (none known). */
	public record Clip(List<Rgb8Image> frames, double fps) {}

	/**
	 * A video file (decoded once, its frame rate kept) or a folder of frames of one size ({@link ImageSequence}:
	 * natural order of their names).
	 */
	public static Clip readClip(Path path) {
		if (Files.isDirectory(path)) return new Clip(VideoReader.readAll(path, Progress.NONE, Cancel.NEVER), 0);
		List<Rgb8Image> frames = new ArrayList<>();
		double fps = VideoReader.forEachFrame(path, (i, f) -> frames.add(f), Progress.NONE, Cancel.NEVER).fps();
		return new Clip(frames, fps);
	}

	/**
	 * The images of a folder in the order of their numbers, chosen as an image sequence's frames are
	 * ({@link ImageSequence#list}: key_2 before key_10, hidden files and other files left out).
	 */
	public static List<Rgb8Image> readFolder(Path dir) {
		List<Rgb8Image> out = new ArrayList<>();
		for (Path p : ImageSequence.list(dir)) out.add(FolderFrames.read(p));
		return out;
	}

	/**
	 * Pairs key images with the schedule's key frames: either one image per key frame, in order, or
	 * one image per input frame (only the key frames' images are used).
	 */
	public static Map<Integer, Rgb8Image> assignKeys(KeySchedule schedule, List<Rgb8Image> keyImages, int frameCount) {
		List<Integer> ks = schedule.keys();
		Map<Integer, Rgb8Image> map = new HashMap<>();
		if (keyImages.size() == ks.size()) {
			for (int i = 0; i < ks.size(); i++) map.put(ks.get(i), keyImages.get(i));
		}
		else if (keyImages.size() == frameCount) {
			for (int k : ks) map.put(k, keyImages.get(k));
		}
		else {
			List<Integer> oneBased = ks.stream().map(k -> k + 1).toList();
			throw new RerenderException("The key frames are frames " + oneBased + " (" + ks.size() + " images needed, one per key frame in order, "
				+ "or " + frameCount + " images, one per frame) but " + keyImages.size() + " key images were given.");
		}
		return map;
	}
}
