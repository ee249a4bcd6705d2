package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Tensor-scalar arithmetic without a host-made tensor per call. DJL's {@code x.add(0.5f)} first makes a 0-dim tensor
 * from host memory ({@code manager.create(n)}), on CUDA a synchronous host→device copy per op. Here: with
 * {@link TorchExt} active, one native call with an {@code at::Scalar} (no tensor, no copy); otherwise the same DJL
 * tensor-tensor op with a 0-dim constant made once per (device, type, value) by {@link DeviceConstants}.
 *
 * <p>Numerics are DJL's: the constant has the type DJL would give it ({@code float} → F32, {@code double} → F64) and
 * libtorch casts it to the op's compute type as it does a Scalar. Non-floating {@code x} (where a Scalar and a 0-dim
 * F64 tensor promote differently) goes to DJL's overload unchanged.
 */
public final class Scalars {
	static final int ADD = 0, SUB = 1, MUL = 2, DIV = 3, RSUB = 4;

	private Scalars() {}

	public static NDArray add(NDArray x, float v) {
		return op(x, ADD, v);
	}

	public static NDArray add(NDArray x, double v) {
		return op(x, ADD, v);
	}

	public static NDArray sub(NDArray x, float v) {
		return op(x, SUB, v);
	}

	public static NDArray sub(NDArray x, double v) {
		return op(x, SUB, v);
	}

	public static NDArray mul(NDArray x, float v) {
		return op(x, MUL, v);
	}

	public static NDArray mul(NDArray x, double v) {
		return op(x, MUL, v);
	}

	public static NDArray div(NDArray x, float v) {
		return op(x, DIV, v);
	}

	public static NDArray div(NDArray x, double v) {
		return op(x, DIV, v);
	}

	/** {@code v − x} (as DJL's {@code x.neg().add(v)}, one op instead of two). */
	public static NDArray rsub(float v, NDArray x) {
		return op(x, RSUB, v);
	}

	/** The cached 0-dim constant {@code v} on {@code x}'s device, DJL's type for it; null when the cache is full. */
	public static NDArray constant(NDArray x, Number v) {
		return DeviceConstants.get(x.getDevice(), v, m -> make(m, v));
	}

	private static NDArray make(NDManager m, Number v) {
		return v instanceof Float f ? m.create(f.floatValue()) : m.create(v.doubleValue());
	}

	private static NDArray op(NDArray x, int op, Number v) {
		if (!x.getDataType().isFloating()) return djl(x, op, v);
		if (TorchExt.active()) return TorchExt.scalarOp(x, op, v.doubleValue());
		NDArray c = constant(x, v);
		if (c == null) return djl(x, op, v);
		return switch (op) {
			case ADD -> x.add(c);
			case SUB -> x.sub(c);
			case MUL -> x.mul(c);
			case DIV -> x.div(c);
			default -> {
				NDArray r = c.sub(x); // RSUB: the result belongs to c's manager; it goes to x's
				r.attach(x.getManager());
				yield r;
			}
		};
	}

	private static NDArray djl(NDArray x, int op, Number v) {
		return switch (op) {
			case ADD -> x.add(v);
			case SUB -> x.sub(v);
			case MUL -> x.mul(v);
			case DIV -> x.div(v);
			default -> x.neg().add(v);
		};
	}
}
