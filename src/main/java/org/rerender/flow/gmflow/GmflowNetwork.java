package org.rerender.flow.gmflow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import org.rerender.model.nn.Container;
import org.rerender.model.nn.Conv2d;
import org.rerender.model.nn.Functional;
import org.rerender.model.nn.LayerNorm;
import org.rerender.model.nn.Linear;
import org.rerender.model.nn.Module;

/**
 * GMFlow with one scale, one head and swin attention, as Rerender calls it: CNN features at 1/8, a
 * transformer of self- then cross-attention blocks in 2×2 (shifted) windows, global matching by softmax
 * correlation in both directions, flow propagation by self-attention and convex upsampling. Key names
 * are the original's {@code state_dict()} names; widths come from {@link GmflowConfig}.
 */
public final class GmflowNetwork extends Module {
	/**
	 * The backbone's output stride with one scale (conv1, layer2 and layer3 each halve), which is also the
	 * {@code padding_factor} of Rerender's InputPadder and the convex upsampling factor that brings the flow
	 * back to the padded frame size.
	 */
	public static final int STRIDE = 8;
	private static final float[] MEAN = {0.485f, 0.456f, 0.406f}, STD = {0.229f, 0.224f, 0.225f};
	private static final float IN_EPS = 1e-5f, LN_EPS = 1e-5f;

	private final GmflowConfig config;
	private final Backbone backbone;
	private final Container transformer;
	private final Block[] blocks;
	private final Linear propQ, propK;
	private final Conv2d up0, up2;
	/** Bytes one softmax chunk ([rows, h·w] floats) may take; rows are chunked to fit. */
	private long attentionBudgetBytes = 256L << 20;

	public GmflowNetwork(GmflowConfig config) {
		this.config = config;
		int c = config.featureChannels();
		backbone = child("backbone", new Backbone(config));
		transformer = child("transformer", new Container());
		Container layers = transformer.add("layers", new Container());
		blocks = new Block[config.layers()];
		for (int i = 0; i < blocks.length; i++) blocks[i] = layers.add(Integer.toString(i), new Block(c, config.ffnExpansion(), i % 2 == 1));
		Container ffa = child("feature_flow_attn", new Container());
		propQ = ffa.add("q_proj", new Linear(c, c, true));
		propK = ffa.add("k_proj", new Linear(c, c, true));
		Container up = child("upsampler", new Container());
		int f = config.upsampleFactor();
		up0 = up.add("0", new Conv2d(2 + c, config.upsamplerHidden(), 3, 1, 1, true));
		up2 = up.add("2", new Conv2d(config.upsamplerHidden(), 9L * f * f, 1, 1, 0, true));
	}

	public GmflowConfig config() {
		return config;
	}

	/** Sets the byte budget of one global softmax chunk (the correlation is chunked over query rows). */
	public GmflowNetwork attentionBudget(long bytes) {
		this.attentionBudgetBytes = Math.max(1, bytes);
		return this;
	}

