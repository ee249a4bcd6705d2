package org.rerender.model.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.KeyCheck;
import org.rerender.model.io.TensorSource;

/**
 * CLIP's text transformer (HF {@code CLIPTextModel}, as SD 1.x uses it): token + position embedding, pre-LN
 * encoder layers with causal self-attention and quick_gelu MLPs, final LayerNorm; the output
 * ({@code last_hidden_state}) is the UNet's cross-attention context. No padding mask (SD passes only ids).
 */
public final class ClipTextEncoder {

	private record Layer(NDArray ln1W, NDArray ln1B, NDArray qW, NDArray qB, NDArray kW, NDArray kB, NDArray vW,
		NDArray vB, NDArray oW, NDArray oB, NDArray ln2W, NDArray ln2B, NDArray fc1W, NDArray fc1B, NDArray fc2W,
		NDArray fc2B) {}

	private final ClipTextConfig cfg;
	private final DataType dtype;
	private final NDArray tokenEmbedding;
	private final NDArray positionEmbedding;
	private final List<Layer> layers;
	private final NDArray finalW;
	private final NDArray finalB;

	private ClipTextEncoder(ClipTextConfig cfg, DataType dtype, NDArray tok, NDArray pos, List<Layer> layers, NDArray fw,
		NDArray fb)
	{
		this.cfg = cfg;
		this.dtype = dtype;
		this.tokenEmbedding = tok;
		this.positionEmbedding = pos;
		this.layers = layers;
		this.finalW = fw;
		this.finalB = fb;
	}

	/**
	 * Loads the weights (keys relative to {@code text_model.}) into {@code weightsManager} as {@code dtype}
	 * (FLOAT32 on CPU, FLOAT16 on a GPU). Missing or mis-shaped keys are reported by name.
	 */
	public static ClipTextEncoder load(TensorSource w, ClipTextConfig cfg, NDManager weightsManager, DataType dtype) {
		KeyCheck.compare(cfg.expectedShapes(), w).throwIfBad("CLIP text encoder");
		List<Layer> layers = new ArrayList<>();
		for (int l = 0; l < cfg.layers(); l++) {
			String p = "encoder.layers." + l + ".";
			layers.add(new Layer(get(w, weightsManager, p + "layer_norm1.weight", dtype),
				get(w, weightsManager, p + "layer_norm1.bias", dtype), get(w, weightsManager, p + "self_attn.q_proj.weight", dtype),
				get(w, weightsManager, p + "self_attn.q_proj.bias", dtype), get(w, weightsManager, p + "self_attn.k_proj.weight", dtype),
				get(w, weightsManager, p + "self_attn.k_proj.bias", dtype), get(w, weightsManager, p + "self_attn.v_proj.weight", dtype),
				get(w, weightsManager, p + "self_attn.v_proj.bias", dtype),
				get(w, weightsManager, p + "self_attn.out_proj.weight", dtype),
				get(w, weightsManager, p + "self_attn.out_proj.bias", dtype), get(w, weightsManager, p + "layer_norm2.weight", dtype),
				get(w, weightsManager, p + "layer_norm2.bias", dtype), get(w, weightsManager, p + "mlp.fc1.weight", dtype),
				get(w, weightsManager, p + "mlp.fc1.bias", dtype), get(w, weightsManager, p + "mlp.fc2.weight", dtype),
				get(w, weightsManager, p + "mlp.fc2.bias", dtype)));
		}
		return new ClipTextEncoder(cfg, dtype, get(w, weightsManager, "embeddings.token_embedding.weight", dtype),
			get(w, weightsManager, "embeddings.position_embedding.weight", dtype), List.copyOf(layers),
			get(w, weightsManager, "final_layer_norm.weight", dtype), get(w, weightsManager, "final_layer_norm.bias", dtype));
	}

	private static NDArray get(TensorSource w, NDManager m, String name, DataType dtype) {
		return w.toNDArray(m, name, dtype);
	}

	public ClipTextConfig config() {
		return cfg;
	}

	/** {@code last_hidden_state} [B, T, hidden] for token ids [B, T] (any integer type), in {@code ids}' manager. */
	public NDArray encode(NDArray ids) {
		NDList states = hiddenStates(ids, false);
		return states.get(states.size() - 1);
	}

