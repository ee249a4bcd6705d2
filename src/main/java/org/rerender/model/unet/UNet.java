package org.rerender.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import org.rerender.model.nn.ChannelsLast;
import org.rerender.model.nn.Container;
import org.rerender.model.nn.Conv2d;
import org.rerender.model.nn.GroupNorm;
import org.rerender.model.nn.Module;
import org.rerender.model.nn.Scope;

/**
 * ldm's {@code UNetModel} as used by {@code cldm.ControlledUnetModel}: optional ControlNet residuals
 * (residual 12 added to the middle-block output; 11…0 added to the skips as they are popped), a decoder
 * {@link SkipHook} (FreeU) and {@link AttentionHook} (cross-frame attention) supplied per call.
 * Keys are relative to {@code model.diffusion_model.}.
 */
public final class UNet extends Module {
	private final UNetConfig config;
	private final EncoderParts enc;
	private final List<Block> outputs = new ArrayList<>();
	private final List<SelfAttentionSite> sites = new ArrayList<>();
	private final GroupNorm outNorm;
	private final Conv2d outConv;

	public UNet(UNetConfig cfg) {
		this.config = cfg;
		this.enc = new EncoderParts(cfg);
		child("time_embed", enc.timeEmbed);
		child("input_blocks", enc.inputBlocks);
		child("middle_block", enc.middle);
		Container outBlocks = child("output_blocks", new Container());
		int mc = cfg.modelChannels();
		int[] mult = cfg.channelMult();
		long ch = enc.deepestChannels;
		int ds = 1 << (mult.length - 1);
		Deque<Long> skips = new ArrayDeque<>(enc.inputChannels);
		for (int level = mult.length - 1; level >= 0; level--) {
			for (int i = 0; i <= cfg.numResBlocks(); i++) {
				int blockIndex = outputs.size();
				long skipCh = skips.removeLast();
				long out = (long) mc * mult[level];
				Block b = new Block();
				b.add(new ResBlock(ch + skipCh, out, cfg.timeEmbedDim()));
				ch = out;
				if (cfg.hasAttention(ds)) {
					final long width = ch;
					b.add(new SpatialTransformer(ch, cfg.numHeads(), cfg.transformerDepth(), cfg.contextDim(), d -> {
						SelfAttentionSite s = new SelfAttentionSite(blockIndex, sites.size(), d, width);
						sites.add(s);
						return s;
					}));
				}
				if (level > 0 && i == cfg.numResBlocks()) {
					b.add(Resample.up(ch));
					ds /= 2;
				}
				outputs.add(outBlocks.add(Integer.toString(blockIndex), b));
			}
		}
		Container out = child("out", new Container());
		outNorm = out.add("0", new GroupNorm(ch, ResBlock.EPS));
		outConv = out.add("2", Conv2d.k3(ch, cfg.outChannels()));
	}

	@Override
	protected void onLoaded() {
		ChannelsLast.apply(this, "the UNet"); // channelsLast(): activations NHWC inside forward
	}

	public UNetConfig config() {
		return config;
	}

	/** The decoder self-attention layers in call order (output blocks 3…11 for SD 1.5). */
	public List<SelfAttentionSite> decoderSelfAttentionSites() {
		return List.copyOf(sites);
	}

	/** Sets the attention slice budget (score elements) of every attention layer. */
	public void setMaxScoreElements(long n) {
		for (Block b : enc.inputs) AttentionBudget.apply(b, n);
		AttentionBudget.apply(enc.middle, n);
		for (Block b : outputs) AttentionBudget.apply(b, n);
	}

	/**
	 * ε prediction.
	 * @param x latent {@code [B, 4, h, w]} (dtype and device of the weights)
	 * @param timesteps one integer timestep per batch row
	 * @param context {@code [B, 77, context_dim]}
	 * @param control 13 ControlNet residuals (already scaled), or null
	 * @return {@code [B, out_channels, h, w]}, owned by {@code x}'s manager; intermediates are freed
	 */
	public NDArray forward(NDArray x, int[] timesteps, NDArray context, List<NDArray> control, UNetCallContext ctx) {
		try (Scope s = Scope.of(x, context)) {
			return s.keep(forward(x, enc.sinusoid(x.getManager(), timesteps, x.getDataType()), context, control, ctx));
		}
	}

	/** The sinusoidal timestep embedding {@code [B, model_channels]} this UNet would make for {@code timesteps}. */
	public NDArray timestepSinusoid(NDManager manager, int[] timesteps, DataType dtype) {
		return enc.sinusoid(manager, timesteps, dtype);
	}

	/**
	 * {@link #forward(NDArray, int[], NDArray, List, UNetCallContext)} with the sinusoid {@code tEmb} already made.
	 * Channels-last: x is converted at entry, ε is returned row-major; the probe sees channels-last activations.
	 */
	public NDArray forward(NDArray x, NDArray tEmb, NDArray context, List<NDArray> control, UNetCallContext ctx) {
		try (Scope s = Scope.of(x, context, tEmb)) {
			Layer.Inputs in = enc.prepare(tEmb, context, ctx);
			Deque<NDArray> hs = new ArrayDeque<>();
			NDArray h = ChannelsLast.enter(this, x);
			for (int i = 0; i < enc.inputs.size(); i++) {
				h = enc.inputBlock(i, h, in);
				if (ctx.probe() != null) ctx.report(String.format("input_block.%02d", i), h);
				hs.addLast(h);
			}
			h = enc.middleBlock(h, in);
			ctx.report("middle_block", h);
			int ci = control == null ? -1 : control.size() - 1;
			if (control != null) h = h.add(control.get(ci--));
			for (int k = 0; k < outputs.size(); k++) {
				NDArray skip = hs.removeLast();
				try (Scope bs = Scope.of(h, skip)) {
					if (ctx.skipHook() != null) {
						SkipHook.HSkip r = ctx.skipHook().apply(ctx, k, h, skip);
						h = r.h();
						skip = r.skip();
					}
					if (control != null) skip = skip.add(control.get(ci--));
					NDArray cat = NDArrays.concat(new NDList(h, skip), 1);
					h = bs.keep(outputs.get(k).forward(cat, in));
				}
			}
			NDArray eps = outConv.forward(outNorm.forwardSilu(h));
			return s.keep(ChannelsLast.exit(this, eps));
		}
	}
}
