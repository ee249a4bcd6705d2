package org.rerender.config;

import org.rerender.engine.RerenderException;

/**
 * The original's device-limited resolution table: total GPU memory in GiB (bytes / 2^30) selects the
 * value of the largest key not above it. Below 4 GiB we refuse with a message (the original silently
 * breaks, rerender-algorithm.md §0).
 */
public final class DeviceResolution {
	private static final int[][] TABLE = {
		{24, 1280}, {18, 1024}, {14, 768}, {10, 640}, {8, 576}, {7, 512}, {6, 448}, {5, 320}, {4, 192}};

	private DeviceResolution() {}

	/** The resolution cap for a device with {@code totalBytes} of memory. */
	public static int cap(long totalBytes) {
		double gib = totalBytes / (double) (1L << 30);
		for (int[] row : TABLE)
			if (gib >= row[0]) return row[1];
		throw new RerenderException(String.format(
			"The device has %.1f GiB of memory; 'use_limit_device_resolution' needs at least 4 GiB. "
				+ "Turn it off and choose image_resolution yourself, or run on the CPU.", gib));
	}

	/** min(configured resolution, device cap). */
	public static int limit(int imageResolution, long totalBytes) {
		return Math.min(imageResolution, cap(totalBytes));
	}
}