	/**
	 * Forward and backward flow of two planar RGB frames ({@code [3,H,W]}, values 0..255) already padded so
	 * that H/8 and W/8 are divisible by {@code attnSplits}.
	 *
	 * @param taps when non-null, receives intermediate tensors (as float arrays) under the reference's names
	 * @return {@code [2,2,H,W]}: row 0 forward (1→2), row 1 backward (2→1), channels (x, y)
	 */
	public float[] forward(NDManager parent, float[] img1, float[] img2, int h, int w, int attnSplits, Map<String, float[]> taps) {
		try (NDManager m = parent.newSubManager()) {
			int n = h * w;
			float[] in = new float[2 * 3 * n];
			for (int b = 0; b < 2; b++) {
				float[] src = b == 0 ? img1 : img2;
				for (int ch = 0; ch < 3; ch++)
					for (int i = 0; i < n; i++) in[(b * 3 + ch) * n + i] = (src[ch * n + i] / 255f - MEAN[ch]) / STD[ch];
			}
			NDArray x = m.create(in, new Shape(2, 3, h, w));
			tap(taps, "padded_input", x);
			NDArray feats = backbone.forward(x);
			tap(taps, "backbone", feats);
			int c = config.featureChannels(), fh = (int) feats.getShape().get(2), fw = (int) feats.getShape().get(3);
			if (fh % attnSplits != 0 || fw % attnSplits != 0)
				throw new IllegalArgumentException("Feature size " + fh + "x" + fw + " is not divisible by " + attnSplits);
			int wh = fh / attnSplits, ww = fw / attnSplits;
			// position embedding of one window, tiled over all windows; added to both frames
			NDArray pos = m.create(positionEmbedding(c, wh, ww), new Shape(1, c, wh, ww)).tile(new long[] {1, 1, attnSplits, attnSplits});
			feats = feats.add(pos);
			NDArray f0 = feats.get("0:1"), f1 = feats.get("1:2");
			tap(taps, "transformer_in.0", f0);
			tap(taps, "transformer_in.1", f1);
			// tokens [2, L, C]: source [f0; f1], target [f1; f0]
			NDArray tokens = feats.reshape(2, c, (long) fh * fw).transpose(0, 2, 1);
			NDArray mask = attnSplits > 1 ? m.create(shiftMask(fh, fw, attnSplits), new Shape(1, (long) attnSplits * attnSplits, (long) wh * ww, (long) wh * ww)) : null;
			NDArray source = tokens;
			for (int i = 0; i < blocks.length; i++) {
				NDArray target = swapHalves(source);
				source = blocks[i].selfAttn.forward(source, source, fh, fw, attnSplits, mask);
				tap(taps, "transformer.layer" + i + ".self_attn", source);
				source = blocks[i].crossAttnFfn.forward(source, target, fh, fw, attnSplits, mask);
				tap(taps, "transformer.layer" + i, source);
			}
			NDArray out = source.transpose(0, 2, 1).reshape(2, c, fh, fw);
			tap(taps, "transformer_out.0", out.get("0:1"));
			tap(taps, "transformer_out.1", out.get("1:2"));
			NDArray grid = coordsGrid(m, fh, fw); // [L,2] (x, y)
			NDArray flowGlobal = globalMatching(source, grid); // [2, L, 2]
			tap(taps, "flow_global", flowGlobal.transpose(0, 2, 1).reshape(2, 2, fh, fw));
			NDArray flowProp = propagate(source, flowGlobal); // [2, L, 2]
			NDArray flow = flowProp.transpose(0, 2, 1).reshape(2, 2, fh, fw);
			tap(taps, "flow_propagated", flow);
			NDArray up = upsample(m, flow, out, taps);
			tap(taps, "flow_preds", up);
			return up.toFloatArray();
		}
	}

	private static void tap(Map<String, float[]> taps, String name, NDArray a) {
		if (taps != null) taps.put(name, a.toFloatArray());
	}

	private static NDArray swapHalves(NDArray x) {
		return NDArrays.concat(new NDList(x.get("1:2"), x.get("0:1")), 0);
	}

	/** Softmax over frame-2 positions for the forward flow and over frame-1 positions (transposed) for the backward. */
	private NDArray globalMatching(NDArray feats, NDArray grid) {
		NDArray f0 = feats.get("0"), f1 = feats.get("1");
		float scale = (float) Math.sqrt(feats.getShape().get(2));
		NDArray fwd = chunkedSoftmaxApply(f0, f1, grid, scale).sub(grid);
		NDArray bwd = chunkedSoftmaxApply(f1, f0, grid, scale).sub(grid);
		return NDArrays.stack(new NDList(fwd, bwd), 0);
	}

	/** {@code softmax(q·kᵀ/scale)·v} for {@code q [L,C]}, {@code k [L,C]}, {@code v [L,D]}, chunked over the rows of q. */
	private NDArray chunkedSoftmaxApply(NDArray q, NDArray k, NDArray v, float scale) {
		long l = q.getShape().get(0), cols = k.getShape().get(0);
		long rows = Math.max(1, Math.min(l, attentionBudgetBytes / (4L * cols)));
		NDArray kt = k.transpose();
		if (rows >= l) return q.matMul(kt).div(scale).softmax(-1).matMul(v);
		NDList parts = new NDList();
		for (long r = 0; r < l; r += rows) {
			long e = Math.min(l, r + rows);
			try (NDManager chunk = q.getManager().newSubManager()) {
				NDArray qc = q.get(new NDIndex(r + ":" + e));
				NDArray o = qc.matMul(kt).div(scale).softmax(-1).matMul(v);
				o.attach(q.getManager());
				parts.add(o);
			}
		}
		return NDArrays.concat(parts, 0);
	}

