package org.rerender.testing;

import java.nio.file.Path;
import org.rerender.model.io.SafetensorsWriter;
import org.rerender.model.nn.ParamSpec;
import org.rerender.model.vae.AutoencoderKL;
import org.rerender.model.vae.VaeConfig;

/**
 * A test VAE with the one property of SD's real VAE that Rerender's constraints rely on, written with analytic
 * weights: its latent is <b>aligned with the pixels</b> (latent cell (i, j) is the mean of pixels 8i…8i+7,
 * 8j…8j+7) and encode/decode are <b>inverse</b> of each other: {@code E(D(z)) = z} (up to the unused fourth
 * channel) and {@code D(E(x))} = x averaged over its 8×8 blocks (exactly x for block-constant images). The tiny
 * fixture VAE has random weights, so warping its latents or re-encoding a warped picture has no geometric meaning.
 * <p>
 * Architecture: an ordinary ldm {@code AutoencoderKL} (ch 96, ch_mult [1,1,1,1], one ResBlock per level), saved
 * with the key layout of the real {@code vae-ft-mse} file ({@code encoder.}, {@code decoder.}, {@code quant_conv.},
 * {@code post_quant_conv.}) and read by the normal loader. Weights:
 * <ul>
 * <li>every ResBlock's {@code conv2} and the mid attention's {@code proj_out} are zero, so those blocks are
 * identities; the upsample convs are identities (centre tap 1), so upsampling is nearest ×2;</li>
 * <li>the encoder's stride-2 downsample convs are 2×2 box averages (taps (0,0),(0,1),(1,0),(1,1) = ¼);</li>
 * <li>the signal lives in groups of 3 channels [v, −v, K] (one group per RGB channel, K = 1000 a constant from
 * the conv_in bias): a GroupNorm over such a group has mean K/3 whatever v is and a standard deviation that is K·√2/3
 * up to a relative 1.5·E[v²]/K², so {@code norm_out} with weight K·√2/3 and bias K/3 + 30 gives v + 30; SiLU of
 * that is linear to 1e-11 and {@code conv_out} subtracts the 30 again;</li>
 * <li>the latent mean is {@value #LATENT_GAIN}·(R, G, B, 0) of the [−1, 1] image (about unit variance after SD's
 * 0.18215 scale, as with the real VAE); the posterior log-variance is −30 (a near-deterministic encoder);
 * the decoder ignores the fourth latent channel.</li>
 * </ul>
 */
public final class StructuredVae {
	public static final int CH = 96;
	public static final float K = 1000f;
	public static final float B = 30f;
	public static final float LATENT_GAIN = 5f;

	private StructuredVae() {}

	public static VaeConfig config() {
		return new VaeConfig(4, 4, 3, 3, CH, new int[] {1, 1, 1, 1}, 1, new int[0], 256);
	}

	/** Writes the VAE to {@code file} (safetensors, F32, vae-ft-mse key layout) with the SD-like latent gain. */
	public static Path write(Path file) {
		return write(file, LATENT_GAIN);
	}

	/**
	 * Writes the VAE with latent mean = {@code gain}·(R, G, B, 0). A larger gain than the SD-like
	 * {@value #LATENT_GAIN} makes the picture large against the sampler's noise (which the random fixture UNet does
	 * not remove), so the key frames keep more of the input's structure.
	 */
	public static Path write(Path file, float gain) {
		SafetensorsWriter w = new SafetensorsWriter().metadata("about", "analytic pixel-aligned test VAE (StructuredVae)");
		for (ParamSpec s : new AutoencoderKL(config()).specs()) {
			long[] shape = s.shape().getShape();
			w.addF32(s.name(), shape, values(s.name(), shape, gain));
		}
		w.write(file);
		return file;
	}

	private static float[] values(String name, long[] shape, float gain) {
		int n = 1;
		for (long d : shape) n *= (int) d;
		float[] v = new float[n];
		boolean weight = name.endsWith(".weight");
		boolean encoder = name.startsWith("encoder."), decoder = name.startsWith("decoder.");
		String local = name.substring(name.indexOf('.') + 1);
		if (local.startsWith("norm_out.")) {
			// [v, -v, K] groups: output v + B on the v channel, 0 elsewhere
			for (int g = 0; g < 3; g++)
				v[3 * g] = weight ? (float) (K * Math.sqrt(2) / 3) : K / 3 + B;
		}
		else if (name.contains(".norm")) { // any other GroupNorm: weight 1, bias 0 (its branch is zeroed anyway)
			if (weight) java.util.Arrays.fill(v, 1f);
		}
		else if (local.equals("conv_in.weight")) { // [CH, in, 3, 3]: v and -v of input channel g (RGB or latent 0..2)
			for (int g = 0; g < 3; g++) {
				v[centre(shape, 3 * g, g)] = 1;
				v[centre(shape, 3 * g + 1, g)] = -1;
			}
		}
		else if (local.equals("conv_in.bias")) {
			for (int g = 0; g < 3; g++) v[3 * g + 2] = K;
		}
		else if (encoder && local.equals("conv_out.weight")) { // [8, CH, 3, 3]: mean = gain * v
			for (int c = 0; c < 3; c++) v[centre(shape, c, 3 * c)] = gain;
		}
		else if (encoder && local.equals("conv_out.bias")) {
			for (int c = 0; c < 3; c++) v[c] = -gain * B;
		}
		else if (decoder && local.equals("conv_out.weight")) { // [3, CH, 3, 3]
			for (int c = 0; c < 3; c++) v[centre(shape, c, 3 * c)] = 1;
		}
		else if (decoder && local.equals("conv_out.bias")) {
			java.util.Arrays.fill(v, -B);
		}
		else if (name.contains(".downsample.conv.weight")) { // 2x2 box average per channel
			for (int c = 0; c < shape[0]; c++)
				for (int ky = 0; ky < 2; ky++)
					for (int kx = 0; kx < 2; kx++) v[index(shape, c, c, ky, kx)] = 0.25f;
		}
		else if (name.contains(".upsample.conv.weight")) { // identity after nearest x2
			for (int c = 0; c < shape[0]; c++) v[centre(shape, c, c)] = 1;
		}
		else if (name.equals("quant_conv.weight")) { // [8, 8, 1, 1]: mean passes, log-variance from the bias
			for (int c = 0; c < 4; c++) v[c * 8 + c] = 1;
		}
		else if (name.equals("quant_conv.bias")) {
			for (int c = 4; c < 8; c++) v[c] = -30;
		}
		else if (name.equals("post_quant_conv.weight")) { // [4, 4, 1, 1]: back to image units, channel 3 dropped
			for (int c = 0; c < 3; c++) v[c * 4 + c] = 1 / gain;
		}
		// everything else (ResBlock convs, attention q/k/v/proj_out, biases) stays zero
		return v;
	}

	private static int centre(long[] shape, int out, int in) {
		return index(shape, out, in, (int) shape[2] / 2, (int) shape[3] / 2);
	}

	private static int index(long[] s, int o, int i, int y, int x) {
		return (int) (((o * s[1] + i) * s[2] + y) * s[3] + x);
	}
}
