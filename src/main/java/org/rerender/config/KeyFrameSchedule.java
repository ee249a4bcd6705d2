package org.rerender.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.rerender.engine.RerenderException;

/**
 * Which frames are translated by diffusion (rerender-algorithm.md §1): frame 0 is the anchor ("first
 * frame"), the key frames are 1, 1+K, 1+2K, … ≤ frameCount−1, and — our decision — the last frame of
 * the range is made a key frame whenever the regular ones miss it, so propagation can fill every frame.
 */
public record KeyFrameSchedule(int frameCount, int interval, List<Integer> keyFrames) {

	public KeyFrameSchedule {
		keyFrames = List.copyOf(keyFrames);
	}

	public static KeyFrameSchedule of(int frameCount, int interval) {
		if (frameCount < 2)
			throw new RerenderException("The clip needs at least 2 frames (the anchor and one key frame), it has " + frameCount);
		if (interval < 1) throw new RerenderException("The key-frame interval must be at least 1, got " + interval);
		if (interval > frameCount - 1)
			throw new RerenderException("The key-frame interval " + interval + " is larger than the clip allows ("
				+ (frameCount - 1) + " for " + frameCount + " frames)");
		List<Integer> keys = new ArrayList<>();
		for (int k = 1; k <= frameCount - 1; k += interval) keys.add(k);
		if (keys.get(keys.size() - 1) != frameCount - 1) keys.add(frameCount - 1);
		return new KeyFrameSchedule(frameCount, interval, Collections.unmodifiableList(keys));
	}

	/** The previous key frame of key frame {@code keyIndex} (for the first key frame, frame 0, the anchor). */
	public int previousKey(int keyIndex) {
		return keyIndex == 0 ? 0 : keyFrames.get(keyIndex - 1);
	}

	/** The intervals [k_i, k_{i+1}] that propagation fills. */
	public List<int[]> intervals() {
		List<int[]> out = new ArrayList<>();
		for (int i = 0; i + 1 < keyFrames.size(); i++) out.add(new int[] {keyFrames.get(i), keyFrames.get(i + 1)});
		return out;
	}

	/**
	 * Whether key frame number {@code keyIndex} (0-based among key frames) refreshes the "previous" attention
	 * reference, with the refresh frequency counted in key frames.
	 */
	public static boolean refreshesStyle(int keyIndex, int styleUpdateFreq) {
		return keyIndex % styleUpdateFreq == 0;
	}
}
