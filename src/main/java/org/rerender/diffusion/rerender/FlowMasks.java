package org.rerender.diffusion.rerender;

import org.rerender.diffusion.constraints.PixelFusionMath;
import org.rerender.flow.BidirectionalFlow;
import org.rerender.flow.FlowField;
import org.rerender.flow.FlowOps;
import org.rerender.image.FloatImage;

/**
 * The masks and the latent flow of one key frame, computed once before pass 1 from the flows anchor→current and
 * previous→current (rerender-algorithm.md §3, "Optical flow", "Shape-aware fusion", "Pixel-aware fusion"). All in
 * F32 with the original's arithmetic, so the 0/1 masks are bitwise equal to the reference.
 *
 * @param occAnchor backward occlusion of the anchor pair (1 = occluded), H×W
 * @param softAnchor {@code clamp(blur(maxpool9(occ)) + occ, 0, 1)} of the anchor pair
 * @param occPrevious / softPrevious the same for the previous key frame
 * @param latentFlow bilinear ×1/8 (half-pixel) of the anchor backward flow / 8, h×w
 * @param warpMask {@code 1 − maxpool8(softAnchor)} (1 = take the warped anchor x̂0), h×w
 * @param occBoth {@code occPrevious ∧ occAnchor}
 * @param blendMask {@code 1 − clamp(blur(maxpool9(occBoth)) + occBoth, 0, 1)}
 * @param fusionMask {@code 1 − maxpool8(1 − blendMask)}, h×w
 * @param noiseRescale find_flat_region(fusionMask), or all ones without smooth boundary
 */
public record FlowMasks(FloatImage occAnchor, FloatImage softAnchor, FloatImage occPrevious, FloatImage softPrevious,
	FlowField latentFlow, FloatImage warpMask, FloatImage occBoth, FloatImage blendMask, FloatImage fusionMask,
	FloatImage noiseRescale) {

	/**
	 * The part shape-aware fusion needs (from the first step of pass 1 on): the anchor pair's occlusion and soft mask,
	 * the latent flow and the warp mask. The rest is needed only by pixel-aware fusion, after pass 1 ({@link #complete}).
	 */
	public record AnchorPart(FloatImage occAnchor, FloatImage softAnchor, FlowField latentFlow, FloatImage warpMask) {
		public static AnchorPart compute(BidirectionalFlow anchorToCurrent) {
			FloatImage occ0 = anchorToCurrent.backwardOcclusion();
			FloatImage soft0 = FlowOps.softMask(occ0);
			return new AnchorPart(occ0, soft0, FlowMasks.latentFlow(anchorToCurrent.backward()), FlowOps.oneMinus(FlowOps.maxPool8(soft0)));
		}
	}

	/** All masks, from the anchor part computed with the same {@code anchorToCurrent}. */
	public static FlowMasks complete(AnchorPart a, BidirectionalFlow anchorToCurrent, BidirectionalFlow previousToCurrent,
		boolean smoothBoundary)
	{
		FloatImage occ0 = a.occAnchor(), soft0 = a.softAnchor();
		FloatImage occPre = previousToCurrent == anchorToCurrent ? occ0 : previousToCurrent.backwardOcclusion();
		FloatImage softPre = previousToCurrent == anchorToCurrent ? soft0 : FlowOps.softMask(occPre);
		FlowField latent = a.latentFlow();
		FloatImage warpMask = a.warpMask();
		FloatImage occ = FlowOps.and(occPre, occ0);
		FloatImage blend = FlowOps.oneMinus(FlowOps.softMask(occ));
		FloatImage fusion = FlowOps.oneMinus(FlowOps.maxPool8(FlowOps.oneMinus(blend)));
		FloatImage nr;
		if (smoothBoundary)
			nr = new FloatImage(fusion.width(), fusion.height(), 1,
				PixelFusionMath.flatRegion(fusion.data(), fusion.height(), fusion.width()));
		else {
			nr = new FloatImage(fusion.width(), fusion.height(), 1);
			java.util.Arrays.fill(nr.data(), 1f);
		}
		return new FlowMasks(occ0, soft0, occPre, softPre, latent, warpMask, occ, blend, fusion, nr);
	}

	/** {@code interpolate(bwd / 8, scale_factor=1/8, bilinear, align_corners=False)}. */
	public static FlowField latentFlow(FlowField backward) {
		float[] d = backward.data(), s = new float[d.length];
		for (int i = 0; i < d.length; i++) s[i] = d[i] / 8f;
		return new FlowField(downscaleBilinear(new FloatImage(backward.width(), backward.height(), 2, s), 8));
	}

	/**
	 * PyTorch's {@code upsample_bilinear2d} with {@code scale_factor = 1/f}, {@code align_corners=False}, in F32:
	 * source coordinate {@code f·(i + 0.5) − 0.5} (clamped at 0), weights λ1 = frac, λ0 = 1 − λ1, rows outer.
	 * Output size floor(n / f).
	 */
	public static FloatImage downscaleBilinear(FloatImage img, int f) {
		int w = img.width(), h = img.height(), c = img.channels();
		int ow = w / f, oh = h / f;
		float[] src = img.data(), out = new float[ow * oh * c];
		int[] x0 = new int[ow], x1 = new int[ow];
		float[] wx0 = new float[ow], wx1 = new float[ow];
		indices(w, ow, f, x0, x1, wx0, wx1);
		int[] y0 = new int[oh], y1 = new int[oh];
		float[] wy0 = new float[oh], wy1 = new float[oh];
		indices(h, oh, f, y0, y1, wy0, wy1);
		for (int y = 0; y < oh; y++)
			for (int x = 0; x < ow; x++)
				for (int k = 0; k < c; k++) {
					float top = src[c * (y0[y] * w + x0[x]) + k] * wx0[x] + src[c * (y0[y] * w + x1[x]) + k] * wx1[x];
					float bottom = src[c * (y1[y] * w + x0[x]) + k] * wx0[x] + src[c * (y1[y] * w + x1[x]) + k] * wx1[x];
					out[c * (y * ow + x) + k] = top * wy0[y] + bottom * wy1[y];
				}
		return new FloatImage(ow, oh, c, out);
	}

	private static void indices(int in, int out, int f, int[] i0, int[] i1, float[] w0, float[] w1) {
		float scale = f;
		for (int i = 0; i < out; i++) {
			float real = scale * (i + 0.5f) - 0.5f;
			if (real < 0) real = 0;
			int lo = (int) real;
			i0[i] = lo;
			i1[i] = lo < in - 1 ? lo + 1 : lo;
			float l1 = Math.min(Math.max(real - lo, 0f), 1f);
			w1[i] = l1;
			w0[i] = 1f - l1;
		}
	}

	/** The bad-reconstruction mask: {@code maxpool3(bilinear↓8(tmp) > 0)}, h×w. */
	public static FloatImage badMask(FloatImage tmp) {
		FloatImage small = downscaleBilinear(tmp, 8);
		float[] d = small.data();
		for (int i = 0; i < d.length; i++) d[i] = d[i] > 0 ? 1f : 0f;
		return FlowOps.maxPool3(small);
	}
}
