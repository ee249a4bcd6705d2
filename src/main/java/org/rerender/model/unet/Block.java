package org.rerender.model.unet;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import org.rerender.model.nn.Conv2d;
import org.rerender.model.nn.Module;

/** ldm's {@code TimestepEmbedSequential}: children named 0, 1, 2 run in order. */
final class Block extends Module implements Layer {
	private final List<Layer> layers = new ArrayList<>();

	<L extends Module & Layer> L add(L layer) {
		layers.add(child(Integer.toString(layers.size()), layer));
		return layer;
	}

	Block addConv(Conv2d conv) {
		ConvLayer l = new ConvLayer(conv);
		layers.add(l);
		child(Integer.toString(layers.size() - 1), conv);
		return this;
	}

	List<Layer> layers() {
		return layers;
	}

	@Override
	public NDArray forward(NDArray h, Inputs in) {
		NDArray x = h;
		for (Layer l : layers) x = l.forward(x, in);
		return x;
	}

	private record ConvLayer(Conv2d conv) implements Layer {
		@Override
		public NDArray forward(NDArray h, Inputs in) {
			return conv.forward(h);
		}
	}
}
