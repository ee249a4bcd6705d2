package org.rerender.fiji;

import java.util.List;

import org.rerender.engine.RerenderException;
import org.rerender.propagate.KeySchedule;

/** The Propagate command's key-frame checks, in the Fiji command's 1-based frame numbers. */
final class PropagateKeys {
	private PropagateKeys() {}

	/** The explicit 1-based list when given (every entry in 1..n, frame 1 and frame n included), else every K-th frame. */
	static KeySchedule schedule(String list, int interval, int n) {
		if (list == null || list.isBlank()) return KeySchedule.regular(0, n - 1, interval);
		List<Integer> ks = KeySchedule.parseList(list);
		for (int k : ks)
			if (k < 1 || k > n) throw new RerenderException("Key frame " + k + " is not a frame of the clip: frames are 1.." + n + " (key_frames=" + list + ").");
		if (!ks.contains(1) || !ks.contains(n))
			throw new RerenderException("key_frames must include frame 1 and the last frame (" + n + "), got " + list + ".");
		return KeySchedule.explicit(ks.stream().map(k -> k - 1).toList());
	}
}
