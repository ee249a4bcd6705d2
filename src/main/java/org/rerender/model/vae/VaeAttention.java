package org.rerender.model.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.rerender.model.nn.Attention;
import org.rerender.model.nn.ChannelsLast;
import org.rerender.model.nn.Conv2d;
import org.rerender.model.nn.GroupNorm;
import org.rerender.model.nn.Module;
import org.rerender.model.nn.Scope;

/** ldm's VAE {@code AttnBlock}: single-head attention over pixels with 1×1-conv q/k/v/proj_out. */
final class VaeAttention extends Module {
	private final GroupNorm norm;
	private final Conv2d q, k, v, projOut;
	private long maxScoreElements = Attention.DEFAULT_MAX_SCORE_ELEMENTS;

	VaeAttention(long ch) {
		norm = child("norm", new GroupNorm(ch, VaeResBlock.EPS));
		q = child("q", Conv2d.k1(ch, ch));
		k = child("k", Conv2d.k1(ch, ch));
		v = child("v", Conv2d.k1(ch, ch));
		projOut = child("proj_out", Conv2d.k1(ch, ch));
	}

	void setMaxScoreElements(long n) {
		maxScoreElements = n;
	}

	NDArray forward(NDArray x) {
		Shape s0 = x.getShape();
		long b = s0.get(0), c = s0.get(1), h = s0.get(2), w = s0.get(3);
		try (Scope s = Scope.of(x)) {
			NDArray n = norm.forward(x);
			NDArray qt = ChannelsLast.toTokens(q.forward(n), channelsLast()), kt = ChannelsLast.toTokens(k.forward(n), channelsLast()),
				vt = ChannelsLast.toTokens(v.forward(n), channelsLast());
			NDArray a = Attention.multiHead(qt, kt, vt, 1, maxScoreElements);
			NDArray back = ChannelsLast.fromTokens(a, b, c, h, w, channelsLast());
			return s.keep(x.add(projOut.forward(back)));
		}
	}
}
