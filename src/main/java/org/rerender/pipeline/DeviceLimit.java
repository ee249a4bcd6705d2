package org.rerender.pipeline;

import java.util.Locale;
import java.util.function.Consumer;
import org.rerender.config.DeviceResolution;
import org.rerender.engine.DeviceChoice;
import org.rerender.engine.GpuMemory;
import org.rerender.engine.RerenderException;

/**
 * {@code use_limit_device_resolution}: on a GPU, {@code image_resolution} capped by the original's table of total GPU
 * memory ({@link DeviceResolution}); on the CPU, or when the GPU's memory is unknown, {@code image_resolution} as it
 * is. Either way a note says what happened when the value is not simply kept.
 */
final class DeviceLimit {
	private DeviceLimit() {}

	/**
	 * The working resolution for {@code imageResolution} on {@code device} (null: not known) with
	 * {@code memory} (null or unknown: no cap); notes go to {@code note}.
	 */
	static int resolution(int imageResolution, DeviceChoice.Resolved device, GpuMemory memory, Consumer<String> note) {
		if (device == null) {
			note.accept("use_limit_device_resolution: the job's device is not known here, so the configured image_resolution "
				+ imageResolution + " is used");
			return imageResolution;
		}
		if (!device.device().isGpu()) {
			note.accept("use_limit_device_resolution applies to GPU memory; on the CPU the configured image_resolution "
				+ imageResolution + " is used");
			return imageResolution;
		}
		if (memory == null || !memory.known()) {
			note.accept("use_limit_device_resolution: the GPU's memory is unknown (" + (memory == null ? "not read" : memory.error())
				+ "); image_resolution " + imageResolution + " is used");
			return imageResolution;
		}
		int limited = DeviceResolution.limit(imageResolution, memory.totalBytes());
		if (limited < imageResolution)
			note.accept(String.format(Locale.ROOT, "use_limit_device_resolution: image_resolution %d lowered to %d for the %.1f GiB"
				+ " of cuda:%d", imageResolution, limited, memory.totalBytes() / (double) (1L << 30), device.device().getDeviceId()));
		return limited;
	}

	/** What use_limit_device_resolution would cap at on a device of {@code totalBytes}; -1 when unknown or under 4 GiB. */
	static int capOf(long totalBytes) {
		if (totalBytes <= 0) return -1;
		try {
			return DeviceResolution.cap(totalBytes);
		}
		catch (RerenderException e) {
			return -1;
		}
	}
}
