package org.rerender.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.rerender.model.nn.Container;
import org.rerender.model.nn.Conv2d;
import org.rerender.model.nn.GroupNorm;
import org.rerender.model.nn.Module;
import org.rerender.model.nn.Scope;

/** ldm's VAE {@code Encoder}: down levels (ResBlocks, optional attention, asymmetric-pad stride-2 conv), mid, out → 2·z channels. */
final class VaeEncoder extends Module {
	private static final Shape PAD_RIGHT_BOTTOM = new Shape(0, 1, 0, 1);
	private final Conv2d convIn, convOut;
	private final List<List<VaeResBlock>> blocks = new ArrayList<>();
	private final List<List<VaeAttention>> attns = new ArrayList<>();
	private final List<Conv2d> downs = new ArrayList<>();
	private final VaeResBlock mid1, mid2;
	private final VaeAttention midAttn;
	private final GroupNorm normOut;

	VaeEncoder(VaeConfig c) {
		convIn = child("conv_in", Conv2d.k3(c.inChannels(), c.ch()));
		Container down = child("down", new Container());
		long blockIn = c.ch();
		int res = c.resolution();
		int[] mult = c.chMult();
		for (int l = 0; l < mult.length; l++) {
			Container level = down.add(Integer.toString(l), new Container());
			Container b = level.add("block", new Container());
			Container a = level.add("attn", new Container());
			List<VaeResBlock> bl = new ArrayList<>();
			List<VaeAttention> al = new ArrayList<>();
			long out = (long) c.ch() * mult[l];
			for (int j = 0; j < c.numResBlocks(); j++) {
				bl.add(b.add(Integer.toString(j), new VaeResBlock(blockIn, out)));
				blockIn = out;
				if (c.hasAttention(res)) al.add(a.add(Integer.toString(j), new VaeAttention(blockIn)));
			}
			blocks.add(bl);
			attns.add(al);
			if (l != mult.length - 1) {
				downs.add(level.add("downsample", new Container()).add("conv", new Conv2d(blockIn, blockIn, 3, 2, 0)));
				res /= 2;
			}
		}
		Container mid = child("mid", new Container());
		mid1 = mid.add("block_1", new VaeResBlock(blockIn, blockIn));
		midAttn = mid.add("attn_1", new VaeAttention(blockIn));
		mid2 = mid.add("block_2", new VaeResBlock(blockIn, blockIn));
		normOut = child("norm_out", new GroupNorm(blockIn, VaeResBlock.EPS));
		convOut = child("conv_out", Conv2d.k3(blockIn, 2L * c.zChannels()));
	}

	void setMaxScoreElements(long n) {
		midAttn.setMaxScoreElements(n);
		attns.forEach(l -> l.forEach(a -> a.setMaxScoreElements(n)));
	}

	NDArray forward(NDArray x) {
		try (Scope s = Scope.of(x)) { // each activation is freed as soon as the next exists (s.free): peak ≈ two of them
			NDArray h = convIn.forward(x);
			for (int l = 0; l < blocks.size(); l++) {
				for (int j = 0; j < blocks.get(l).size(); j++) {
					h = s.free(h, blocks.get(l).get(j).forward(h));
					if (!attns.get(l).isEmpty()) h = s.free(h, attns.get(l).get(j).forward(h));
				}
				if (l < downs.size()) {
					h = s.free(h, h.pad(PAD_RIGHT_BOTTOM, 0));
					h = s.free(h, downs.get(l).forward(h));
				}
			}
			h = s.free(h, mid1.forward(h));
			h = s.free(h, midAttn.forward(h));
			h = s.free(h, mid2.forward(h));
			h = s.free(h, normOut.forwardSilu(h));
			return s.keep(convOut.forward(h));
		}
	}
}
