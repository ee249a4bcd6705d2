package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;

/**
 * Fills a {@link Module}'s parameters from a {@link TensorSource} (already narrowed to the network's key
 * prefix) using the module's own key enumeration. Every missing or mis-shaped key is reported by name
 * before anything is allocated; keys the network does not know are ignored.
 */
public final class WeightLoader {
	private WeightLoader() {}

	/** Names of expected keys absent from {@code source}, and of keys present with another shape. */
	public record Check(List<String> missing, List<String> misShaped) {
		public boolean ok() {
			return missing.isEmpty() && misShaped.isEmpty();
		}

		public String describe(String what) {
			StringBuilder b = new StringBuilder(what).append(": ");
			if (!missing.isEmpty()) b.append(missing.size()).append(" missing key(s) ").append(head(missing)).append(". ");
			if (!misShaped.isEmpty()) b.append(misShaped.size()).append(" mis-shaped key(s) ").append(head(misShaped)).append(". ");
			return b.append("Is this the right checkpoint for this network?").toString();
		}

		private static String head(List<String> l) {
			return l.size() <= 8 ? l.toString() : l.subList(0, 8) + " …";
		}
	}

	public static Check check(Module module, TensorSource source) {
		List<String> missing = new ArrayList<>(), misShaped = new ArrayList<>();
		Map<String, TensorInfo> have = source.tensors();
		for (ParamSpec s : module.specs()) {
			TensorInfo info = have.get(s.name());
			if (info == null) missing.add(s.name());
			else if (!Arrays.equals(info.shape(), s.shape().getShape()))
				misShaped.add(s.name() + " (file " + Arrays.toString(info.shape()) + ", expected " + s.shape() + ")");
		}
		return new Check(missing, misShaped);
	}

	/**
	 * Loads every parameter as {@code dtype} into {@code manager} (the long-lived weights manager).
	 * @throws RerenderException naming the missing/mis-shaped keys
	 */
	public static void load(Module module, TensorSource source, NDManager manager, DataType dtype, String what) {
		Check c = check(module, source);
		if (!c.ok()) throw new RerenderException(c.describe(what));
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
