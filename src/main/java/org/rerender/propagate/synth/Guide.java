package org.rerender.propagate.synth;

import java.util.Objects;

import org.rerender.image.Rgb8Image;

/**
 * One guide pair: {@code source} is the guide at the key frame (same size as the style
 * exemplar), {@code target} the guide at the frame being synthesised. {@code weight} is
 * the guide's total weight; it is split evenly over its {@link #effectiveChannels()}.
 */
public record Guide(Rgb8Image source, Rgb8Image target, double weight) {

	public Guide {
		Objects.requireNonNull(source, "guide source");
		Objects.requireNonNull(target, "guide target");
		if (!Double.isFinite(weight) || weight < 0)
			throw new IllegalArgumentException("Guide weight must be finite and >= 0, got " + weight);
	}

	/**
	 * How many channels this guide counts: 1 when every pixel of both images is grey
	 * (R = G = B), otherwise 3 (as in the original, where a grey image counts as one channel).
	 */
	public int effectiveChannels() {
		return isGrey(source) && isGrey(target) ? 1 : 3;
	}

	/** The weight of each of the {@link #effectiveChannels()} channels. */
	public double channelWeight() {
		return weight / effectiveChannels();
	}

	static boolean isGrey(Rgb8Image img) {
		byte[] d = img.data();
		for (int i = 0; i < d.length; i += 3)
			if (d[i] != d[i + 1] || d[i] != d[i + 2]) return false;
		return true;
	}
}
