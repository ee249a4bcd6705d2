package org.rerender.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Standard-normal noise from a seeded Java generator (Box–Muller in double, rounded to F32), so the same seed
 * gives the same latents on the CPU and on a GPU, whatever the engine's global RNG state. It does not
 * reproduce PyTorch's generator.
 */
public final class SeededNoise implements NoiseSource {
	private final SplittableRandom random;

	public SeededNoise(long seed) {
		random = new SplittableRandom(seed);
	}

	@Override
	public NDArray next(NDManager manager, Shape shape, DataType dtype) {
		int n = Math.toIntExact(shape.size());
		float[] v = new float[n];
		for (int i = 0; i < n; i += 2) {
			double u1 = 1.0 - random.nextDouble(), u2 = random.nextDouble();
			double r = Math.sqrt(-2 * Math.log(u1));
			v[i] = (float) (r * Math.cos(2 * Math.PI * u2));
			if (i + 1 < n) v[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
		}
		NDArray a = manager.create(v, shape);
		return dtype == DataType.FLOAT32 ? a : a.toType(dtype, false);
	}
}
