package org.rerender.model.unet;

import ai.djl.ndarray.NDArray;
import org.rerender.model.nn.Container;
import org.rerender.model.nn.Conv2d;
import org.rerender.model.nn.GroupNorm;
import org.rerender.model.nn.Linear;
import org.rerender.model.nn.Module;
import org.rerender.model.nn.Scope;

/** ldm's UNet {@code ResBlock} (no scale-shift norm): GroupNorm eps 1e-5, time embedding added after conv 1. */
final class ResBlock extends Module implements Layer {
	static final float EPS = 1e-5f;
	private final GroupNorm inNorm, outNorm;
	private final Conv2d inConv, outConv, skip;
	private final Linear embProj;
	private final long outChannels;

	ResBlock(long in, long out, long embDim) {
		this.outChannels = out;
		Container inLayers = child("in_layers", new Container());
		inNorm = inLayers.add("0", new GroupNorm(in, EPS));
		inConv = inLayers.add("2", Conv2d.k3(in, out));
		Container embLayers = child("emb_layers", new Container());
		embProj = embLayers.add("1", new Linear(embDim, out));
		Container outLayers = child("out_layers", new Container());
		outNorm = outLayers.add("0", new GroupNorm(out, EPS));
		outConv = outLayers.add("3", Conv2d.k3(out, out));
		skip = in == out ? null : child("skip_connection", Conv2d.k1(in, out));
	}

	@Override
	public NDArray forward(NDArray x, Inputs in) {
		try (Scope s = Scope.of(x, in.embAct())) {
			NDArray h = inConv.forward(inNorm.forwardSilu(x));
			NDArray e = embProj.forward(in.embAct());
			h = h.add(e.reshape(e.getShape().get(0), outChannels, 1, 1));
			h = outConv.forward(outNorm.forwardSilu(h));
			return s.keep(skip == null ? h.add(x) : skip.forward(x).add(h));
		}
	}
}
