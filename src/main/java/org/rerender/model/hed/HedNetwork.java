package org.rerender.model.hed;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.rerender.model.nn.Conv2d;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.List;
import org.rerender.model.io.KeyCheck;
import org.rerender.model.io.TensorSource;

/**
 * ControlNet's HED edge network ({@code annotator/hed}, {@code ControlNetHED_Apache2}): subtract a learned
 * per-channel offset from 0…255 RGB, then blocks of 3×3 conv + ReLU with a 2×2 max-pool before every block
 * but the first; each block's 1×1 projection is a one-channel side output.
 */
public final class HedNetwork {

	private record Block(List<NDArray> weights, List<NDArray> biases, NDArray projW, NDArray projB) {}

	private final HedConfig cfg;
	private final NDArray norm;
	private final List<Block> blocks;

	private HedNetwork(HedConfig cfg, NDArray norm, List<Block> blocks) {
		this.cfg = cfg;
		this.norm = norm;
		this.blocks = blocks;
	}

	/** Loads weights (e.g. from {@code ControlNetHED.pth} via {@code Checkpoints.open}); shape from the weights. */
	public static HedNetwork load(TensorSource w, NDManager weightsManager, DataType dtype) {
		return load(w, HedConfig.fromWeights(w), weightsManager, dtype);
	}

	public static HedNetwork load(TensorSource w, HedConfig cfg, NDManager weightsManager, DataType dtype) {
		KeyCheck.compare(cfg.expectedShapes(), w).throwIfBad("HED annotator");
		List<Block> blocks = new ArrayList<>();
		for (int b = 0; b < cfg.blocks(); b++) {
			String p = "block" + (b + 1) + ".";
			List<NDArray> ws = new ArrayList<>(), bs = new ArrayList<>();
			for (int k = 0; k < cfg.convs()[b]; k++) {
				ws.add(w.toNDArray(weightsManager, p + "convs." + k + ".weight", dtype));
				bs.add(w.toNDArray(weightsManager, p + "convs." + k + ".bias", dtype));
			}
			blocks.add(new Block(List.copyOf(ws), List.copyOf(bs), w.toNDArray(weightsManager, p + "projection.weight", dtype),
				w.toNDArray(weightsManager, p + "projection.bias", dtype)));
		}
		return new HedNetwork(cfg, w.toNDArray(weightsManager, "norm", dtype), List.copyOf(blocks));
	}

	public HedConfig config() {
		return cfg;
	}

	/** The weights' element type (inputs are converted to it). */
	public DataType dtype() {
		return norm.getDataType();
	}

	/**
	 * The side outputs [1, 1, h_i, w_i] for an image [1, 3, H, W] holding RGB values 0…255 (in the weights'
	 * dtype). Results live in {@code image}'s manager; temporaries are released.
	 */
	public NDList sideOutputs(NDArray image) {
		long ih = image.getShape().get(2), iw = image.getShape().get(3);
		long min = 1L << (blocks.size() - 1);
		if (ih < min || iw < min)
			throw new org.rerender.engine.RerenderException("The HED detector needs images of at least " + min + "×" + min
				+ " pixels (it halves the size " + (blocks.size() - 1) + " times); got " + iw + "×" + ih);
		NDManager out = image.getManager();
		NDList sides = new NDList();
		try (NDManager scope = out.newSubManager()) {
			NDArray h = image.sub(norm);
			h.attach(scope);
			Shape zero = new Shape(0, 0), two = new Shape(2, 2);
			for (int b = 0; b < blocks.size(); b++) {
				Block blk = blocks.get(b);
				if (b > 0) h = h.getNDArrayInternal().maxPool(two, two, zero, false);
				for (int k = 0; k < blk.weights().size(); k++) {
					h = Conv2d.convolve(h, blk.weights().get(k), blk.biases().get(k), 1, 1);
					h = Activation.relu(h);
				}
				NDArray side = Conv2d.convolve(h, blk.projW(), blk.projB(), 1, 0);
				NDArray kept = side.duplicate();
				kept.attach(out);
				sides.add(kept);
			}
		}
		return sides;
	}
}
