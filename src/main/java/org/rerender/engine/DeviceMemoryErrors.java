package org.rerender.engine;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.types.DataType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Turns a native out-of-memory failure into an error the user can act on. libtorch reports one as a C++ exception,
 * which DJL (and our torchext) rethrow as {@link EngineException} with libtorch's text: "CUDA out of memory. Tried to
 * allocate …", "CUDA error: out of memory", "CUBLAS_STATUS_ALLOC_FAILED when calling cublasCreate(handle)",
 * "cudaErrorMemoryAllocation", "CUDNN_STATUS_ALLOC_FAILED", on the CPU "DefaultCPUAllocator: not enough memory" (older:
 * "can't allocate memory").
 * {@link #translate} finds one anywhere in a cause chain and replaces the whole failure by a {@link RerenderException}
 * naming the device, the working size that failed, an estimate of the largest size that fits, and what to do; any
 * other failure is returned unchanged.
 * <p>
 * The estimate is a straight line through the measurements in README, section GPU (one key frame, F16, device-wide
 * memory incl. CUDA context and allocator reserve): {@link #F16_FIXED_GIB} for the weights (2.65 GiB) and the CUDA
 * context (0.5 GiB), plus {@link #F16_PER_512SQ_GIB} per 512×512 pixels (7.6 GiB at 512²; the line gives 13.1 GiB at
 * 768², measured 12.8–13.4). At F32 (measured 11.3 GiB at 512²): {@link #F32_FIXED_GIB} + {@link #F32_PER_512SQ_GIB}.
 * Memory is assumed to grow with the pixel count; the Rerender constraints and other programs on the card need more.
 * <p>
 * The native memory of the failed work is freed by the caller's sub-managers closing as the exception passes (the
 * engine scopes every frame's arrays in try-with-resources), so the user can retry in the same session.
 */
public final class DeviceMemoryErrors {
	/** F16 on CUDA: GiB for weights + context, and GiB of activations per 512×512 pixels. */
	public static final double F16_FIXED_GIB = 3.2, F16_PER_512SQ_GIB = 4.4;
	/** F32 on CUDA (the benchmark's F32 row). */
	public static final double F32_FIXED_GIB = 5.8, F32_PER_512SQ_GIB = 5.5;
	/** The share of the card's total memory the estimate counts on (the rest: fragmentation, the display). */
	public static final double USABLE_SHARE = 0.95;

	private static final String[] MARKERS = {"out of memory", "cublas_status_alloc_failed", "cudnn_status_alloc_failed",
		"cudaerrormemoryallocation", "can't allocate memory", "cannot allocate memory", "not enough memory"};
	private static final double GIB = 1L << 30;

	private DeviceMemoryErrors() {}

	/**
	 * The work that failed.
	 * @param target the device and precision it ran on
	 * @param width the working frame width in pixels; 0 with {@code height} 0: while loading the models
	 * @param totalBytes the device's total memory, -1 when unknown (CPU, or CUDA cannot tell)
	 * @param setting the name of the resolution setting the user changes ({@code image_resolution}, {@code resolution})
	 * @param limitCap the long side {@code use_limit_device_resolution} would cap this work at when turned on; -1
	 *     when that setting does not apply (already on, not a job, unknown memory)
	 */
	public record Work(DeviceChoice.Resolved target, int width, int height, long totalBytes, String setting, int limitCap) {
		/** A frame of {@code width}×{@code height} on {@code target}; its total memory is read now. */
		public static Work frame(DeviceChoice.Resolved target, int width, int height, String setting) {
			return new Work(target, width, height, GpuMemory.read(target.device()).totalBytes(), setting, -1);
		}

		/** Loading the models on {@code target}. */
		public static Work loading(DeviceChoice.Resolved target) {
			return new Work(target, 0, 0, GpuMemory.read(target.device()).totalBytes(), null, -1);
		}

		public Work withLimitCap(int cap) {
			return new Work(target, width, height, totalBytes, setting, cap);
		}
	}

	/** The out-of-memory failure in {@code t}'s cause chain, or null. */
	public static EngineException find(Throwable t) {
		for (int depth = 0; t != null && depth < 32; t = t.getCause(), depth++)
			if (t instanceof EngineException e && isOutOfMemory(e.getMessage())) return e;
		return null;
	}

	static boolean isOutOfMemory(String message) {
		if (message == null) return false;
		String m = message.toLowerCase(Locale.ROOT);
		for (String k : MARKERS)
			if (m.contains(k)) return true;
		return false;
	}

	/**
	 * {@code e} itself when no out-of-memory failure is in its chain; else a {@link RerenderException} for the user
	 * (its cause: {@code e}). {@code work} is only asked in the second case.
	 */
	public static RuntimeException translate(RuntimeException e, Supplier<Work> work) {
		EngineException oom = find(e);
		if (oom == null) return e;
		return new RerenderException(message(work.get(), oom.getMessage()), e);
	}

	/**
	 * The largest long side (a multiple of 64) whose frame of aspect {@code width}:{@code height} fits in
	 * {@code totalBytes} by the estimate; 0 when not even 64 does (the weights alone about fill it), -1 when unknown.
	 */
	public static int largestLongSide(long totalBytes, DataType dtype, int width, int height) {
		if (totalBytes <= 0 || width <= 0 || height <= 0) return -1;
		boolean f16 = dtype == DataType.FLOAT16;
		double fixed = f16 ? F16_FIXED_GIB : F32_FIXED_GIB, per = f16 ? F16_PER_512SQ_GIB : F32_PER_512SQ_GIB;
		double pixels = (totalBytes / GIB * USABLE_SHARE - fixed) / per * 512 * 512;
		if (pixels <= 0) return 0;
		double aspect = Math.min(width, height) / (double) Math.max(width, height);
		int side = (int) (Math.sqrt(pixels / aspect) / 64 + 1e-9) * 64; // 1e-9: no rounding loss at an exact multiple
		return Math.max(side, 0);
	}

	/** The user's message for {@code work} failing with libtorch's {@code nativeMessage}. */
	public static String message(Work w, String nativeMessage) {
		DeviceChoice.Resolved t = w.target();
		boolean gpu = t.device().isGpu();
		String dev = (gpu ? "cuda:" + t.device().getDeviceId() : "cpu") + " (" + (t.dtype() == DataType.FLOAT16 ? "F16" : "F32") + ")";
		StringBuilder sb = new StringBuilder("Out of ").append(gpu ? "GPU" : "CPU").append(" memory on ").append(dev);
		boolean loading = w.width() <= 0 || w.height() <= 0;
		if (loading) sb.append(" while loading the models.");
		else sb.append(" at a working size of ").append(w.width()).append('×').append(w.height()).append(" pixels (")
			.append(w.setting()).append(" sets the long side).");
		int fit = gpu && !loading ? largestLongSide(w.totalBytes(), t.dtype(), w.width(), w.height()) : -1;
		if (gpu && w.totalBytes() > 0)
			sb.append(String.format(Locale.ROOT, " The card has %.1f GiB in all.", w.totalBytes() / GIB));
		if (fit > 0 && fit < Math.max(w.width(), w.height()))
			sb.append(" Estimate (not a guarantee; README, GPU): about ").append(w.setting()).append(' ').append(fit)
				.append(" fits this card when nothing else uses it.");
		else if (fit == 0 || (gpu && loading))
			sb.append(String.format(Locale.ROOT, " The weights and the CUDA context alone need about %.1f GiB (estimate).",
				t.dtype() == DataType.FLOAT16 ? F16_FIXED_GIB : F32_FIXED_GIB));
		else if (fit > 0)
			sb.append(" By the estimate this size fits the card when idle: other programs probably use GPU memory.");
		List<String> actions = new ArrayList<>();
		int side = Math.max(w.width(), w.height());
		if (!loading) actions.add("lower " + w.setting() + (fit > 0 && fit < side ? " (to " + fit + " or less)" : ""));
		if (gpu && !loading && w.limitCap() > 0 && w.limitCap() < side)
			actions.add("turn on use_limit_device_resolution (the original's table caps " + w.setting() + " at " + w.limitCap()
				+ " for this card)");
		if (gpu) actions.add("choose device cpu (slow, but not limited by GPU memory)");
		actions.add("free the loaded networks (Fiji: Plugins > Rerender > Free Models)"
			+ (gpu ? " and close other programs that use the GPU" : ""));
		sb.append(" What to do: ").append(String.join("; ", actions)).append("; then try again.");
		String first = nativeMessage == null ? "" : nativeMessage.strip().lines().findFirst().orElse("");
		if (first.length() > 240) first = first.substring(0, 240) + "…";
		if (!first.isEmpty()) sb.append(" (libtorch: ").append(first).append(')');
		return sb.toString();
	}
}
