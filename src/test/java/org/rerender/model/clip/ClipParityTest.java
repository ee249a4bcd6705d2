package org.rerender.model.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.rerender.model.CheckpointInspector;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.TensorSource;
import org.rerender.testing.Fixtures;
import org.rerender.testing.TensorAssert;
import org.rerender.testing.TestDevice;

/** CLIP text encoder against the reference tensors (tolerance 1e-4 + 1e-4·|b|). */
class ClipParityTest {

	private static final double ATOL = 1e-4, RTOL = 1e-4;

	@Test
	void tinyReferenceEmbeddingsLayer0AndLastHiddenState() {
		try (SafetensorsFile sd = SafetensorsFile.open(Fixtures.file("tiny-sd15.safetensors"));
			SafetensorsFile ref = SafetensorsFile.open(Fixtures.file("tiny-reference.safetensors"));
			NDManager weights = TestDevice.newManager(); NDManager run = TestDevice.newManager())
		{
			TensorSource w = CheckpointInspector.textEncoder(sd, "tiny-sd15");
			ClipTextConfig cfg = ClipTextConfig.fromWeights(w, sd.metadata());
			ClipTextEncoder enc = ClipTextEncoder.load(w, cfg, weights, DataType.FLOAT32);
			long[] idShape = ref.info("in.clip.input_ids").shape();
			int[] idData = ref.ints("in.clip.input_ids");
			String prompts = ref.metadata().get("prompts");
			if (prompts != null) { // the ids are the tokenizer's output for the set's prompts
				ClipTokenizer tok = ClipTokenizer.load(Fixtures.file("bpe_simple_vocab_16e6.txt.gz"));
				var arr = JsonParser.parseString(prompts).getAsJsonArray();
				assertEquals(idShape[0], arr.size());
				for (int r = 0; r < arr.size(); r++)
					assertArrayEquals(Arrays.copyOfRange(idData, (int) (r * idShape[1]), (int) ((r + 1) * idShape[1])),
						tok.encode(arr.get(r).getAsString()), "ids of prompt " + r);
			}
			NDArray ids = run.create(idData, new Shape(idShape));
			NDList states = enc.hiddenStates(ids, true);
			assertEquals(cfg.layers() + 2, states.size());
			check(ref, "out.clip.embeddings", states.get(0));
			check(ref, "out.clip.layer0_out", states.get(1));
			check(ref, "out.clip.last_hidden_state", states.get(states.size() - 1));
			check(ref, "out.clip.last_hidden_state", enc.encode(ids));
		}
	}

	@Test
	void rerenderSetContextsFromItsPrompts() throws Exception {
		try (SafetensorsFile sd = SafetensorsFile.open(Fixtures.file("tiny-sd15.safetensors"));
			SafetensorsFile ref = SafetensorsFile.open(Fixtures.file("rerender/rerender-main.safetensors"));
			NDManager weights = TestDevice.newManager(); NDManager run = TestDevice.newManager())
		{
			TensorSource w = CheckpointInspector.textEncoder(sd, "tiny-sd15");
			ClipTextEncoder enc = ClipTextEncoder.load(w, ClipTextConfig.fromWeights(w, sd.metadata()), weights,
				DataType.FLOAT32);
			int[] ids = ref.ints("in.clip.input_ids");
			int t = (int) ref.info("in.clip.input_ids").shape()[1];
			int[] cond = Arrays.copyOfRange(ids, 0, t), uncond = Arrays.copyOfRange(ids, t, 2 * t);
			// the ids come from the set's own prompts
			JsonObject settings = JsonParser.parseString(ref.metadata().get("settings")).getAsJsonObject();
			ClipTokenizer tok = ClipTokenizer.load(Fixtures.file("bpe_simple_vocab_16e6.txt.gz"));
			assertArrayEquals(cond, tok.encode(settings.get("full_prompt").getAsString()));
			assertArrayEquals(uncond, tok.encode(settings.get("n_prompt").getAsString()));
			check(ref, "in.context.cond", enc.encode(run, cond));
			check(ref, "in.context.uncond", enc.encode(run, uncond));
		}
	}

	static void check(SafetensorsFile ref, String name, NDArray actual) {
		assertArrayEquals(ref.info(name).shape(), actual.getShape().getShape(), name + " shape");
		double d = TensorAssert.assertClose(name, actual.toType(DataType.FLOAT32, false).toFloatArray(), ref.floats(name),
			ATOL, RTOL);
		System.out.printf("%s max |diff| %.3g%n", name, d);
	}

}
