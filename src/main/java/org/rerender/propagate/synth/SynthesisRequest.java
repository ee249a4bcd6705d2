package org.rerender.propagate.synth;

import java.util.List;
import java.util.Objects;

import org.rerender.image.Rgb8Image;

/**
 * One synthesis: the style exemplar (weight 1, split evenly over its channels: 1 if
 * grey, else 3), the guide pairs and the parameters. The constructor validates sizes:
 * every guide source has the style's size, every guide target the same (target) size.
 */
public record SynthesisRequest(Rgb8Image style, List<Guide> guides, SynthesisParams params) {

	public SynthesisRequest {
		Objects.requireNonNull(style, "style");
		Objects.requireNonNull(guides, "guides");
		Objects.requireNonNull(params, "params");
		guides = List.copyOf(guides);
		if (guides.isEmpty()) throw new IllegalArgumentException("At least one guide is needed");
		Rgb8Image t0 = guides.get(0).target();
		double total = 0;
		for (int i = 0; i < guides.size(); i++) {
			Guide g = guides.get(i);
			if (!g.source().sameSize(style))
				throw new IllegalArgumentException("Guide " + i + ": source is " + size(g.source())
					+ " but the style exemplar is " + size(style));
			if (!g.target().sameSize(t0))
				throw new IllegalArgumentException("Guide " + i + ": target is " + size(g.target())
					+ " but guide 0's target is " + size(t0));
			total += g.weight();
		}
		if (!(total > 0)) throw new IllegalArgumentException("All guide weights are zero");
		int minSide = 2 * params.patchSize() + 1;
		if (Math.min(style.width(), style.height()) < minSide || Math.min(t0.width(), t0.height()) < minSide)
			throw new IllegalArgumentException("Images must be at least " + minSide + "x" + minSide
				+ " pixels for patch size " + params.patchSize() + " (style " + size(style) + ", target " + size(t0) + ")");
	}

	public SynthesisRequest(Rgb8Image style, List<Guide> guides) {
		this(style, guides, SynthesisParams.defaults());
	}

	public int targetWidth() { return guides.get(0).target().width(); }
	public int targetHeight() { return guides.get(0).target().height(); }

	/** Channels the style counts (1 if grey, else 3). */
	public int styleChannels() {
		return Guide.isGrey(style) ? 1 : 3;
	}

	private static String size(Rgb8Image img) {
		return img.width() + "x" + img.height();
	}
}