	/** Convenience: encodes SD-framed id rows (e.g. from {@link ClipTokenizer#encode}) into {@code manager}. */
	public NDArray encode(NDManager manager, int[]... ids) {
		int t = ids[0].length;
		long[] flat = new long[ids.length * t];
		for (int b = 0; b < ids.length; b++) {
			if (ids[b].length != t) throw new RerenderException("token rows of different lengths");
			for (int i = 0; i < t; i++) flat[b * t + i] = ids[b][i];
		}
		try (NDArray a = manager.create(flat, new Shape(ids.length, t))) {
			return encode(a);
		}
	}

	/**
	 * The embeddings, each layer's output and the final output ({@code layers + 2} arrays), in {@code ids}'
	 * manager; with {@code all == false} only the final output is kept (the list then holds one array).
	 */
	public NDList hiddenStates(NDArray ids, boolean all) {
		Shape s = ids.getShape();
		if (s.dimension() != 2) throw new RerenderException("CLIP input ids must be [batch, tokens], got " + s);
		int b = (int) s.get(0), t = (int) s.get(1);
		if (t > cfg.maxPositions()) throw new RerenderException(t + " tokens exceed CLIP's " + cfg.maxPositions());
		NDManager out = ids.getManager();
		NDList kept = new NDList();
		try (NDManager scope = out.newSubManager()) {
			NDArray idx = ids.toType(DataType.INT64, true);
			idx.attach(scope);
			NDArray x = Embedding.embedding(idx, tokenEmbedding, SparseFormat.DENSE).singletonOrThrow();
			x.attach(scope);
			NDArray pos = positionEmbedding.get("0:" + t);
			pos.attach(scope);
			x = x.add(pos);
			if (all) kept.add(keep(x, out));
			float[] maskData = new float[t * t];
			for (int i = 0; i < t; i++) for (int j = i + 1; j < t; j++) maskData[i * t + j] = Float.NEGATIVE_INFINITY;
			NDArray mask = scope.create(maskData, new Shape(1, 1, t, t)).toType(dtype, false);
			int h = cfg.heads(), d = cfg.headDim();
			float scale = (float) Math.pow(d, -0.5);
			Shape split = new Shape(b, t, h, d);
			for (Layer l : layers) {
				NDArray y = norm(x, l.ln1W(), l.ln1B());
				NDArray q = Linear.linear(y, l.qW(), l.qB()).singletonOrThrow().mul(scale).reshape(split).transpose(0, 2, 1, 3);
				NDArray k = Linear.linear(y, l.kW(), l.kB()).singletonOrThrow().reshape(split).transpose(0, 2, 3, 1);
				NDArray v = Linear.linear(y, l.vW(), l.vB()).singletonOrThrow().reshape(split).transpose(0, 2, 1, 3);
				NDArray att = q.matMul(k).add(mask).softmax(-1);
				NDArray o = att.matMul(v).transpose(0, 2, 1, 3).reshape(b, t, cfg.hidden());
				x = x.add(Linear.linear(o, l.oW(), l.oB()).singletonOrThrow());
				y = norm(x, l.ln2W(), l.ln2B());
				y = Linear.linear(y, l.fc1W(), l.fc1B()).singletonOrThrow();
				y = y.mul(y.mul(1.702f).getNDArrayInternal().sigmoid());
				x = x.add(Linear.linear(y, l.fc2W(), l.fc2B()).singletonOrThrow());
				if (all) kept.add(keep(x, out));
			}
			kept.add(keep(norm(x, finalW, finalB), out));
		}
		return kept;
	}

	private NDArray norm(NDArray x, NDArray w, NDArray bias) {
		return LayerNorm.layerNorm(x, new Shape(cfg.hidden()), w, bias, cfg.layerNormEps()).singletonOrThrow();
	}

	private static NDArray keep(NDArray x, NDManager out) {
		NDArray c = x.duplicate();
		c.attach(out);
		return c;
	}

	/** The parameter count (for reports). */
	public static long parameterCount(ClipTextConfig cfg) {
		long n = 0;
		for (Map.Entry<String, long[]> e : cfg.expectedShapes().entrySet()) {
			long k = 1;
			for (long d : e.getValue()) k *= d;
			n += k;
		}
		return n;
	}
}
