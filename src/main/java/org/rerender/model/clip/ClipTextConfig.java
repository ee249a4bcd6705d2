package org.rerender.model.clip;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;

/**
 * The CLIP text transformer's hyper-parameters (HF {@code CLIPTextConfig} names), quick_gelu activation.
 * Key names are relative to {@code cond_stage_model.transformer.text_model.}.
 *
 * <p>The head count is not visible in any weight shape. {@link #fromWeights(TensorSource, Map)} takes it
 * from a safetensors {@code __metadata__} entry when one holds a CLIP config ({@code configs} →
 * {@code clip}/{@code clip_text} → {@code num_attention_heads}), else uses hidden/64 — the head width of
 * every released CLIP text model (ViT-L/14: 768/64 = 12 heads).
 */
public record ClipTextConfig(int vocabSize, int hidden, int intermediate, int layers, int heads, int maxPositions,
	float layerNormEps)
{
	public static final Set<String> OPTIONAL_KEYS = Set.of("embeddings.position_ids");

	public ClipTextConfig {
		if (heads <= 0 || hidden % heads != 0)
			throw new RerenderException("CLIP hidden size " + hidden + " is not divisible by " + heads + " heads");
	}

	/** CLIP ViT-L/14's text encoder, as used by SD 1.x. */
	public static ClipTextConfig vitL14() {
		return new ClipTextConfig(49408, 768, 3072, 12, 12, 77, 1e-5f);
	}

	public int headDim() {
		return hidden / heads;
	}

	/** Infers the sizes from the weight shapes; heads = hidden/64. */
	public static ClipTextConfig fromWeights(TensorSource w) {
		return fromWeights(w, Map.of());
	}

	/** Infers the sizes from the weight shapes, the head count from {@code metadata} when it has one. */
	public static ClipTextConfig fromWeights(TensorSource w, Map<String, String> metadata) {
		long[] tok = shape(w, "embeddings.token_embedding.weight", 2);
		long[] pos = shape(w, "embeddings.position_embedding.weight", 2);
		long[] fc1 = shape(w, "encoder.layers.0.mlp.fc1.weight", 2);
		int layers = 0;
		while (w.contains("encoder.layers." + layers + ".self_attn.q_proj.weight")) layers++;
		int hidden = (int) tok[1];
		Integer heads = headsFromMetadata(metadata);
		return new ClipTextConfig((int) tok[0], hidden, (int) fc1[0], layers,
			heads != null ? heads : Math.max(1, hidden / 64), (int) pos[0], 1e-5f);
	}

	private static long[] shape(TensorSource w, String name, int rank) {
		TensorInfo i = w.tensors().get(name);
		if (i == null) throw new RerenderException("CLIP text encoder weight '" + name + "' is missing");
		if (i.shape().length != rank) throw new RerenderException("CLIP weight '" + name + "' has shape " + i.shapeString());
		return i.shape();
	}

	private static Integer headsFromMetadata(Map<String, String> metadata) {
		String json = metadata.get("configs");
		if (json == null) return null;
		try {
			JsonObject o = JsonParser.parseString(json).getAsJsonObject();
			for (String k : new String[] {"clip", "clip_text", "text_encoder"}) {
				JsonElement c = o.get(k);
				if (c == null || !c.isJsonObject()) continue;
				JsonObject co = c.getAsJsonObject();
				if (co.has("params") && co.get("params").isJsonObject()) co = co.getAsJsonObject("params");
				if (co.has("num_attention_heads")) return co.get("num_attention_heads").getAsInt();
			}
		}
		catch (RuntimeException e) {
			// not a config we understand: fall back to the shape rule
		}
		return null;
	}

	/** Every parameter this config expects, in state_dict order, with its shape (not the optional buffer). */
	public Map<String, long[]> expectedShapes() {
		Map<String, long[]> m = new LinkedHashMap<>();
		m.put("embeddings.token_embedding.weight", new long[] {vocabSize, hidden});
		m.put("embeddings.position_embedding.weight", new long[] {maxPositions, hidden});
		for (int l = 0; l < layers; l++) {
			String p = "encoder.layers." + l + ".";
			for (String proj : new String[] {"k_proj", "v_proj", "q_proj", "out_proj"}) {
				m.put(p + "self_attn." + proj + ".weight", new long[] {hidden, hidden});
				m.put(p + "self_attn." + proj + ".bias", new long[] {hidden});
			}
			m.put(p + "layer_norm1.weight", new long[] {hidden});
			m.put(p + "layer_norm1.bias", new long[] {hidden});
			m.put(p + "mlp.fc1.weight", new long[] {intermediate, hidden});
			m.put(p + "mlp.fc1.bias", new long[] {intermediate});
			m.put(p + "mlp.fc2.weight", new long[] {hidden, intermediate});
			m.put(p + "mlp.fc2.bias", new long[] {hidden});
			m.put(p + "layer_norm2.weight", new long[] {hidden});
			m.put(p + "layer_norm2.bias", new long[] {hidden});
		}
		m.put("final_layer_norm.weight", new long[] {hidden});
		m.put("final_layer_norm.bias", new long[] {hidden});
		return m;
	}

	/** The shape of the optional {@code embeddings.position_ids} buffer (I64). */
	public long[] positionIdsShape() {
		return new long[] {1, maxPositions};
	}
}
