package org.rerender.model.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.testing.HostTensors;
import org.rerender.testing.TorchExtSwitch;

/**
 * {@link Scalars} gives DJL's scalar overloads bit for bit, on both paths (torchext's {@code at::Scalar} and the
 * cached 0-dim constants), keeps results in the input's manager, and makes no host tensor once a constant exists.
 */
class ScalarsTest {
	record Case(String name, BiFunction<NDArray, Number, NDArray> ours, BiFunction<NDArray, Number, NDArray> djl) {}

	static final List<Case> CASES = List.of(
		new Case("add", (x, v) -> v instanceof Float f ? Scalars.add(x, f) : Scalars.add(x, v.doubleValue()), NDArray::add),
		new Case("sub", (x, v) -> v instanceof Float f ? Scalars.sub(x, f) : Scalars.sub(x, v.doubleValue()), NDArray::sub),
		new Case("mul", (x, v) -> v instanceof Float f ? Scalars.mul(x, f) : Scalars.mul(x, v.doubleValue()), NDArray::mul),
		new Case("div", (x, v) -> v instanceof Float f ? Scalars.div(x, f) : Scalars.div(x, v.doubleValue()), NDArray::div),
		new Case("rsub", (x, v) -> Scalars.rsub(v.floatValue(), x), (x, v) -> x.neg().add(v.floatValue())));

	@Test
	void sameBitsAsDjlOnBothPaths() {
		for (boolean fused : new boolean[] {false, true}) {
			if (fused && !TorchExt.active()) continue;
			TorchExtSwitch.with(fused, () -> {
				try (NDManager m = Djl.newCpuManager()) {
					NDArray x = m.randomNormal(new Shape(3, 5, 7)).mul(3);
					for (DataType dt : new DataType[] {DataType.FLOAT32, DataType.FLOAT64}) {
						NDArray xt = x.toType(dt, false);
						for (Number v : new Number[] {0.1f, 1e-5f, 1 / Math.sqrt(40), 7.5f, 0.18215})
							for (Case c : CASES) {
								NDArray ours = c.ours().apply(xt, v), ref = c.djl().apply(xt, v);
								String what = c.name() + " " + v + " " + dt + (fused ? " torchext" : " composed");
								assertEquals(ref.getDataType(), ours.getDataType(), what);
								assertSame(m, ours.getManager(), what + ": result in the input's manager");
								assertArrayEquals(ref.toType(DataType.FLOAT64, false).toDoubleArray(),
									ours.toType(DataType.FLOAT64, false).toDoubleArray(), 0, what);
							}
					}
					// once the constants exist: no host tensor per call
					List<String> sites = HostTensors.during(() -> {
						for (Case c : CASES) c.ours().apply(x, 0.1f).close();
					});
					assertEquals(List.of(), sites);
				}
			});
		}
	}
}
