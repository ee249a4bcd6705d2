package org.rerender.model.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * 2-D convolution ({@code weight [out,in,k,k]}, {@code bias [out]} unless bias-free), symmetric padding.
 *
 * <p>
 * Workaround: libtorch 2.7.1's CPU convolution (the oneDNN kernels DJL 0.36 ships) returns wrong values for spatial
 * kernels when the input channel count is above the kernel's channel block and not a multiple of it (measured on
 * AVX-512: C = 17..31, 33..47, 130, …; with oneDNN limited to AVX2 from C = 9 on, not multiples of 8): errors of order 1
 * for outputs of order 20. 1×1 kernels and channel counts that are multiples of 16 are right. On the CPU such a
 * convolution therefore runs on inputs and weights zero-padded to a multiple of 16 channels, which is exact.
 * {@code Conv2dTest} checks both against a double-precision reference.
 *
 * <p>Channels-last ({@link ChannelsLast}): the weight is replaced once by a channels-last copy; the padding workaround
 * then pads in channels-last too, so its output stays channels-last.
 */
public final class Conv2d extends Module {
	/** oneDNN's largest CPU channel block (AVX-512: 16 floats); padding to it also covers the AVX2 block of 8. */
	static final int CPU_CHANNEL_BLOCK = 16;
	private final Param weight, bias;
	private final Shape stride, padding;
	/** The channel-padded copy of a loaded weight for the CPU workaround; one field, so concurrent jobs see a pair. */
	private record Padded(NDArray from, NDArray weight) {}

	private volatile Padded padded;

	public Conv2d(long in, long out, int kernel, int stride, int padding) {
		this(in, out, kernel, stride, padding, true);
	}

	public Conv2d(long in, long out, int kernel, int stride, int padding, boolean hasBias) {
		this.weight = param("weight", out, in, kernel, kernel);
		this.bias = hasBias ? param("bias", out) : null;
		this.stride = new Shape(stride, stride);
		this.padding = new Shape(padding, padding);
	}

	/** 3×3, stride 1, padding 1. */
	public static Conv2d k3(long in, long out) {
		return new Conv2d(in, out, 3, 1, 1);
	}

	/** 1×1. */
	public static Conv2d k1(long in, long out) {
		return new Conv2d(in, out, 1, 1, 0);
	}

	/**
	 * Replaces the weight by a channels-last copy (same values) and frees the original: no second copy stays.
	 * The copy is always one that owns its memory: libtorch's {@code contiguous(ChannelsLast)} returns its input
	 * itself when that already counts as channels-last, which every {@code [O,I,1,1]} weight does (size-1 axes), and
	 * a loaded weight is a view of the mapped file that only its own NDArray keeps mapped, so closing it would leave
	 * an alias into memory the next GC unmaps (a SIGSEGV in the 1×1 convolutions on the next call).
	 */
	@Override
	protected void onChannelsLast() {
		NDArray old = weight.get();
		NDArray owned = old.duplicate(); // libtorch's own memory; row-major like old
		NDArray cl = TorchExt.toChannelsLast(owned);
		weight.set(cl);
		if (cl != owned) owned.close(); // a channels-last copy was made; when cl aliases owned, the storage is libtorch's
		old.close();
	}

	public NDArray forward(NDArray x) {
		NDArray w = weight.get(), b = bias == null ? null : bias.get();
		if (!needsChannelPadding(x, w)) return run(x, w, b, stride, padding);
		long c = paddedChannels(w.getShape().get(1));
		return run(padChannels(x, c, channelsLast()), channelPaddedWeight(w, c), b, stride, padding);
	}

	/**
	 * One convolution with square stride and padding, for networks that keep their weights outside {@code Conv2d}
	 * modules; applies the same CPU workaround (padding the weight on every call).
	 */
	public static NDArray convolve(NDArray x, NDArray w, NDArray b, int stride, int padding) {
		if (!needsChannelPadding(x, w)) return run(x, w, b, new Shape(stride, stride), new Shape(padding, padding));
		long c = paddedChannels(w.getShape().get(1));
		try (NDManager scope = x.getManager().newSubManager()) {
			NDArray pw = padChannels(w, c, false);
			pw.attach(scope);
			return run(padChannels(x, c, false), pw, b, new Shape(stride, stride), new Shape(padding, padding));
		}
	}

	private static NDArray run(NDArray x, NDArray w, NDArray b, Shape stride, Shape padding) {
		return x.getNDArrayInternal().convolution(x, w, b, stride, padding, new Shape(1, 1), 1).singletonOrThrow();
	}

	/**
	 * {@code a [N,C,…]} with zero channels appended up to {@code channels}, in {@code a}'s manager. Channels-last: the
	 * zeros are made channels-last too, since libtorch's cat gives a row-major result when its inputs' layouts differ.
	 */
	private static NDArray padChannels(NDArray a, long channels, boolean channelsLast) {
		Shape s = a.getShape();
		try (NDArray zeros = a.getManager().zeros(new Shape(s.get(0), channels - s.get(1), s.get(2), s.get(3)), a.getDataType())) {
			if (!channelsLast) return NDArrays.concat(new NDList(a, zeros), 1);
			try (NDArray zl = TorchExt.toChannelsLast(zeros)) {
				return NDArrays.concat(new NDList(a, zl), 1);
			}
		}
	}

	/** Only for a well-formed call (x's channels = the weight's): a mismatch is left to libtorch's own error. */
	static boolean needsChannelPadding(NDArray x, NDArray w) {
		long c = x.getShape().get(1);
		if (c != w.getShape().get(1)) return false;
		boolean spatial = w.getShape().get(2) > 1 || w.getShape().get(3) > 1;
		return spatial && c > CPU_CHANNEL_BLOCK / 2 && c % CPU_CHANNEL_BLOCK != 0 && x.getDevice().getDeviceType().equals(Device.Type.CPU);
	}

	static long paddedChannels(long c) {
		return (c + CPU_CHANNEL_BLOCK - 1) / CPU_CHANNEL_BLOCK * CPU_CHANNEL_BLOCK;
	}

	/** Made once per loaded weight and kept with it (same manager), so a per-frame loop allocates nothing here. */
	private NDArray channelPaddedWeight(NDArray w, long channels) {
		Padded p = padded;
		if (p == null || p.from() != w) {
			p = new Padded(w, padChannels(w, channels, channelsLast()));
			padded = p; // a concurrent first call may make a second copy: it lives with the weights, like the first
		}
		return p.weight();
	}
}
