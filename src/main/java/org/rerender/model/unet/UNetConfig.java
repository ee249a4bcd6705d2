package org.rerender.model.unet;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;

/**
 * The UNet/ControlNet architecture, mirroring the {@code params} of ldm's yaml ({@code cldm_v15.yaml}).
 * {@code hintChannels} is used only by the ControlNet. {@code numHeads} is fixed per level by
 * {@code num_heads} (head dim = channels / heads), as in SD 1.5 ({@code num_head_channels = -1}).
 */
public record UNetConfig(int inChannels, int outChannels, int modelChannels, int[] attentionResolutions,
	int numResBlocks, int[] channelMult, int numHeads, int transformerDepth, int contextDim, int hintChannels) {

	/** Stable Diffusion 1.5 / ControlNet 1.0-1.1 (cldm_v15.yaml). */
	public static UNetConfig sd15() {
		return new UNetConfig(4, 4, 320, new int[] {4, 2, 1}, 2, new int[] {1, 2, 4, 4}, 8, 1, 768, 3);
	}

	public int timeEmbedDim() {
		return modelChannels * 4;
	}

	public boolean hasAttention(int ds) {
		for (int r : attentionResolutions)
			if (r == ds) return true;
		return false;
	}

	/** From a yaml-like {@code params} object, e.g. {@code tiny-configs.json}'s {@code unet.params}. */
	public static UNetConfig fromJson(JsonObject p) {
		if (p.has("params")) p = p.getAsJsonObject("params");
		if (p.has("num_head_channels") && p.get("num_head_channels").getAsInt() != -1)
			throw new RerenderException("num_head_channels is not supported (SD 2.x layout); only num_heads");
		if (p.has("use_linear_in_transformer") && p.get("use_linear_in_transformer").getAsBoolean())
			throw new RerenderException("use_linear_in_transformer (SD 2.x layout) is not supported");
		return new UNetConfig(p.get("in_channels").getAsInt(), p.has("out_channels") ? p.get("out_channels").getAsInt() : 4,
			p.get("model_channels").getAsInt(), ints(p, "attention_resolutions"), p.get("num_res_blocks").getAsInt(),
			ints(p, "channel_mult"), p.get("num_heads").getAsInt(),
			p.has("transformer_depth") ? p.get("transformer_depth").getAsInt() : 1, p.get("context_dim").getAsInt(),
			p.has("hint_channels") ? p.get("hint_channels").getAsInt() : 3);
	}

	public static UNetConfig fromJson(String json) {
		return fromJson(JsonParser.parseString(json).getAsJsonObject());
	}

	private static int[] ints(JsonObject o, String key) {
		var a = o.getAsJsonArray(key);
		int[] r = new int[a.size()];
		for (int i = 0; i < r.length; i++) r[i] = a.get(i).getAsInt();
		return r;
	}

	/**
	 * Infers the architecture from the tensor shapes of a UNet or ControlNet (source already narrowed to its
	 * prefix). {@code numHeads} cannot be seen in shapes; SD 1.x uses 8. SD 2.x (linear proj_in, context 1024)
	 * and SDXL (label_emb, context 2048) are recognised and refused by name.
	 */
	public static UNetConfig fromWeights(TensorSource w) {
		if (w.contains("label_emb.0.0.weight"))
			throw new RerenderException("This is an SDXL checkpoint (it has label_emb); only Stable Diffusion 1.x is supported");
		long[] conv0 = shape(w, "input_blocks.0.0.weight");
		int mc = (int) conv0[0], in = (int) conv0[1];
		int out = w.contains("out.2.weight") ? (int) shape(w, "out.2.weight")[0] : 4;
		// levels: input block indices holding a ResBlock; downsamplers have ".0.op.weight"
		TreeSet<Integer> blocks = new TreeSet<>();
		for (String k : w.tensors().keySet())
			if (k.startsWith("input_blocks.")) blocks.add(Integer.parseInt(k.split("\\.")[1]));
		int downs = 0;
		for (int b : blocks)
			if (w.contains("input_blocks." + b + ".0.op.weight")) downs++;
		int levels = downs + 1;
		int nBlocks = blocks.last(); // excluding block 0
		int nrb = (nBlocks - downs) / levels;
		int[] mult = new int[levels];
		List<Integer> attn = new java.util.ArrayList<>();
		int idx = 1, ds = 1, depth = 1, context = -1;
		for (int l = 0; l < levels; l++) {
			mult[l] = (int) (shape(w, "input_blocks." + idx + ".0.out_layers.3.weight")[0] / mc);
			if (w.contains("input_blocks." + idx + ".1.proj_in.weight")) {
				attn.add(ds);
				if (shape(w, "input_blocks." + idx + ".1.proj_in.weight").length == 2)
					throw new RerenderException("This looks like a Stable Diffusion 2.x checkpoint (linear proj_in); only SD 1.x is supported");
				context = (int) shape(w, "input_blocks." + idx + ".1.transformer_blocks.0.attn2.to_k.weight")[1];
				int d = 0;
				while (w.contains("input_blocks." + idx + ".1.transformer_blocks." + d + ".norm1.weight")) d++;
				depth = d;
			}
			idx += nrb;
			if (l < levels - 1) {
				idx++;
				ds *= 2;
			}
		}
		if (context == 1024)
			throw new RerenderException("This looks like a Stable Diffusion 2.x checkpoint (context width 1024); only SD 1.x is supported");
		int hint = w.contains("input_hint_block.0.weight") ? (int) shape(w, "input_hint_block.0.weight")[1] : 3;
		int[] attnRes = attn.stream().sorted(java.util.Comparator.reverseOrder()).mapToInt(Integer::intValue).toArray();
		return new UNetConfig(in, out, mc, attnRes, nrb, mult, 8, depth, context, hint);
	}

	private static long[] shape(TensorSource w, String key) {
		TensorInfo i = w.tensors().get(key);
		if (i == null) throw new RerenderException("Not a Stable Diffusion 1.x UNet/ControlNet: key '" + key + "' is missing");
		return i.shape();
	}

	@Override
	public boolean equals(Object o) {
		return o instanceof UNetConfig c && c.inChannels == inChannels && c.outChannels == outChannels
			&& c.modelChannels == modelChannels && Arrays.equals(sorted(c.attentionResolutions), sorted(attentionResolutions))
			&& c.numResBlocks == numResBlocks && Arrays.equals(c.channelMult, channelMult) && c.numHeads == numHeads
			&& c.transformerDepth == transformerDepth && c.contextDim == contextDim && c.hintChannels == hintChannels;
	}

	private static int[] sorted(int[] a) {
		int[] c = a.clone();
		Arrays.sort(c);
		return c;
	}

	@Override
	public int hashCode() {
		return Arrays.hashCode(channelMult) * 31 + modelChannels * 7 + contextDim;
	}

	@Override
	public String toString() {
		return "UNetConfig[model_channels=" + modelChannels + ", channel_mult=" + Arrays.toString(channelMult)
			+ ", attention_resolutions=" + Arrays.toString(attentionResolutions) + ", num_res_blocks=" + numResBlocks
			+ ", num_heads=" + numHeads + ", transformer_depth=" + transformerDepth + ", context_dim=" + contextDim
			+ ", in=" + inChannels + ", out=" + outChannels + ", hint=" + hintChannels + "]";
	}
}
