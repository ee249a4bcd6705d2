package org.rerender.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import org.rerender.model.nn.ChannelsLast;
import org.rerender.model.nn.Conv2d;
import org.rerender.model.nn.Module;
import org.rerender.model.nn.Precision;
import org.rerender.model.nn.Scope;

/**
 * ldm's {@code AutoencoderKL} (keys relative to {@code first_stage_model.}). Latents here are the raw VAE
 * latents: the diffusion side multiplies by {@link #SCALE_FACTOR} after encoding and divides before decoding.
 */
public final class AutoencoderKL extends Module {
	/** SD 1.x latent scale factor. */
	public static final float SCALE_FACTOR = 0.18215f;
	private final VaeConfig config;
	private final VaeEncoder encoder;
	private final VaeDecoder decoder;
	private final Conv2d quantConv, postQuantConv;

	/** The diagonal Gaussian posterior: {@code logvar} clamped to [-30, 20]. */
	public record Posterior(NDArray mean, NDArray logvar) {
		/** {@code mean + exp(logvar/2)·noise}, with the caller's noise (recorded in tests, seeded in runs). */
		public NDArray sample(NDArray noise) {
			return mean.add(logvar.mul(0.5).exp().mul(noise));
		}
	}

	public AutoencoderKL(VaeConfig c) {
		this.config = c;
		encoder = child("encoder", new VaeEncoder(c));
		decoder = child("decoder", new VaeDecoder(c));
		quantConv = child("quant_conv", Conv2d.k1(2L * c.zChannels(), 2L * c.embedDim()));
		postQuantConv = child("post_quant_conv", Conv2d.k1(c.embedDim(), c.zChannels()));
	}

	@Override
	protected void onLoaded() {
		ChannelsLast.apply(this, "the VAE"); // channelsLast(): activations NHWC inside
	}

	/** Channels-last: the input converted at entry, the output row-major. */
	private NDArray run(java.util.function.UnaryOperator<NDArray> net, NDArray x) {
		return ChannelsLast.exit(this, net.apply(ChannelsLast.enter(this, x)));
	}

	public VaeConfig config() {
		return config;
	}

	public void setMaxScoreElements(long n) {
		encoder.setMaxScoreElements(n);
		decoder.setMaxScoreElements(n);
	}

	/** {@code quant_conv(encoder(image))}, image {@code [B,3,H,W]} in [-1,1] → {@code [B, 2·embed, H/8, W/8]}. */
	public NDArray moments(NDArray image) {
		try (Scope s = Scope.of(image)) {
			return s.keep(run(x -> quantConv.forward(encoder.forward(x)), Precision.as(image, dtype())));
		}
	}

	public Posterior encode(NDArray image) {
		NDArray m = moments(image);
		int e = config.embedDim();
		NDArray mean = m.get(new NDIndex(":, 0:{}", e));
		NDArray logvar = m.get(new NDIndex(":, {}:", e)).clip(-30f, 20f);
		m.close();
		return new Posterior(mean, logvar);
	}

	/**
	 * {@code decoder(post_quant_conv(z))} with z the raw (unscaled) latent, in any type (an F32 DDIM latent is cast to
	 * the VAE's type); the image comes back in the VAE's type.
	 */
	public NDArray decode(NDArray z) {
		try (Scope s = Scope.of(z)) {
			return s.keep(run(x -> decoder.forward(postQuantConv.forward(x)), Precision.as(z, dtype())));
		}
	}
}
