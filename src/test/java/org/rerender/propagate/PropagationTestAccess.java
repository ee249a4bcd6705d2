package org.rerender.propagate;

import java.util.List;
import org.rerender.image.Rgb8Image;

/** Lets tests in other packages use the propagation test helpers. */
public final class PropagationTestAccess {
	private PropagationTestAccess() {}

	/** {@code n} frames of vtest.avi (from frame 100) at w×h; the test is skipped when the clip is not installed. */
	public static List<Rgb8Image> vtestFrames(int n, int w, int h) throws Exception {
		return TestClips.read(TestClips.require(TestClips.VTEST), 100, 1, n, w, h);
	}

	public static Rgb8Image stylize(Rgb8Image img) {
		return TestClips.stylize(img);
	}
}
