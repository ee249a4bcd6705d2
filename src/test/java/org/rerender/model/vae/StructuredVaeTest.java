package org.rerender.model.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Djl;
import org.rerender.model.CheckpointInspector;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.TensorSource;
import org.rerender.model.nn.WeightLoader;
import org.rerender.testing.Fixtures;
import org.rerender.testing.StructuredVae;

/**
 * The analytic test VAE ({@link StructuredVae}) written as a safetensors file and read back through the normal
 * loader: its latent is the 8×8 block mean of the image (times the gain), decode∘encode reproduces smooth images
 * up to that block averaging, and encode∘decode gives the latent back.
 */
class StructuredVaeTest {
	@TempDir
	Path tmp;

	static final int H = 64, W = 128;

	/** A smooth colour image in [-1, 1], {@code [1,3,H,W]}. */
	static float[] smooth() {
		float[] v = new float[3 * H * W];
		for (int c = 0; c < 3; c++)
			for (int y = 0; y < H; y++)
				for (int x = 0; x < W; x++)
					v[(c * H + y) * W + x] = (float) (0.7 * Math.sin(2 * Math.PI * (x / 96.0 + y / 160.0) + c)
						+ 0.2 * Math.cos(2 * Math.PI * y / 80.0 - c));
		return v;
	}

	@Test
	void latentIsAlignedWithPixelsAndDecodeInvertsEncode() {
		Path file = StructuredVae.write(tmp.resolve("structured-vae.safetensors"));
		try (SafetensorsFile f = SafetensorsFile.open(file); NDManager m = Djl.newCpuManager()) {
			TensorSource w = CheckpointInspector.vae(f, file.getFileName().toString());
			AutoencoderKL vae = new AutoencoderKL(VaeConfig.fromWeights(w));
			assertEquals(StructuredVae.config(), vae.config());
			WeightLoader.load(vae, w, m, DataType.FLOAT32, "structured VAE");

			float[] img = smooth();
			NDArray x = m.create(img, new Shape(1, 3, H, W));
			AutoencoderKL.Posterior p = vae.encode(x);
			float[] mean = p.mean().toFloatArray(), logvar = p.logvar().toFloatArray();
			assertEquals(new Shape(1, 4, H / 8, W / 8), p.mean().getShape());
			// the latent is gain × the 8×8 block mean (channel 3 is zero)
			float[] block = new float[img.length];
			double latentErr = 0;
			for (int c = 0; c < 4; c++)
				for (int i = 0; i < H / 8; i++)
					for (int j = 0; j < W / 8; j++) {
						double s = 0;
						if (c < 3)
							for (int y = 8 * i; y < 8 * i + 8; y++)
								for (int xx = 8 * j; xx < 8 * j + 8; xx++) s += img[(c * H + y) * W + xx];
						s /= 64;
						if (c < 3)
							for (int y = 8 * i; y < 8 * i + 8; y++)
								for (int xx = 8 * j; xx < 8 * j + 8; xx++) block[(c * H + y) * W + xx] = (float) s;
						latentErr = Math.max(latentErr, Math.abs(mean[(c * (H / 8) + i) * (W / 8) + j] - StructuredVae.LATENT_GAIN * s));
					}
			for (float lv : logvar) assertEquals(-30f, lv, 1e-4f);

			float[] dec = vae.decode(p.mean()).toFloatArray();
			double vsBlock = 0, vsImage = 0, meanAbs = 0;
			for (int i = 0; i < img.length; i++) {
				vsBlock = Math.max(vsBlock, Math.abs(dec[i] - block[i]));
				vsImage = Math.max(vsImage, Math.abs(dec[i] - img[i]));
				meanAbs += Math.abs(dec[i] - img[i]);
			}
			meanAbs /= img.length;
			float[] again = vae.encode(vae.decode(p.mean())).mean().toFloatArray();
			double roundTrip = 0;
			for (int i = 0; i < again.length; i++) roundTrip = Math.max(roundTrip, Math.abs(again[i] - mean[i]));
			System.out.printf("structured VAE on a smooth %dx%d image in [-1,1]: latent vs gain*block mean max %.2g; "
				+ "D(E(x)) vs x max %.3f, mean %.4f (the 8x8 block averaging); D(E(x)) vs block mean max %.2g; "
				+ "E(D(z)) vs z max %.2g%n", W, H, latentErr, vsImage, meanAbs, vsBlock, roundTrip);
			assertTrue(latentErr < 1e-3 * StructuredVae.LATENT_GAIN, "latent = gain x 8x8 block mean: " + latentErr);
			assertTrue(vsBlock < 1e-3, "decode(encode(x)) = block mean of x: " + vsBlock);
			// the only loss is the 8x8 averaging: for this image (amplitude ~0.9, period 96 px) about 0.07 mean, 0.31 max
			assertTrue(meanAbs < 0.1, "decode(encode(x)) ~ x for a smooth image: mean " + meanAbs + ", max " + vsImage);
			assertTrue(roundTrip < 1e-3 * StructuredVae.LATENT_GAIN, "encode(decode(z)) = z (1e-3 in image units): " + roundTrip);

			double fixture = fixtureVaeRoundTripError(m, x);
			System.out.printf("the tiny fixture (random) VAE on the same image: D(E(x)) vs x mean %.3f%n", fixture);
			assertTrue(fixture > 5 * meanAbs, "the random fixture VAE does not reproduce images: " + fixture);
		}
	}

	/** Mean |D(E(x)) − x| of the tiny fixture VAE (random weights), for comparison; NaN without the fixtures. */
	static double fixtureVaeRoundTripError(NDManager m, NDArray x) {
		Path sd = Fixtures.dir().resolve("tiny-sd15.safetensors");
		org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isRegularFile(sd), "no fixtures");
		try (SafetensorsFile f = SafetensorsFile.open(sd)) {
			TensorSource w = CheckpointInspector.vae(f, "tiny-sd15.safetensors");
			AutoencoderKL vae = new AutoencoderKL(VaeConfig.fromWeights(w));
			WeightLoader.load(vae, w, m, DataType.FLOAT32, "tiny VAE");
			return vae.decode(vae.encode(x).mean()).sub(x).abs().mean().getFloat();
		}
	}
}
