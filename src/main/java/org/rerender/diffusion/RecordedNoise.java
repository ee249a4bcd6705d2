package org.rerender.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import org.rerender.engine.RerenderException;

/** Replays recorded noise tensors (float arrays with their shapes) in order; fails on a shape mismatch or when exhausted. */
public final class RecordedNoise implements NoiseSource {
	public record Draw(String name, float[] values, Shape shape) {}

	private final Deque<Draw> draws;

	public RecordedNoise(List<Draw> draws) {
		this.draws = new ArrayDeque<>(draws);
	}

	public int remaining() {
		return draws.size();
	}

	@Override
	public NDArray next(NDManager manager, Shape shape, DataType dtype) {
		Draw d = draws.pollFirst();
		if (d == null) throw new RerenderException("Recorded noise exhausted (asked for " + shape + ")");
		if (d.shape().size() != shape.size())
			throw new RerenderException("Recorded noise '" + d.name() + "' has shape " + d.shape() + ", asked for " + shape);
		NDArray a = manager.create(d.values(), shape);
		return dtype == DataType.FLOAT32 ? a : a.toType(dtype, false);
	}
}