	private NDArray propagate(NDArray feats, NDArray flow) {
		float scale = (float) Math.sqrt(feats.getShape().get(2));
		NDArray query = propQ.forward(feats);
		NDArray key = propK.forward(query); // the original projects the key from the projected query
		NDList outs = new NDList();
		for (int b = 0; b < 2; b++) outs.add(chunkedSoftmaxApply(query.get(b), key.get(b), flow.get(b), scale));
		return NDArrays.stack(outs, 0);
	}

	/** Convex upsampling: softmax over 9 neighbours of the zero-padded ×f flow, mask index [n, a, b]. */
	private NDArray upsample(NDManager m, NDArray flow, NDArray feature, Map<String, float[]> taps) {
		int f = config.upsampleFactor();
		long b = flow.getShape().get(0), h = flow.getShape().get(2), w = flow.getShape().get(3);
		NDArray upIn = NDArrays.concat(new NDList(flow, feature), 1);
		tap(taps, "upsampler_in", upIn);
		// 2+C input channels: the one conv here with an odd channel count (see Conv2d's CPU workaround)
		NDArray hidden = relu(up0.forward(upIn));
		tap(taps, "upsampler_hidden", hidden);
		NDArray maskLogits = up2.forward(hidden);
		tap(taps, "upsampler_logits", maskLogits);
		NDArray mask = maskLogits.reshape(b, 1, 9, f, f, h, w).softmax(2);
		NDArray zc = m.zeros(new Shape(b, 2, h, 1)), zr = m.zeros(new Shape(b, 2, 1, w + 2));
		NDArray padded = NDArrays.concat(new NDList(zc, flow.mul(f), zc), 3);
		padded = NDArrays.concat(new NDList(zr, padded, zr), 2);
		NDList nb = new NDList();
		for (int dy = 0; dy < 3; dy++)
			for (int dx = 0; dx < 3; dx++)
				nb.add(padded.get(new NDIndex(":, :, " + dy + ":" + (dy + h) + ", " + dx + ":" + (dx + w))));
		NDArray unfolded = NDArrays.stack(nb, 2).reshape(b, 2, 9, 1, 1, h, w);
		NDArray up = mask.mul(unfolded).sum(new int[] {2}); // [b,2,f,f,h,w]
		return up.transpose(0, 1, 4, 2, 5, 3).reshape(b, 2, h * f, w * f);
	}

