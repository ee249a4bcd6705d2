package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.KeyCheck;
import org.rerender.model.io.TensorSource;

/**
 * Fills a {@link Module}'s parameters from a {@link TensorSource} (already narrowed to the network's key
 * prefix) using the module's own key enumeration. Every missing or mis-shaped key is reported by name
 * before anything is allocated; keys the network does not know are ignored.
 */
public final class WeightLoader {
	private WeightLoader() {}

	/** The module's expected keys and shapes, as {@link KeyCheck} takes them. */
	public static Map<String, long[]> expected(Module module) {
		Map<String, long[]> m = new LinkedHashMap<>();
		for (ParamSpec p : module.specs()) m.put(p.name(), p.shape().getShape());
		return m;
	}

	/** Missing and mis-shaped keys (by name) of {@code source} for this module; unknown keys are listed, never an error. */
	public static KeyCheck.Result check(Module module, TensorSource source) {
		return KeyCheck.compare(expected(module), source);
	}

	/**
	 * Loads every parameter as {@code dtype} into {@code manager} (the long-lived weights manager).
	 * @throws RerenderException naming the missing/mis-shaped keys
	 */
	public static void load(Module module, TensorSource source, NDManager manager, DataType dtype, String what) {
		check(module, source).throwIfBad(what);
		for (Map.Entry<String, Param> e : module.namedParams().entrySet())
			e.getValue().set(source.toNDArray(manager, e.getKey(), dtype));
		module.notifyLoaded();
	}

	/**
	 * Random weights (uniform ±sqrt(3/fan_in), i.e. std 1/sqrt(fan_in); norms near 1) for benchmarks of the
	 * full-size architecture. Uses the engine's global generator: seed it first if reproducibility matters.
	 */
	public static void randomize(Module module, NDManager manager, DataType dtype) {
		for (Map.Entry<String, Param> e : module.namedParams().entrySet()) {
			Shape s = e.getValue().shape();
			NDArray v;
			if (s.dimension() == 1) {
				boolean isWeightOfNorm = e.getKey().endsWith("weight");
				v = isWeightOfNorm ? manager.randomUniform(0.9f, 1.1f, s, dtype) : manager.randomUniform(-0.05f, 0.05f, s, dtype);
			} else {
				long fanIn = s.size() / s.get(0);
				float a = (float) Math.sqrt(3.0 / fanIn);
				v = manager.randomUniform(-a, a, s, dtype);
			}
			e.getValue().set(v);
		}
		module.notifyLoaded();
	}
}
