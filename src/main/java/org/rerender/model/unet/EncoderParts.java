package org.rerender.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import org.rerender.model.nn.Container;
import org.rerender.model.nn.Conv2d;
import org.rerender.model.nn.Functional;
import org.rerender.model.nn.Module;

/**
 * The modules the UNet and the ControlNet share by layout: {@code time_embed}, {@code input_blocks} and
 * {@code middle_block}. The owner registers them under those names (in its own key order) and runs them
 * through the methods here.
 */
public final class EncoderParts {
	final TimeEmbedding timeEmbed;
	final Container inputBlocks = new Container();
	final List<Block> inputs = new ArrayList<>();
	final Block middle = new Block();
	/** Output channels of input block i (what the decoder's skips and the ControlNet's zero convs see). */
	final List<Long> inputChannels = new ArrayList<>();
	final long deepestChannels;

	public EncoderParts(UNetConfig cfg) {
		int mc = cfg.modelChannels();
		int embDim = cfg.timeEmbedDim();
		timeEmbed = new TimeEmbedding(mc, embDim);
		Block first = new Block().addConv(Conv2d.k3(cfg.inChannels(), mc));
		addInput(first, mc);
		long ch = mc;
		int ds = 1;
		int[] mult = cfg.channelMult();
		for (int level = 0; level < mult.length; level++) {
			for (int r = 0; r < cfg.numResBlocks(); r++) {
				Block b = new Block();
				long out = (long) mult[level] * mc;
				b.add(new ResBlock(ch, out, embDim));
				ch = out;
				if (cfg.hasAttention(ds)) b.add(new SpatialTransformer(ch, cfg.numHeads(), cfg.transformerDepth(), cfg.contextDim(), null));
				addInput(b, ch);
			}
			if (level != mult.length - 1) {
				Block b = new Block();
				b.add(Resample.down(ch));
				addInput(b, ch);
				ds *= 2;
			}
		}
		middle.add(new ResBlock(ch, ch, embDim));
		middle.add(new SpatialTransformer(ch, cfg.numHeads(), cfg.transformerDepth(), cfg.contextDim(), null));
		middle.add(new ResBlock(ch, ch, embDim));
		deepestChannels = ch;
	}

	private void addInput(Block b, long channels) {
		inputBlocks.add(Integer.toString(inputs.size()), b);
		inputs.add(b);
		inputChannels.add(channels);
	}

	public Module timeEmbedModule() {
		return timeEmbed;
	}

	public Module inputBlocksModule() {
		return inputBlocks;
	}

	public Module middleBlockModule() {
		return middle;
	}

	public int inputBlockCount() {
		return inputs.size();
	}

	public long inputChannels(int i) {
		return inputChannels.get(i);
	}

	public long middleChannels() {
		return deepestChannels;
	}

	/** Per-call inputs: {@code silu(time_embed(sinusoid(t)))} and the context. */
	public Layer.Inputs prepare(NDManager manager, int[] timesteps, NDArray context, UNetCallContext ctx, DataType dtype) {
		return prepare(timeEmbed.sinusoid(manager, timesteps, dtype), context, ctx);
	}

	/** The sinusoidal embedding {@code [B, model_channels]} of the timesteps, in {@code dtype} (no host copy per call). */
	public NDArray sinusoid(NDManager manager, int[] timesteps, DataType dtype) {
		return timeEmbed.sinusoid(manager, timesteps, dtype);
	}

	/** Per-call inputs from an already made sinusoid {@code tEmb} (e.g. a CUDA graph's static input). */
	public Layer.Inputs prepare(NDArray tEmb, NDArray context, UNetCallContext ctx) {
		ctx.report("t_emb", tEmb);
		NDArray emb = timeEmbed.forward(tEmb);
		ctx.report("emb", emb);
		return new Layer.Inputs(Functional.silu(emb), context, ctx);
	}

	public NDArray inputBlock(int i, NDArray h, Layer.Inputs in) {
		return inputs.get(i).forward(h, in);
	}

	public NDArray middleBlock(NDArray h, Layer.Inputs in) {
		return middle.forward(h, in);
	}
}
