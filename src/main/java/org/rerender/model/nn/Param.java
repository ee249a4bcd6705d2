package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.rerender.engine.RerenderException;

/**
 * One named weight of a {@link Module}: its expected shape is known at construction (so a full-size
 * network can list its keys without allocating anything); the value is set by {@link WeightLoader}.
 */
public final class Param {
	private final Shape shape;
	private NDArray value;

	Param(Shape shape) {
		this.shape = shape;
	}

	public Shape shape() {
		return shape;
	}

	public boolean isLoaded() {
		return value != null;
	}

	/** The loaded value; never modify it in place (it may be memory-mapped, read-only). */
	public NDArray get() {
		if (value == null) throw new RerenderException("Weight of shape " + shape + " used before it was loaded");
		return value;
	}

	void set(NDArray v) {
		if (!v.getShape().equals(shape))
			throw new RerenderException("Weight shape " + v.getShape() + " does not match expected " + shape);
		value = v;
	}
}
