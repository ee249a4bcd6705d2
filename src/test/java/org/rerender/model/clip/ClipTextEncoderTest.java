package org.rerender.model.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
	void headCountFallsBackToHiddenOver64() {
		try (SafetensorsFile sd = SafetensorsFile.open(Fixtures.file("tiny-sd15.safetensors"))) {
			TensorSource w = sd.withPrefix(CheckpointInspector.TEXT);
			assertEquals(1, ClipTextConfig.fromWeights(w).heads());
			ClipTextConfig c = ClipTextConfig.fromWeights(w, sd.metadata());
			assertEquals(4, c.heads());
			assertEquals(64, c.hidden());
			assertEquals(128, c.intermediate());
			assertEquals(2, c.layers());
			assertEquals(77, c.maxPositions());
		}
		assertEquals(12, ClipTextConfig.vitL14().heads());
	}
}
