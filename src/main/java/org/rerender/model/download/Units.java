package org.rerender.model.download;

import java.util.Locale;

/** Formatting of byte counts, rates and durations for progress messages. */
public final class Units {
	private Units() {}

	public static String bytes(long n) {
		if (n < 1024) return n + " B";
		String[] u = { "KB", "MB", "GB", "TB" };
		double v = n;
		int i = -1;
		do {
			v /= 1024;
			i++;
		}
		while (v >= 1024 && i < u.length - 1);
		return String.format(Locale.ROOT, "%.1f %s", v, u[i]);
	}

	public static String duration(double seconds) {
		if (!Double.isFinite(seconds) || seconds < 0) return "?";
		long s = Math.round(seconds);
		if (s < 60) return s + " s";
		if (s < 3600) return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
		return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
	}
}
