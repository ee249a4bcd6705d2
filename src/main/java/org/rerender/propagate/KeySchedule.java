package org.rerender.propagate;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.rerender.engine.RerenderException;

/**
 * Which frames of a range are key frames: the one key-frame schedule of the project, for a whole Rerender clip
 * ({@link #forClip}: which frames diffusion translates) and for propagation alone ({@link #regular},
 * {@link #explicit}). Every frame of {@code [first, last]} comes out of propagation; both ends of the range are
 * always key frames (algorithm notes §0: the last frame becomes a key frame when the regular keys miss it, so its
 * interval is simply shorter).
 *
 * @param first first frame index of the range (inclusive)
 * @param last last frame index of the range (inclusive)
 * @param keys the key frame indices, ascending, starting with {@code first} and ending with {@code last}
 */
public record KeySchedule(int first, int last, List<Integer> keys) {

	public KeySchedule {
		keys = List.copyOf(keys);
		if (keys.isEmpty() || keys.get(0) != first || keys.get(keys.size() - 1) != last)
			throw new IllegalArgumentException("keys must start at " + first + " and end at " + last + ": " + keys);
	}

	/**
	 * Key frames {@code first, first+K, first+2K, …} plus {@code last} when the regular keys miss it.
	 *
	 * @throws RerenderException when the interval is not positive or larger than the range
	 */
	public static KeySchedule regular(int first, int last, int interval) {
		checkRange(first, last);
		if (interval < 1) throw new RerenderException("The key-frame interval must be at least 1, got " + interval + ".");
		if (interval > last - first)
			throw new RerenderException("The key-frame interval " + interval + " is larger than the clip: frames " + first
				+ ".." + last + " span only " + (last - first) + " steps. Use an interval of at most " + Math.max(1, last - first) + ".");
		return new KeySchedule(first, last, regularKeys(first, last, interval));
	}

	/**
	 * The key frames of a Rerender clip of {@code frameCount} frames (rerender-algorithm.md §1): frame 0 is the anchor
	 * ("first frame", translated alone and not part of this schedule), the key frames are 1, 1+K, 1+2K, … ≤
	 * frameCount−1 and, our decision (§0), frameCount−1 when those miss it. The range is 1..frameCount−1; a clip of
	 * two frames has the single key frame 1 (nothing to propagate), and K may be as large as frameCount−1 (keys 1 and
	 * frameCount−1).
	 *
	 * @throws RerenderException when the clip has fewer than 2 frames or K is not in 1..frameCount−1
	 */
	public static KeySchedule forClip(int frameCount, int interval) {
		if (frameCount < 2)
			throw new RerenderException("The clip needs at least 2 frames (the anchor and one key frame), it has " + frameCount);
		if (interval < 1) throw new RerenderException("The key-frame interval must be at least 1, got " + interval);
		if (interval > frameCount - 1)
			throw new RerenderException("The key-frame interval " + interval + " is larger than the clip allows ("
				+ (frameCount - 1) + " for " + frameCount + " frames)");
		return new KeySchedule(1, frameCount - 1, regularKeys(1, frameCount - 1, interval));
	}

	/** {@code first, first+K, first+2K, …} up to {@code last}, plus {@code last} when those miss it. */
	private static List<Integer> regularKeys(int first, int last, int interval) {
		List<Integer> keys = new ArrayList<>();
		for (int k = first; k <= last; k += interval) keys.add(k);
		if (keys.get(keys.size() - 1) != last) keys.add(last);
		return keys;
	}

	/**
	 * An explicit list of key frames; the range is from the smallest to the largest index.
	 *
	 * @throws RerenderException when fewer than two distinct keys are given or an index is negative
	 */
	public static KeySchedule explicit(List<Integer> keyFrames) {
		TreeSet<Integer> set = new TreeSet<>(keyFrames);
		if (set.size() < 2)
			throw new RerenderException("Propagation needs at least two distinct key frames (the first and the last frame of the range), got " + keyFrames + ".");
		if (set.first() < 0) throw new RerenderException("Key frame indices must not be negative: " + keyFrames + ".");
		return new KeySchedule(set.first(), set.last(), new ArrayList<>(set));
	}

	/** Parses "0,10,20" (spaces allowed). */
	public static List<Integer> parseList(String text) {
		List<Integer> out = new ArrayList<>();
		for (String s : text.split("[,;\\s]+")) {
			if (s.isBlank()) continue;
			try {
				out.add(Integer.parseInt(s.trim()));
			}
			catch (NumberFormatException e) {
				throw new RerenderException("Key frame list must hold integers separated by commas, got '" + s + "' in '" + text + "'.");
			}
		}
		return out;
	}

	private static void checkRange(int first, int last) {
		if (first < 0) throw new RerenderException("The first frame index must not be negative, got " + first + ".");
		if (last <= first)
			throw new RerenderException("Propagation needs at least two frames; the range " + first + ".." + last + " has " + Math.max(0, last - first + 1) + ".");
	}

	/** Number of frames in the range. */
	public int frameCount() {
		return last - first + 1;
	}

	/** Number of intervals (sequences) between neighbouring keys. */
	public int intervals() {
		return keys.size() - 1;
	}

	/** Left key of interval {@code i}. */
	public int left(int i) {
		return keys.get(i);
	}

	/** Right key of interval {@code i}. */
	public int right(int i) {
		return keys.get(i + 1);
	}

	public boolean isKey(int frame) {
		return keys.contains(frame);
	}
}
