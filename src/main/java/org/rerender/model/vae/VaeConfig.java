package org.rerender.model.vae;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Arrays;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;

/** ldm's {@code AutoencoderKL} params ({@code embed_dim} + {@code ddconfig}). */
public record VaeConfig(int embedDim, int zChannels, int inChannels, int outChannels, int ch, int[] chMult,
	int numResBlocks, int[] attnResolutions, int resolution) {

	/** SD 1.5's VAE (kl-f8). */
	public static VaeConfig sd15() {
		return new VaeConfig(4, 4, 3, 3, 128, new int[] {1, 2, 4, 4}, 2, new int[0], 256);
	}

	public static VaeConfig fromJson(JsonObject p) {
		if (p.has("params")) p = p.getAsJsonObject("params");
		JsonObject d = p.getAsJsonObject("ddconfig");
		if (d.has("double_z") && !d.get("double_z").getAsBoolean()) throw new RerenderException("Only double_z VAEs are supported");
		return new VaeConfig(p.get("embed_dim").getAsInt(), d.get("z_channels").getAsInt(), d.get("in_channels").getAsInt(),
			d.get("out_ch").getAsInt(), d.get("ch").getAsInt(), ints(d, "ch_mult"), d.get("num_res_blocks").getAsInt(),
			ints(d, "attn_resolutions"), d.get("resolution").getAsInt());
	}

	public static VaeConfig fromJson(String json) {
		return fromJson(JsonParser.parseString(json).getAsJsonObject());
	}

	/** From the shapes of a VAE (source narrowed to {@code first_stage_model.}); level attention is assumed absent. */
	public static VaeConfig fromWeights(TensorSource w) {
		long[] convIn = shape(w, "encoder.conv_in.weight");
		int ch = (int) convIn[0];
		int levels = 0;
		while (w.contains("encoder.down." + levels + ".block.0.conv1.weight")) levels++;
		int[] mult = new int[levels];
		for (int l = 0; l < levels; l++) mult[l] = (int) (shape(w, "encoder.down." + l + ".block.0.conv1.weight")[0] / ch);
		int nrb = 0;
		while (w.contains("encoder.down.0.block." + nrb + ".conv1.weight")) nrb++;
		int z = (int) shape(w, "decoder.conv_in.weight")[1];
		int embed = (int) shape(w, "post_quant_conv.weight")[0];
		int out = (int) shape(w, "decoder.conv_out.weight")[0];
		return new VaeConfig(embed, z, (int) convIn[1], out, ch, mult, nrb, new int[0], 256);
	}

	private static long[] shape(TensorSource w, String key) {
		TensorInfo i = w.tensors().get(key);
		if (i == null) throw new RerenderException("Not a Stable Diffusion VAE: key '" + key + "' is missing");
		return i.shape();
	}

	private static int[] ints(JsonObject o, String key) {
		var a = o.getAsJsonArray(key);
		int[] r = new int[a.size()];
		for (int i = 0; i < r.length; i++) r[i] = a.get(i).getAsInt();
		return r;
	}

	boolean hasAttention(int res) {
		for (int r : attnResolutions)
			if (r == res) return true;
		return false;
	}

	@Override
	public boolean equals(Object o) {
		return o instanceof VaeConfig c && c.embedDim == embedDim && c.zChannels == zChannels && c.inChannels == inChannels
			&& c.outChannels == outChannels && c.ch == ch && Arrays.equals(c.chMult, chMult) && c.numResBlocks == numResBlocks
			&& Arrays.equals(c.attnResolutions, attnResolutions);
	}

	@Override
	public int hashCode() {
		return ch * 31 + Arrays.hashCode(chMult);
	}

	@Override
	public String toString() {
		return "VaeConfig[ch=" + ch + ", ch_mult=" + Arrays.toString(chMult) + ", z=" + zChannels + ", embed=" + embedDim + "]";
	}
}
