package org.rerender.flow;

import java.util.Arrays;
import java.util.Locale;
import org.rerender.engine.RerenderException;

/**
 * Which optical-flow method to use. {@code auto} means the best one available: GMFlow when its weights
 * are installed, otherwise DIS (see {@link FlowEstimators#resolve}).
 */
public enum FlowMethod {
	/** OpenCV's Dense Inverse Search: no weights, the default fallback. */
	DIS("dis"),
	/** GMFlow (Sintel weights), the original's network. */
	GMFLOW("gmflow"),
	/** GMFlow when installed, else DIS. */
	AUTO("auto");

	/** The order {@code auto} tries methods in. */
	static final FlowMethod[] AUTO_PREFERENCE = { GMFLOW, DIS };

	private final String id;

	FlowMethod(String id) {
		this.id = id;
	}

	/** The lower-case name used by the CLI, the Fiji dialog, macros and job files. */
	public String id() {
		return id;
	}

	/** Parses "dis" / "gmflow" / "auto" (case-insensitive). */
	public static FlowMethod parse(String s) {
		if (s != null) {
			String k = s.trim().toLowerCase(Locale.ROOT);
			for (FlowMethod m : values())
				if (m.id.equals(k)) return m;
		}
		throw new RerenderException("Unknown optical-flow method '" + s + "'; use one of "
			+ Arrays.toString(Arrays.stream(values()).map(FlowMethod::id).toArray()));
	}

	@Override
	public String toString() {
		return id;
	}
}
