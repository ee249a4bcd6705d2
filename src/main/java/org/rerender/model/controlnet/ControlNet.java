package org.rerender.model.controlnet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import org.rerender.model.nn.ChannelsLast;
import org.rerender.model.nn.Container;
import org.rerender.model.nn.Conv2d;
import org.rerender.model.nn.Functional;
import org.rerender.model.nn.Module;
import org.rerender.model.nn.Scope;
import org.rerender.model.unet.EncoderParts;
import org.rerender.model.unet.Layer;
import org.rerender.model.unet.UNetCallContext;
import org.rerender.model.unet.UNetConfig;
import org.rerender.model.nn.Scalars;

/**
 * cldm's {@code ControlNet}: a copy of the UNet encoder + middle block, a hint encoder whose output is added to
 * {@code input_blocks[0]}'s output only, and 1×1 zero convs giving 13 residuals (12 + {@code middle_block_out}).
 * Keys are relative to {@code control_model.}.
 */
public final class ControlNet extends Module {
	/** The hint block's fixed widths (unchanged between the tiny and the real model). */
	static final int[] HINT_WIDTHS = {16, 16, 32, 32, 96, 96, 256};
	private final EncoderParts enc;
	private final List<Conv2d> hint = new ArrayList<>();
	private final List<Conv2d> zeroConvs = new ArrayList<>();
	private final Conv2d middleOut;

	public ControlNet(UNetConfig cfg) {
		modelChannels = cfg.modelChannels();
		enc = new EncoderParts(cfg);
		child("time_embed", enc.timeEmbedModule());
		child("input_blocks", enc.inputBlocksModule());
		Container zc = child("zero_convs", new Container());
		for (int i = 0; i < enc.inputBlockCount(); i++) {
			long ch = enc.inputChannels(i);
			zeroConvs.add(zc.add(Integer.toString(i), new Container()).add("0", Conv2d.k1(ch, ch)));
		}
		Container hintBlock = child("input_hint_block", new Container());
		long in = cfg.hintChannels();
		for (int i = 0; i < HINT_WIDTHS.length; i++) {
			int stride = (i == 2 || i == 4 || i == 6) ? 2 : 1;
			hint.add(hintBlock.add(Integer.toString(2 * i), new Conv2d(in, HINT_WIDTHS[i], 3, stride, 1)));
			in = HINT_WIDTHS[i];
		}
		hint.add(hintBlock.add(Integer.toString(2 * HINT_WIDTHS.length), Conv2d.k3(in, cfg.modelChannels())));
		child("middle_block", enc.middleBlockModule());
		middleOut = child("middle_block_out", new Container()).add("0", Conv2d.k1(enc.middleChannels(), enc.middleChannels()));
	}

	@Override
	protected void onLoaded() {
		ChannelsLast.apply(this, "the ControlNet"); // channelsLast(): activations NHWC inside
	}

	/**
	 * {@code input_hint_block(hint)}: SiLU between the convs, none after the last. Channels-last: the encoded hint is
	 * channels-last (what {@link #forwardGuided} adds it to).
	 */
	public NDArray hintEncoder(NDArray hintImage) {
		try (Scope s = Scope.of(hintImage)) {
			NDArray h = ChannelsLast.enter(this, hintImage);
			for (int i = 0; i < hint.size(); i++) {
				h = hint.get(i).forward(h);
				if (i < hint.size() - 1) h = Functional.silu(h);
			}
			return s.keep(h);
		}
	}

	/**
	 * The 13 control residuals, each multiplied by {@code scales[i]} (null = all 1).
	 * @param hintImage {@code [B, 3, 8h, 8w]} in [0,1]
	 */
	public List<NDArray> forward(NDArray x, NDArray hintImage, int[] timesteps, NDArray context, float[] scales, UNetCallContext ctx) {
		try (Scope s = Scope.of(x, context, hintImage)) {
			List<NDArray> r = forward(x, hintImage, enc.sinusoid(x.getManager(), timesteps, x.getDataType()), context, scales, ctx);
			r.forEach(s::keep);
			return r;
		}
	}

	private int modelChannels = -1;

	/** Width of the sinusoidal timestep embedding (model_channels). */
	public int modelChannels() {
		return modelChannels;
	}

	/** The sinusoidal timestep embedding {@code [B, model_channels]} this ControlNet would make. */
	public NDArray timestepSinusoid(ai.djl.ndarray.NDManager manager, int[] timesteps, DataType dtype) {
		return enc.sinusoid(manager, timesteps, dtype);
	}

	/** {@link #forward(NDArray, NDArray, int[], NDArray, float[], UNetCallContext)} with the sinusoid already made. */
	public List<NDArray> forward(NDArray x, NDArray hintImage, NDArray tEmb, NDArray context, float[] scales, UNetCallContext ctx) {
		try (Scope s = Scope.of(x, context, hintImage, tEmb)) {
			NDArray guided = hintEncoder(hintImage);
			if (ctx.probe() != null) ctx.probe().accept("guided_hint", guided);
			List<NDArray> r = forwardGuided(x, guided, tEmb, context, scales, ctx);
			r.forEach(s::keep);
			return r;
		}
	}

	/**
	 * The residuals from an already encoded hint ({@link #hintEncoder}, {@code [B, model_channels, h, w]}). The hint
	 * encoder depends on the hint image only, not on x, the timestep or the prompt, so a sampler encodes it once per
	 * image instead of at every step as cldm does (same result). Channels-last: x is converted at entry and the
	 * residuals are channels-last (the UNet adds them to its own channels-last activations; values are the same).
	 */
	public List<NDArray> forwardGuided(NDArray x, NDArray guided, NDArray tEmb, NDArray context, float[] scales, UNetCallContext ctx) {
		List<NDArray> outs = new ArrayList<>();
		try (Scope s = Scope.of(x, context, guided, tEmb)) {
			Layer.Inputs in = enc.prepare(tEmb, context, ctx);
			NDArray h = ChannelsLast.enter(this, x);
			for (int i = 0; i < enc.inputBlockCount(); i++) {
				h = enc.inputBlock(i, h, in);
				if (i == 0) h = h.add(guided);
				outs.add(zeroConvs.get(i).forward(h));
			}
			h = enc.middleBlock(h, in);
			outs.add(middleOut.forward(h));
			List<NDArray> result = new ArrayList<>(outs.size());
			for (int i = 0; i < outs.size(); i++) {
				NDArray r = outs.get(i);
				if (scales != null && scales[i] != 1f) r = Scalars.mul(r, scales[i]);
				result.add(s.keep(r));
			}
			return result;
		}
	}
}
