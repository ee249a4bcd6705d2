package org.rerender.model.io;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.rerender.engine.RerenderException;

/**
 * Compares the tensors a network expects (name → shape) with what a source holds. Unknown keys in the
 * source are listed but never an error; missing or mis-shaped keys are reported by name.
 */
public final class KeyCheck {

	/** A tensor whose stored shape differs from the expected one. */
	public record Mismatch(String name, long[] expected, long[] actual) {
		@Override
		public String toString() {
			return name + " " + Arrays.toString(actual) + " (expected " + Arrays.toString(expected) + ")";
		}
	}

	/** The outcome of a comparison. */
	public record Result(List<String> missing, List<Mismatch> mismatched, List<String> unexpected) {

		public boolean ok() {
			return missing.isEmpty() && mismatched.isEmpty();
		}

		/** Throws a {@link RerenderException} naming the missing and mis-shaped keys (at most 20 of each). */
		public void throwIfBad(String what) {
			if (ok()) return;
			StringBuilder sb = new StringBuilder("The ").append(what).append(" weights do not fit the network");
			if (!missing.isEmpty())
				sb.append("; ").append(missing.size()).append(" missing: ").append(first(missing));
			if (!mismatched.isEmpty())
				sb.append("; ").append(mismatched.size()).append(" with a wrong shape: ").append(first(mismatched));
			sb.append(". Is this the right checkpoint (SD 1.5 family)?");
			throw new RerenderException(sb.toString());
		}

		private static String first(List<?> l) {
			List<String> s = new ArrayList<>();
			for (int i = 0; i < Math.min(20, l.size()); i++) s.add(String.valueOf(l.get(i)));
			return String.join(", ", s) + (l.size() > 20 ? ", …" : "");
		}
	}

	private KeyCheck() {}

	/** Every expected key must be present with its shape. */
	public static Result compare(Map<String, long[]> expected, TensorSource source) {
		return compare(expected, Set.of(), source);
	}

	/** As {@link #compare(Map, TensorSource)}, but keys in {@code optional} may be absent (if present, shapes must match). */
	public static Result compare(Map<String, long[]> expected, Set<String> optional, TensorSource source) {
		Map<String, TensorInfo> have = source.tensors();
		List<String> missing = new ArrayList<>();
		List<Mismatch> bad = new ArrayList<>();
		for (Map.Entry<String, long[]> e : expected.entrySet()) {
			TensorInfo t = have.get(e.getKey());
			if (t == null) {
				if (!optional.contains(e.getKey())) missing.add(e.getKey());
			}
			else if (!Arrays.equals(t.shape(), e.getValue())) bad.add(new Mismatch(e.getKey(), e.getValue(), t.shape()));
		}
		List<String> unexpected = new ArrayList<>();
		for (String k : have.keySet()) if (!expected.containsKey(k)) unexpected.add(k);
		return new Result(Collections.unmodifiableList(missing), Collections.unmodifiableList(bad),
			Collections.unmodifiableList(unexpected));
	}
}
