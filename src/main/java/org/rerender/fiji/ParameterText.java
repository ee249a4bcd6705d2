package org.rerender.fiji;

import java.io.File;
import java.nio.file.Path;

import org.rerender.config.Period;
import org.rerender.engine.RerenderException;

/** How the commands read and write the text forms of their parameters (periods, number lists, optional files). */
final class ParameterText {
	private ParameterText() {}

	/** "start,end", whole numbers without ".0". */
	static String period(Period p) {
		return trim(p.start()) + "," + trim(p.end());
	}

	private static String trim(double v) {
		return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
	}

	/** "start,end" as a period; {@code name} is the parameter named in the error. */
	static Period parsePeriod(String s, String name) {
		double[] v = numbers(s, 2, name);
		return new Period(v[0], v[1]);
	}

	/** Exactly {@code n} comma-separated numbers, else a {@link RerenderException} naming the parameter. */
	static double[] numbers(String s, int n, String name) {
		String[] p = s == null ? new String[0] : s.split(",");
		if (p.length != n) throw new RerenderException(name + " needs " + n + " comma-separated numbers, got '" + s + "'");
		double[] v = new double[n];
		try {
			for (int i = 0; i < n; i++) v[i] = Double.parseDouble(p[i].trim());
		}
		catch (NumberFormatException e) {
			throw new RerenderException(name + " needs " + n + " comma-separated numbers, got '" + s + "'");
		}
		return v;
	}

	/** An optional file parameter: null when not given (SciJava may give an empty path). */
	static Path file(File f) {
		return f == null || f.getPath().isBlank() ? null : f.toPath();
	}

	/** A required file parameter; {@code what} is named in the error when it is missing. */
	static Path path(File f, String what) {
		if (f == null || f.getPath().isBlank()) throw new RerenderException("No " + what + " was given.");
		return f.toPath();
	}
}
