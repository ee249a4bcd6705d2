package org.rerender.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Where Gaussian noise comes from, in draw order (x_T, then the SDEdit noise, then any constraint's draws).
 * Tests feed recorded tensors ({@link RecordedNoise}); real runs use {@link SeededNoise}.
 */
public interface NoiseSource {
	/** The next standard-normal tensor of {@code shape}, created in {@code manager} as {@code dtype}. */
	NDArray next(NDManager manager, Shape shape, DataType dtype);
}
