package org.rerender.propagate.synth;

import java.util.Objects;

import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/**
 * The synthesised frame and its per-pixel patch error (1 channel, target size): the
 * weighted sum of squared differences (style and guide channels, per-channel weights,
 * 8-bit units) between the patch around each target pixel and its matched exemplar patch.
 * Lower is better; blending compares forward and backward errors.
 */
public record SynthesisResult(Rgb8Image image, FloatImage error) {

	public SynthesisResult {
		Objects.requireNonNull(image, "image");
		Objects.requireNonNull(error, "error");
		if (error.channels() != 1 || error.width() != image.width() || error.height() != image.height())
			throw new IllegalArgumentException("Error map must be 1 channel of the image size");
	}
}
