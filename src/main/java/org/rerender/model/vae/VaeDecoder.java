package org.rerender.model.vae;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.rerender.model.nn.Container;
import org.rerender.model.nn.Conv2d;
import org.rerender.model.nn.Functional;
import org.rerender.model.nn.GroupNorm;
import org.rerender.model.nn.Module;
import org.rerender.model.nn.Scope;

/**
 * ldm's VAE {@code Decoder}. Levels are stored as {@code up.0…up.N-1} but run from the deepest
 * ({@code up.N-1}) to {@code up.0}; each has num_res_blocks+1 ResBlocks and (except up.0) a nearest ×2 + conv.
 */
final class VaeDecoder extends Module {
	private final Conv2d convIn, convOut;
	private final VaeResBlock mid1, mid2;
	private final VaeAttention midAttn;
	private final List<List<VaeResBlock>> blocks = new ArrayList<>(); // indexed by level
	private final List<List<VaeAttention>> attns = new ArrayList<>();
	private final List<Conv2d> ups = new ArrayList<>(); // indexed by level, null for level 0
	private final GroupNorm normOut;

	VaeDecoder(VaeConfig c) {
		int[] mult = c.chMult();
		long blockIn = (long) c.ch() * mult[mult.length - 1];
		int res = c.resolution() >> (mult.length - 1);
		convIn = child("conv_in", Conv2d.k3(c.zChannels(), blockIn));
		Container mid = child("mid", new Container());
		mid1 = mid.add("block_1", new VaeResBlock(blockIn, blockIn));
		midAttn = mid.add("attn_1", new VaeAttention(blockIn));
		mid2 = mid.add("block_2", new VaeResBlock(blockIn, blockIn));
		Container up = child("up", new Container());
		Container[] levels = new Container[mult.length];
		for (int l = 0; l < mult.length; l++) {
			blocks.add(null);
			attns.add(null);
			ups.add(null);
		}
		// ldm builds from the deepest level and inserts at the front; key order is still up.0, up.1, ...
		for (int l = mult.length - 1; l >= 0; l--) {
			levels[l] = new Container();
			Container b = levels[l].add("block", new Container());
			Container a = levels[l].add("attn", new Container());
			List<VaeResBlock> bl = new ArrayList<>();
			List<VaeAttention> al = new ArrayList<>();
			long out = (long) c.ch() * mult[l];
			for (int j = 0; j <= c.numResBlocks(); j++) {
				bl.add(b.add(Integer.toString(j), new VaeResBlock(blockIn, out)));
				blockIn = out;
				if (c.hasAttention(res)) al.add(a.add(Integer.toString(j), new VaeAttention(blockIn)));
			}
			blocks.set(l, bl);
			attns.set(l, al);
			if (l != 0) {
				ups.set(l, levels[l].add("upsample", new Container()).add("conv", Conv2d.k3(blockIn, blockIn)));
				res *= 2;
			}
		}
		for (int l = 0; l < mult.length; l++) up.add(Integer.toString(l), levels[l]);
		normOut = child("norm_out", new GroupNorm(blockIn, VaeResBlock.EPS));
		convOut = child("conv_out", Conv2d.k3(blockIn, c.outChannels()));
	}

	void setMaxScoreElements(long n) {
		midAttn.setMaxScoreElements(n);
		attns.forEach(l -> l.forEach(a -> a.setMaxScoreElements(n)));
	}

	NDArray forward(NDArray z) {
		try (Scope s = Scope.of(z)) { // each activation is freed as soon as the next exists (s.free): peak ≈ two of them
			NDArray h = convIn.forward(z);
			h = s.free(h, mid1.forward(h));
			h = s.free(h, midAttn.forward(h));
			h = s.free(h, mid2.forward(h));
			for (int l = blocks.size() - 1; l >= 0; l--) {
				for (int j = 0; j < blocks.get(l).size(); j++) {
					h = s.free(h, blocks.get(l).get(j).forward(h));
					if (!attns.get(l).isEmpty()) h = s.free(h, attns.get(l).get(j).forward(h));
				}
				if (ups.get(l) != null) {
					h = s.free(h, Functional.upsampleNearest2x(h));
					h = s.free(h, ups.get(l).forward(h));
				}
			}
			h = s.free(h, normOut.forwardSilu(h));
			return s.keep(convOut.forward(h));
		}
	}
}
