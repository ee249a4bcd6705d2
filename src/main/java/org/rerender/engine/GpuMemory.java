package org.rerender.engine;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;

import java.lang.management.MemoryUsage;
import java.util.Locale;

/**
 * A GPU's memory, device-wide ({@code cudaMemGetInfo} through DJL's {@link CudaUtils}): total and free bytes, as
 * every process on the card sees them. When CUDA cannot tell (no CUDA runtime library found, a CPU device) both are
 * -1 and {@link #error()} says why.
 */
public record GpuMemory(long totalBytes, long freeBytes, String error) {
	private static final double GIB = 1L << 30;

	/** Reads device {@code d}'s memory now; never throws. */
	public static GpuMemory read(Device d) {
		if (d == null || !d.isGpu()) return new GpuMemory(-1, -1, "not a GPU");
		try {
			MemoryUsage mu = CudaUtils.getGpuMemory(d);
			return new GpuMemory(mu.getMax(), mu.getMax() - mu.getUsed(), null);
		}
		catch (RuntimeException | LinkageError e) {
			return new GpuMemory(-1, -1, String.valueOf(e.getMessage()));
		}
	}

	public boolean known() {
		return totalBytes > 0;
	}

	public long usedBytes() {
		return known() ? totalBytes - freeBytes : -1;
	}

	/** {@code "1.2/79.2 GiB used"} or {@code "unknown (why)"}. */
	public String describe() {
		if (!known()) return "unknown (" + error + ")";
		return String.format(Locale.ROOT, "%.1f/%.1f GiB used", usedBytes() / GIB, totalBytes / GIB);
	}
}
