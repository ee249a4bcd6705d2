package org.rerender.diffusion;

/**
 * ldm's training schedule ("linear" in ldm's naming = scaled linear): {@code betas = linspace(sqrt(b0), sqrt(b1),
 * T)^2} and {@code alphas_cumprod = cumprod(1 - betas)}, both computed in double and stored as F32 exactly as
 * ldm's buffers; {@code sqrt_alphas_cumprod} and {@code sqrt_one_minus_alphas_cumprod} are taken in double from
 * the double cumprod, then rounded to F32 (ldm's {@code q_sample} buffers).
 */
public final class NoiseSchedule {
	private final float[] betas, alphasCumprod, sqrtAlphasCumprod, sqrtOneMinusAlphasCumprod;

	public NoiseSchedule(int timesteps, double linearStart, double linearEnd) {
		betas = new float[timesteps];
		alphasCumprod = new float[timesteps];
		sqrtAlphasCumprod = new float[timesteps];
		sqrtOneMinusAlphasCumprod = new float[timesteps];
		double a = Math.sqrt(linearStart), b = Math.sqrt(linearEnd);
		double cum = 1;
		for (int i = 0; i < timesteps; i++) {
			// numpy/torch linspace: start + i*step for the first half, end - (n-1-i)*step for the second
			double step = (b - a) / (timesteps - 1);
			double s = i < timesteps / 2 ? a + i * step : b - (timesteps - 1 - i) * step;
			double beta = s * s;
			cum *= 1 - beta;
			betas[i] = (float) beta;
			alphasCumprod[i] = (float) cum;
			sqrtAlphasCumprod[i] = (float) Math.sqrt(cum);
			sqrtOneMinusAlphasCumprod[i] = (float) Math.sqrt(1 - cum);
		}
	}

	/** SD 1.x: 1000 steps, 0.00085 … 0.012. */
	public static NoiseSchedule sd15() {
		return new NoiseSchedule(1000, 0.00085, 0.012);
	}

	public int size() {
		return betas.length;
	}

	public float[] betas() {
		return betas.clone();
	}

	public float[] alphasCumprod() {
		return alphasCumprod.clone();
	}

	public float alphaCumprod(int t) {
		return alphasCumprod[t];
	}

	public float sqrtAlphaCumprod(int t) {
		return sqrtAlphasCumprod[t];
	}

	public float sqrtOneMinusAlphaCumprod(int t) {
		return sqrtOneMinusAlphasCumprod[t];
	}
}
