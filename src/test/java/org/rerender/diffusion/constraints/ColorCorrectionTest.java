package org.rerender.diffusion.constraints;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.rerender.image.Rgb8Image;

class ColorCorrectionTest {

	static Rgb8Image random(int w, int h, long seed, int rBias) {
		Random r = new Random(seed);
		byte[] d = new byte[3 * w * h];
		for (int i = 0; i < d.length; i++) d[i] = (byte) Math.min(255, Math.max(0, (i % 3 == 0 ? rBias : 0) + r.nextInt(120) + 40));
		return new Rgb8Image(w, h, d);
	}

	@Test
	void histogramMatchingReproducesTheReferenceDistribution() {
		// matching a channel to a permutation of itself is the identity
		byte[] src = new byte[3 * 256], ref = new byte[3 * 256], out = new byte[3 * 256];
		for (int i = 0; i < 256; i++) {
			src[3 * i] = (byte) i;
			ref[3 * i] = (byte) (255 - i);
		}
		ColorCorrection.matchChannel(src, ref, out, 0);
		for (int i = 0; i < 256; i++) assertEquals(i, out[3 * i] & 0xff);
		// a two-level source onto a two-level reference maps lower to lower, upper to upper
		for (int i = 0; i < 256; i++) {
			src[3 * i] = (byte) (i < 128 ? 10 : 20);
			ref[3 * i] = (byte) (i < 128 ? 100 : 200);
		}
		ColorCorrection.matchChannel(src, ref, out, 0);
		assertEquals(100, out[0] & 0xff);
		assertEquals(200, out[3 * 255] & 0xff);
	}

	@Test
	void interpolationClampsLikeNumpy() {
		double[] xp = {0.25, 0.75}, fp = {10, 20};
		assertEquals(10, ColorCorrection.interp(0.1, xp, fp, 2));
		assertEquals(15, ColorCorrection.interp(0.5, xp, fp, 2), 1e-12);
		assertEquals(20, ColorCorrection.interp(1.0, xp, fp, 2));
	}

	@Test
	void luminosityBlendKeepsTheLuminanceOfTheOriginal() {
		Rgb8Image colour = random(16, 8, 1, 60), lum = random(16, 8, 2, 0);
		Rgb8Image out = ColorCorrection.luminosityBlend(colour, lum);
		for (int i = 0; i < 16 * 8; i++) {
			double lo = ColorCorrection.lum(lum.data()[3 * i] & 0xff, lum.data()[3 * i + 1] & 0xff, lum.data()[3 * i + 2] & 0xff);
			double lr = ColorCorrection.lum(out.data()[3 * i] & 0xff, out.data()[3 * i + 1] & 0xff, out.data()[3 * i + 2] & 0xff);
			assertEquals(lo, lr, 1.0, "pixel " + i);
		}
	}

	@Test
	void correctionMovesColoursTowardsTheReference() {
		Rgb8Image frame = random(32, 24, 3, 0), reference = random(32, 24, 4, 90);
		Rgb8Image out = ColorCorrection.correct(frame, reference);
		double before = meanRedMinusBlue(frame), after = meanRedMinusBlue(out), target = meanRedMinusBlue(reference);
		assertTrue(Math.abs(after - target) < Math.abs(before - target), before + " -> " + after + " (target " + target + ")");
	}

	static double meanRedMinusBlue(Rgb8Image im) {
		double s = 0;
		for (int i = 0; i < im.data().length; i += 3) s += (im.data()[i] & 0xff) - (im.data()[i + 2] & 0xff);
		return s / (im.data().length / 3);
	}
}
