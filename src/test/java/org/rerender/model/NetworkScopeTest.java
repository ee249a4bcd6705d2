package org.rerender.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.image.Rgb8Image;
import org.rerender.model.clip.ClipTextConfig;
import org.rerender.model.clip.ClipTextEncoder;
import org.rerender.model.hed.HedDetector;
import org.rerender.model.hed.HedNetwork;
import org.rerender.model.io.Checkpoints;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.TensorSource;
import org.rerender.testing.Fixtures;

/** Repeated forward passes leave nothing behind in the weights' or the caller's manager. */
class NetworkScopeTest {

	@Test
	void clipReleasesItsTemporaries() {
		try (SafetensorsFile sd = SafetensorsFile.open(Fixtures.file("tiny-sd15.safetensors"));
			NDManager weights = Djl.newCpuManager(); NDManager run = Djl.newCpuManager())
		{
			TensorSource w = CheckpointInspector.textEncoder(sd, "tiny");
			ClipTextEncoder enc = ClipTextEncoder.load(w, ClipTextConfig.fromWeights(w, sd.metadata()), weights, DataType.FLOAT32);
			int nWeights = weights.getManagedArrays().size();
			int[] ids = new int[77];
			java.util.Arrays.fill(ids, 49407);
			ids[0] = 49406;
			for (int i = 0; i < 3; i++) {
				NDArray out = enc.encode(run, ids);
				assertEquals(1, run.getManagedArrays().size(), "only the result stays in the caller's manager");
				out.close();
			}
			assertEquals(nWeights, weights.getManagedArrays().size());
		}
	}

	@Test
	void hedReleasesItsTemporaries() {
		try (TensorSource w = Checkpoints.open(Fixtures.file("hed/tiny-hed.pth"));
			NDManager weights = Djl.newCpuManager(); NDManager run = Djl.newCpuManager())
		{
			HedDetector det = new HedDetector(HedNetwork.load(w, weights, DataType.FLOAT32));
			int nWeights = weights.getManagedArrays().size();
			Rgb8Image img = new Rgb8Image(40, 24);
			for (int i = 0; i < 3; i++) {
				det.detect(img, run);
				assertEquals(0, run.getManagedArrays().size());
			}
			assertEquals(nWeights, weights.getManagedArrays().size());
		}
	}
}