	private static NDArray coordsGrid(NDManager m, int h, int w) {
		float[] g = new float[h * w * 2];
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				g[2 * (y * w + x)] = x;
				g[2 * (y * w + x) + 1] = y;
			}
		return m.create(g, new Shape((long) h * w, 2));
	}

	/** The sine embedding of one {@code h×w} window, {@code [C,h,w]}: C/2 y-channels then C/2 x-channels. */
	static float[] positionEmbedding(int c, int h, int w) {
		int npf = c / 2;
		float scale = (float) (2 * Math.PI);
		float[] dim = new float[npf];
		for (int i = 0; i < npf; i++) dim[i] = (float) Math.pow(10000.0, (float) (2 * (i / 2)) / npf);
		float[] out = new float[c * h * w];
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				float ye = (y + 1) / (h + 1e-6f) * scale, xe = (x + 1) / (w + 1e-6f) * scale;
				for (int i = 0; i < npf; i++) {
					float py = ye / dim[i], px = xe / dim[i];
					out[(i * h + y) * w + x] = (float) (i % 2 == 0 ? Math.sin(py) : Math.cos(py));
					out[((npf + i) * h + y) * w + x] = (float) (i % 2 == 0 ? Math.sin(px) : Math.cos(px));
				}
			}
		return out;
	}

	/** Swin's shifted-window mask {@code [K·K, L, L]}: −100 between tokens of different regions, else 0. */
	static float[] shiftMask(int h, int w, int splits) {
		int wsh = h / splits, wsw = w / splits, sh = wsh / 2, sw = wsw / 2;
		int[] rh = regions(h, wsh, sh), rw = regions(w, wsw, sw);
		int l = wsh * wsw;
		float[] mask = new float[splits * splits * l * l];
		for (int wy = 0; wy < splits; wy++)
			for (int wx = 0; wx < splits; wx++) {
				int win = wy * splits + wx;
				int[] lab = new int[l];
				for (int i = 0; i < wsh; i++)
					for (int j = 0; j < wsw; j++) lab[i * wsw + j] = 3 * rh[wy * wsh + i] + rw[wx * wsw + j];
				for (int p = 0; p < l; p++)
					for (int q = 0; q < l; q++) mask[(win * l + p) * l + q] = lab[p] == lab[q] ? 0f : -100f;
			}
		return mask;
	}

	/** Region label per index for Python slices [0:−ws], [−ws:−shift], [−shift:] assigned in order. */
	private static int[] regions(int n, int ws, int shift) {
		int[] r = new int[n];
		fill(r, 0, pyIndex(-ws, n), 0);
		fill(r, pyIndex(-ws, n), shift == 0 ? 0 : pyIndex(-shift, n), 1);
		fill(r, shift == 0 ? 0 : pyIndex(-shift, n), n, 2);
		return r;
	}

	private static int pyIndex(int i, int n) {
		return i < 0 ? Math.max(0, n + i) : Math.min(i, n);
	}

	private static void fill(int[] r, int from, int to, int v) {
		for (int i = from; i < to; i++) r[i] = v;
	}

	// ---------------------------------------------------------------- modules

	static NDArray instanceNorm(NDArray x) {
		Shape s = x.getShape();
		int[] axis = {2};
		NDArray flat = x.reshape(s.get(0), s.get(1), s.get(2) * s.get(3));
		NDArray d = flat.sub(flat.mean(axis, true));
		NDArray var = d.square().mean(axis, true);
		return d.div(var.add(IN_EPS).sqrt()).reshape(s);
	}

	static NDArray relu(NDArray x) {
		return x.getNDArrayInternal().relu();
	}

	/** CNNEncoder: conv7×7/2, three residual stages (strides 1, 2, 2), 1×1 conv to C. */
	static final class Backbone extends Module {
		private final Conv2d conv1, conv2;
		private final ResidualBlock[] blocks;

		Backbone(GmflowConfig cfg) {
			conv1 = child("conv1", new Conv2d(3, cfg.width1(), 7, 2, 3, false));
			int[] widths = {cfg.width1(), cfg.width2(), cfg.width3()};
			int[] strides = {1, 2, 2};
			blocks = new ResidualBlock[6];
			int in = cfg.width1();
			for (int s = 0; s < 3; s++) {
				Container layer = child("layer" + (s + 1), new Container());
				blocks[2 * s] = layer.add("0", new ResidualBlock(in, widths[s], strides[s]));
				blocks[2 * s + 1] = layer.add("1", new ResidualBlock(widths[s], widths[s], 1));
				in = widths[s];
			}
			conv2 = child("conv2", new Conv2d(cfg.width3(), cfg.featureChannels(), 1, 1, 0, true));
		}

		NDArray forward(NDArray x) {
			NDArray y = relu(instanceNorm(conv1.forward(x)));
			for (ResidualBlock b : blocks) y = b.forward(y);
			return conv2.forward(y);
		}
	}

	static final class ResidualBlock extends Module {
		private final Conv2d conv1, conv2, down;

		ResidualBlock(int in, int out, int stride) {
			conv1 = child("conv1", new Conv2d(in, out, 3, stride, 1, false));
			conv2 = child("conv2", new Conv2d(out, out, 3, 1, 1, false));
			if (stride == 1 && in == out) down = null;
			else down = child("downsample", new Container()).add("0", new Conv2d(in, out, 1, stride, 0, true));
		}

		NDArray forward(NDArray x) {
			NDArray y = relu(instanceNorm(conv1.forward(x)));
			y = relu(instanceNorm(conv2.forward(y)));
			NDArray shortcut = down == null ? x : instanceNorm(down.forward(x));
			return relu(shortcut.add(y));
		}
	}

	static final class Block extends Module {
		final AttnLayer selfAttn, crossAttnFfn;

		Block(int c, int expansion, boolean shift) {
			selfAttn = child("self_attn", new AttnLayer(c, 0, shift));
			crossAttnFfn = child("cross_attn_ffn", new AttnLayer(c, expansion, shift));
		}
	}

	/** One transformer layer: window attention, merge, norm1; with an FFN on cat[source, message] and norm2. */
	static final class AttnLayer extends Module {
		private final Linear q, k, v, merge, mlp0, mlp2;
		private final LayerNorm norm1, norm2;
		private final boolean shift;

		AttnLayer(int c, int expansion, boolean shift) {
			this.shift = shift;
			q = child("q_proj", new Linear(c, c, false));
			k = child("k_proj", new Linear(c, c, false));
			v = child("v_proj", new Linear(c, c, false));
			merge = child("merge", new Linear(c, c, false));
			norm1 = child("norm1", new LayerNorm(c, LN_EPS));
			if (expansion > 0) {
				Container mlp = child("mlp", new Container());
				mlp0 = mlp.add("0", new Linear(2L * c, 2L * c * expansion, false));
				mlp2 = mlp.add("2", new Linear(2L * c * expansion, c, false));
				norm2 = child("norm2", new LayerNorm(c, LN_EPS));
			} else {
				mlp0 = mlp2 = null;
				norm2 = null;
			}
		}

		NDArray forward(NDArray source, NDArray target, int h, int w, int splits, NDArray mask) {
			NDArray query = q.forward(source), key = k.forward(target), value = v.forward(target);
			NDArray message = splits > 1 ? windowAttention(query, key, value, h, w, splits, shift ? mask : null)
				: fullAttention(query, key, value);
			message = norm1.forward(merge.forward(message));
			if (mlp0 != null) {
				message = mlp2.forward(Functional.gelu(mlp0.forward(NDArrays.concat(new NDList(source, message), -1))));
				message = norm2.forward(message);
			}
			return source.add(message);
		}
	}

	static NDArray fullAttention(NDArray q, NDArray k, NDArray v) {
		float scale = (float) Math.sqrt(q.getShape().get(2));
		return q.matMul(k.transpose(0, 2, 1)).div(scale).softmax(-1).matMul(v);
	}

	/** Single-head attention in K×K windows; with a mask, the windows are shifted by half a window (floor). */
	static NDArray windowAttention(NDArray q, NDArray k, NDArray v, int h, int w, int splits, NDArray mask) {
		long b = q.getShape().get(0), c = q.getShape().get(2);
		int wsh = h / splits, wsw = w / splits;
		int sh = wsh / 2, sw = wsw / 2;
		float scale = (float) Math.sqrt(c);
		NDArray[] qkv = {q.reshape(b, h, w, c), k.reshape(b, h, w, c), v.reshape(b, h, w, c)};
		for (int i = 0; i < 3; i++) {
			if (mask != null) qkv[i] = roll(roll(qkv[i], -sh, 1), -sw, 2);
			qkv[i] = qkv[i].reshape(b, splits, wsh, splits, wsw, c).transpose(0, 1, 3, 2, 4, 5)
				.reshape(b * splits * splits, (long) wsh * wsw, c);
		}
		NDArray scores = qkv[0].matMul(qkv[1].transpose(0, 2, 1)).div(scale);
		if (mask != null) {
			long l = (long) wsh * wsw;
			scores = scores.reshape(b, (long) splits * splits, l, l).add(mask).reshape(b * splits * splits, l, l);
		}
		NDArray out = scores.softmax(-1).matMul(qkv[2]);
		out = out.reshape(b, splits, splits, wsh, wsw, c).transpose(0, 1, 3, 2, 4, 5).reshape(b, h, w, c);
		if (mask != null) out = roll(roll(out, sh, 1), sw, 2);
		return out.reshape(b, (long) h * w, c);
	}

	/** {@code torch.roll} along one axis: {@code out[i] = x[(i − shift) mod n]}. */
	static NDArray roll(NDArray x, int shift, int axis) {
		long n = x.getShape().get(axis);
		int s = (int) Math.floorMod(shift, n);
		if (s == 0) return x;
		String lead = ":, ".repeat(axis);
		NDArray tail = x.get(new NDIndex(lead + (n - s) + ":"));
		NDArray head = x.get(new NDIndex(lead + "0:" + (n - s)));
		return NDArrays.concat(new NDList(tail, head), axis);
	}
}
