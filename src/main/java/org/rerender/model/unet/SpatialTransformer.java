package org.rerender.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import org.rerender.model.nn.Container;
import org.rerender.model.nn.ChannelsLast;
import org.rerender.model.nn.Conv2d;
import org.rerender.model.nn.GroupNorm;
import org.rerender.model.nn.Module;
import org.rerender.model.nn.Scope;

/** ldm's {@code SpatialTransformer} with 1×1-conv {@code proj_in}/{@code proj_out} (SD 1.x); norm eps 1e-6. */
final class SpatialTransformer extends Module implements Layer {
	private final GroupNorm norm;
	private final Conv2d projIn, projOut;
	private final List<TransformerBlock> blocks = new ArrayList<>();

	/** @param siteOf decoder site for transformer block d, or null in the encoder/middle/ControlNet */
	SpatialTransformer(long channels, int heads, int depth, long contextDim, IntFunction<SelfAttentionSite> siteOf) {
		long dimHead = channels / heads;
		norm = child("norm", new GroupNorm(channels, 1e-6f));
		projIn = child("proj_in", Conv2d.k1(channels, channels));
		Container tb = child("transformer_blocks", new Container());
		for (int d = 0; d < depth; d++)
			blocks.add(tb.add(Integer.toString(d),
				new TransformerBlock(channels, heads, dimHead, contextDim, siteOf == null ? null : siteOf.apply(d))));
		projOut = child("proj_out", Conv2d.k1(channels, channels));
	}

	List<TransformerBlock> blocks() {
		return blocks;
	}

	@Override
	public NDArray forward(NDArray x, Inputs in) {
		Shape s0 = x.getShape();
		long b = s0.get(0), c = s0.get(1), h = s0.get(2), w = s0.get(3);
		try (Scope s = Scope.of(x)) {
			NDArray t = ChannelsLast.toTokens(projIn.forward(norm.forward(x)), channelsLast());
			for (TransformerBlock blk : blocks) t = blk.forward(t, in.context(), in.ctx());
			NDArray out = projOut.forward(ChannelsLast.fromTokens(t, b, c, h, w, channelsLast()));
			return s.keep(out.add(x));
		}
	}
}
