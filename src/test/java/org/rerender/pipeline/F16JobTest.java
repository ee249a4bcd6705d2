package org.rerender.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.config.RerenderConfig;
import org.rerender.engine.DeviceChoice;
import org.rerender.image.Rgb8Image;
import org.rerender.model.download.ModelManifest;
import org.rerender.propagate.FolderFrames;

/**
 * The key-frame job with every Rerender constraint on, with the networks loaded in F16 (as on a GPU) but run on the
 * CPU: the F32 DDIM state meets F16 networks, the VAE (pixel-aware fusion decodes and re-encodes x̂0) and F16 stores
 * in cross-frame attention. It must run through and land near the F32 run of the same seed.
 */
class F16JobTest {
	@TempDir
	static Path dir;

	@Test
	void constrainedKeyFramesWithF16NetworksOnTheCpu() throws Exception {
		PipelineFixtures.requireFixtures();
		Path clip = PipelineFixtures.clip(dir, 2); // the anchor (frame 0) and one constrained key frame
		double[] meanDiff = new double[1];
		Rgb8Image[][] keys = new Rgb8Image[2][];
		DataType[] types = {DataType.FLOAT32, DataType.FLOAT16};
		for (int i = 0; i < 2; i++) {
			Path work = dir.resolve("work-" + types[i]);
			RerenderConfig c = PipelineFixtures.config(clip, dir.resolve("out-" + types[i] + ".mp4"), work).interval(1).ddimSteps(4).seed(7).build(); // 4 steps: the CPU runs F16 slowly
			DiffusionModels.Files files = DiffusionModels.resolve(c, PipelineFixtures.store(dir), ModelManifest.packaged());
			try (DiffusionModels models = DiffusionModels.load(files, new DeviceChoice.Resolved(Device.cpu(), types[i], "test"))) {
				RerenderJob job = new RerenderJob(c, cfg -> models);
				job.run(RerenderJob.Steps.FIRST_FRAME, null, null);
				RerenderJob.Result r = job.run(RerenderJob.Steps.KEY_FRAMES, null, null);
				assertEquals(List.of(1), r.keyFrames());
				keys[i] = new Rgb8Image[] {FolderFrames.read(work.resolve("keys/0000.png")), FolderFrames.read(work.resolve("keys/0001.png"))};
			}
		}
		for (int k = 0; k < 2; k++) {
			byte[] a = keys[0][k].data(), b = keys[1][k].data();
			double sum = 0;
			for (int j = 0; j < a.length; j++) sum += Math.abs((a[j] & 0xff) - (b[j] & 0xff));
			meanDiff[0] = Math.max(meanDiff[0], sum / a.length);
		}
		System.out.printf("F16 networks (F32 DDIM state) vs F32, anchor 0 and constrained key frame 1: mean |diff| %.2f of 255%n", meanDiff[0]);
		assertTrue(meanDiff[0] < 2, "F16 key frames far from F32: " + meanDiff[0]);
	}
}
