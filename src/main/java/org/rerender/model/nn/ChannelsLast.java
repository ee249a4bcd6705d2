package org.rerender.model.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Channels-last (NHWC) memory for the UNet, ControlNet and VAE: system property {@value #PROPERTY}{@code =true}
 * (default off). Layout is only memory: every value stays the same; what changes is which kernels libtorch picks
 * (cuDNN's fast F16 convolutions on Ampere/Hopper are NHWC, so NCHW tensors are transposed around each of them).
 *
 * <p>The property is read when a network's weights are loaded ({@link WeightLoader#load}, {@link WeightLoader#randomize}):
 * if it is on and the weights' device allows it ({@link #refusal}), every convolution weight of the network is replaced
 * once by a channels-last copy (the original is freed: no second copy stays, no per-call conversion), and the network
 * converts its 4-D input at entry and gives its output back in the layout its callers expect (the UNet's ε, the VAE's
 * moments and image: row-major; the ControlNet's residuals stay channels-last, the UNet adds them). On the way every
 * op keeps NHWC: GroupNorm (on CUDA our own kernel, since ATen's CUDA group_norm makes its input NCHW; on the CPU
 * libtorch's, which handles channels-last), convolutions, residual adds, SiLU, nearest upsampling, the concatenation
 * of skips along channels, the CPU's channel-padding workaround in {@link Conv2d}, and the transformers' and VAE
 * attention's {@code [B,C,H,W] → [B,HW,C]} (a permute that is a free view in NHWC).
 *
 * <p>Needs {@link TorchExt} (DJL has no memory-format API): without it, or on CUDA when our GroupNorm kernel is not
 * built or failed its check against {@code at::group_norm}, channels-last is refused with one log line why and the
 * network stays NCHW. That check runs once per process, when channels-last is first asked for on a GPU ({@link #apply},
 * {@link #refusal}), so runs with the switch off never touch the kernel; and only GroupNorms of converted networks may
 * use it ({@link Module#channelsLast()}), whatever the layout of other networks' tensors. Off, nothing is converted
 * (ChannelsLastLayoutTest reads the strides back, GroupNorm inputs included).
 */
public final class ChannelsLast {
	/** System property: {@code true} keeps the networks' activations channels-last (read when weights are loaded). */
	public static final String PROPERTY = "rerender.channelslast";
	private static final System.Logger LOG = System.getLogger(ChannelsLast.class.getName());
	private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

	private ChannelsLast() {}

	/** Whether the switch asks for channels-last now. */
	public static boolean requested() {
		return Boolean.getBoolean(PROPERTY);
	}

	/** Why channels-last cannot be used on {@code device}, or null when it can. */
	public static String refusal(Device device) {
		try {
			return TorchExt.channelsLastRefusal(device);
		}
		catch (IllegalStateException e) { // rerender.torchext.required=true and the load failed
			return e.getMessage();
		}
	}

	/**
	 * Called by a network once its weights are loaded: when {@link #requested()} and the weights' device allows it,
	 * converts every convolution weight under {@code network} to channels-last and marks every module under it
	 * ({@link Module#channelsLast()}); returns whether it did. A refusal is logged once per reason.
	 */
	public static boolean apply(Module network, String what) {
		if (!requested()) return false;
		Device device = network.firstParam().getDevice();
		String why = refusal(device);
		if (why != null) {
			if (LOGGED.add(why))
				LOG.log(System.Logger.Level.WARNING, "channels-last (" + PROPERTY + "=true) refused, " + what + " stays NCHW on " + device + ": " + why);
			return false;
		}
		network.visit(Module::convertToChannelsLast);
		return true;
	}

	/**
	 * {@code [B,C,H,W] → [B,HW,C]} (the UNet's spatial transformers, the VAE's attention). Channels-last: permute to
	 * {@code [B,H,W,C]} (its memory order) and reshape, a free view. Row-major: as before the channels-last switch (a
	 * transposed view; in the UNet the transformer's first LayerNorm copies).
	 */
	public static NDArray toTokens(NDArray x, boolean channelsLast) {
		Shape s = x.getShape();
		long b = s.get(0), c = s.get(1), hw = s.get(2) * s.get(3);
		return channelsLast ? x.transpose(0, 2, 3, 1).reshape(b, hw, c) : x.reshape(b, c, hw).transpose(0, 2, 1);
	}

	/**
	 * {@code [B,HW,C] → [B,C,H,W]}. Channels-last: reshape to {@code [B,H,W,C]} and permute back, a view with
	 * channels-last strides when the tokens are contiguous. Row-major: a view as well, no copy. In the UNet the tokens
	 * arrive with their token axis fastest ({@link #toTokens}' transposed view, whose layout the transformer blocks'
	 * residual adds keep because the running tokens are their first operand, {@code x.add(attn(..))} in TransformerBlock), so
	 * the transpose is row-major {@code [B,C,HW]} and the reshape free. Only that operand order keeps the default path
	 * row-major: were the tokens contiguous {@code [B,HW,C]}, this view would have channels-last strides, and so would
	 * everything after it (ChannelsLastLayoutTest checks the GroupNorm inputs of a switch-off network are row-major).
	 */
	public static NDArray fromTokens(NDArray t, long b, long c, long h, long w, boolean channelsLast) {
		return channelsLast ? t.reshape(b, h, w, c).transpose(0, 3, 1, 2) : t.transpose(0, 2, 1).reshape(b, c, h, w);
	}

	/**
	 * A network's 4-D input in the network's layout: for a network {@link #apply} converted, a channels-last copy in
	 * {@code x}'s manager; otherwise {@code x} itself. The decision was made once, when the weights were loaded
	 * ({@link Module#channelsLast()}); no switch is read here.
	 */
	public static NDArray enter(Module network, NDArray x) {
		return network.channelsLast() ? TorchExt.toChannelsLast(x) : x;
	}

	/** A network's 4-D output in row-major memory: a copy in its manager for a converted network, else {@code x}. */
	public static NDArray exit(Module network, NDArray x) {
		return network.channelsLast() ? TorchExt.contiguous(x) : x;
	}
}
