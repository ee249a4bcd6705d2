package org.rerender.diffusion.rerender;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.rerender.diffusion.NoiseSource;
import org.rerender.flow.FlowOps;
import org.rerender.image.FloatImage;
import org.rerender.model.vae.AutoencoderKL;

/**
 * Pixel-aware fusion between the two passes of a key frame (rerender-algorithm.md §3): the composite I of the
 * warped previous and anchor outputs over pass 1's decoded image, and the fidelity-oriented encoding of I into
 * the pass-2 target latent x_trg. Images are HWC in VAE units ([−1, 1], never clamped).
 */
final class PixelFusion {
	/** Threshold on the channel-mean |D(x') − I| that marks a badly reconstructed pixel. */
	static final float BAD_THRESHOLD = 0.25f;

	private final AutoencoderKL vae;
	private final DataType dtype;

	PixelFusion(AutoencoderKL vae, DataType dtype) {
		this.vae = vae;
		this.dtype = dtype;
	}

	/** I = (1−M0)·warp(anchor) + M0·((1−Mp)·warp(prev) + Mp·D), both warps bilinear with the backward flows. */
	static FloatImage composite(FloatImage decoded, FloatImage warpedPrevious, FloatImage warpedAnchor, FlowMasks m) {
		float[] d = decoded.data(), wp = warpedPrevious.data(), wa = warpedAnchor.data();
		float[] mp = m.softPrevious().data(), m0 = m.softAnchor().data();
		float[] out = new float[d.length];
		for (int i = 0; i < d.length; i++) {
			int p = i / 3;
			float a = (1f - mp[p]) * wp[i] + mp[p] * d[i];
			out[i] = (1f - m0[p]) * wa[i] + m0[p] * a;
		}
		return new FloatImage(decoded.width(), decoded.height(), 3, out);
	}

	/** E(image) = 0.18215·(mean + std·noise), in {@code m}. */
	NDArray encode(NDManager m, FloatImage image, NoiseSource noise) {
		try (NDManager tmp = m.newSubManager()) {
			return encode(m, Latents.toTensor(image, tmp, dtype), noise);
		}
	}

	/**
	 * E(x) for an image tensor {@code [1, 3, H, W]} on the device (a decoder output): the same as encoding its host
	 * copy, which would come back in the same type with the same values, without the round trip.
	 */
	NDArray encode(NDManager m, NDArray image, NoiseSource noise) {
		try (NDManager tmp = m.newSubManager()) {
			NDArray x = image.getDataType() == dtype ? image : image.toType(dtype, false);
			if (x != image) x.attach(tmp);
			AutoencoderKL.Posterior p = vae.encode(x);
			p.mean().attach(tmp); // the posterior's arrays (made from x) are freed with tmp, whatever manager x has
			p.logvar().attach(tmp);
			NDArray z = p.sample(noise.next(tmp, p.mean().getShape(), dtype)).mul(AutoencoderKL.SCALE_FACTOR);
			z.attach(m);
			return z;
		}
	}

	/** D(z) = decoder(z·(1/0.18215)) as an HWC F32 image (unclamped). */
	FloatImage decode(NDArray z) {
		try (NDManager tmp = z.getManager().newSubManager()) {
			return Latents.toImage(decodeTensor(tmp, z));
		}
	}

	/** D(z) as the decoder's output tensor {@code [1, 3, H, W]} (unclamped), in {@code m}. */
	NDArray decodeTensor(NDManager m, NDArray z) {
		try (NDManager tmp = z.getManager().newSubManager()) {
			NDArray s = z.mul(DECODE_SCALE);
			s.attach(tmp);
			NDArray img = vae.decode(s);
			img.attach(m);
			return img;
		}
	}

	/** ldm's {@code 1. / scale_factor}: the double quotient rounded to F32 (not 1f/0.18215f). */
	static final float DECODE_SCALE = (float) (1.0 / 0.18215);

	/** Everything pass 2 needs, plus the intermediates (for tests and diagnostics; {@code rec} may be null). */
	record Target(NDArray xtrg, NDArray xEnc, NDArray xRec, NDArray xCorr, FloatImage composite, FloatImage rec,
		FloatImage recNew, FloatImage tmp, FloatImage badMask) {}

	/**
	 * The fidelity-oriented encoding: x = E(I); x_r = E(D(x)); x' = x + (x − x_r); bad = mask of
	 * |D(x') − I| &gt; 0.25; x_trg = (x + (1 − bad)(x − x_r))·fusionMask. Arrays are created in {@code m}. D(x) stays on
	 * the device (it is only re-encoded); its host copy, {@link Target#rec}, is made only with {@code keepImages}.
	 */
	Target target(NDManager m, FloatImage composite, FlowMasks masks, NoiseSource encoderNoise, boolean keepImages) {
		NDArray x = encode(m, composite, encoderNoise);
		FloatImage rec = null;
		NDArray xr;
		try (NDManager tmp = m.newSubManager()) {
			NDArray recT = decodeTensor(tmp, x);
			if (keepImages) rec = Latents.toImage(recT);
			xr = encode(m, recT, encoderNoise);
		}
		NDArray diff = x.sub(xr);
		NDArray xc = x.add(diff);
		FloatImage recNew = decode(xc);
		int n = composite.width() * composite.height();
		float[] a = recNew.data(), b = composite.data(), t = new float[n];
		for (int p = 0; p < n; p++) {
			float s = Math.abs(a[3 * p] - b[3 * p]) + Math.abs(a[3 * p + 1] - b[3 * p + 1]) + Math.abs(a[3 * p + 2] - b[3 * p + 2]);
			t[p] = s / 3f > BAD_THRESHOLD ? 1f : 0f;
		}
		FloatImage tmp = new FloatImage(composite.width(), composite.height(), 1, t);
		FloatImage bad = FlowMasks.badMask(tmp);
		NDArray badT = Latents.maskTensor(bad, m, dtype);
		NDArray fusion = Latents.maskTensor(masks.fusionMask(), m, dtype);
		NDArray xtrg = x.add(badT.neg().add(1f).mul(diff)).mul(fusion);
		badT.close();
		fusion.close();
		return new Target(xtrg, x, xr, xc, composite, rec, recNew, tmp, bad);
	}

	/** Warps an output image (HWC) into the current frame with a backward flow: bilinear, zeros outside. */
	static FloatImage warp(FloatImage image, org.rerender.flow.FlowField backward) {
		return FlowOps.warpBilinear(image, backward);
	}
}
