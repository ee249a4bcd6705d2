package org.rerender.model.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.model.CheckpointInspector;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.TensorSource;
import org.rerender.testing.Fixtures;
import org.rerender.testing.TensorAssert;

/** The dtype parameter: F16 weights and activations (the GPU setting) stay close to F32. */
class ClipTextEncoderTest {

	@Test
	void halfPrecisionIsCloseToSinglePrecision() {
		try (SafetensorsFile sd = SafetensorsFile.open(Fixtures.file("tiny-sd15.safetensors"));
			SafetensorsFile ref = SafetensorsFile.open(Fixtures.file("tiny-reference.safetensors"));
			NDManager weights = Djl.newCpuManager(); NDManager run = Djl.newCpuManager())
		{
			TensorSource w = CheckpointInspector.textEncoder(sd, "tiny");
			ClipTextConfig cfg = ClipTextConfig.fromWeights(w, sd.metadata());
			ClipTextEncoder half = ClipTextEncoder.load(w, cfg, weights, DataType.FLOAT16);
			// the reference set's own ids (its prompts; "a cartoon tiger" and "" in the shipped set)
			long[] idShape = ref.info("in.clip.input_ids").shape();
			int[] all = ref.ints("in.clip.input_ids");
			int[][] rows = new int[(int) idShape[0]][];
			for (int r = 0; r < rows.length; r++)
				rows[r] = Arrays.copyOfRange(all, (int) (r * idShape[1]), (int) ((r + 1) * idShape[1]));
			NDArray out = half.encode(run, rows);
			assertEquals(DataType.FLOAT16, out.getDataType());
			double d = TensorAssert.assertClose("F16 last_hidden_state", out.toType(DataType.FLOAT32, false).toFloatArray(),
				ref.floats("out.clip.last_hidden_state"), 3e-2, 1e-2);
			System.out.printf("F16 CLIP max |diff| vs F32 reference %.3g%n", d);
		}
	}

	@Test
	void headCountFallsBackToHiddenOver64() throws IOException {
		try (SafetensorsFile sd = SafetensorsFile.open(Fixtures.file("tiny-sd15.safetensors"))) {
			// the set's config (shipped: hidden 64, intermediate 128, 2 layers, 4 heads)
			JsonObject p = JsonParser.parseString(Files.readString(Fixtures.file("tiny-configs.json"))).getAsJsonObject()
				.getAsJsonObject("clip_text").getAsJsonObject("params");
			int hidden = p.get("hidden_size").getAsInt();
			TensorSource w = sd.withPrefix(CheckpointInspector.TEXT);
			assertEquals(Math.max(1, hidden / 64), ClipTextConfig.fromWeights(w).heads());
			ClipTextConfig c = ClipTextConfig.fromWeights(w, sd.metadata());
			assertEquals(p.get("num_attention_heads").getAsInt(), c.heads());
			assertEquals(hidden, c.hidden());
			assertEquals(p.get("intermediate_size").getAsInt(), c.intermediate());
			assertEquals(p.get("num_hidden_layers").getAsInt(), c.layers());
			assertEquals(p.get("max_position_embeddings").getAsInt(), c.maxPositions());
		}
		assertEquals(12, ClipTextConfig.vitL14().heads());
	}
}
