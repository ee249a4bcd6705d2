package org.rerender.diffusion.rerender;

import org.rerender.diffusion.NoiseSource;
import org.rerender.diffusion.SeededNoise;

/**
 * Where a translation's random draws come from. Every sampling pass restarts its stream (the original reseeds
 * before every pass, so all passes share x_T and the SDEdit noise); its draw order is x_T, the SDEdit noise, then
 * one draw per pixel-fusion step. The encoder stream gives the VAE posterior noises in order: the frame's
 * encoding, then the two encodings of pixel-aware fusion.
 */
public interface NoiseStreams {
	/** A fresh stream for one sampling pass. */
	NoiseSource samplingPass();

	/** The posterior-noise stream (one per translated frame). */
	NoiseSource encoder();

	/**
	 * Seeded streams for one frame: every pass starts from {@code seed}; the encoder noise depends on the seed
	 * and the frame index, so a resumed run reproduces it.
	 */
	static NoiseStreams seeded(long seed, int frameIndex) {
		NoiseSource enc = new SeededNoise(seed * 1_000_003L + 7919L * (frameIndex + 1));
		return new NoiseStreams() {
			@Override
			public NoiseSource samplingPass() {
				return new SeededNoise(seed);
			}

			@Override
			public NoiseSource encoder() {
				return enc;
			}
		};
	}
}
