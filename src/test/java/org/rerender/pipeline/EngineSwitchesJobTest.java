package org.rerender.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rerender.config.RerenderConfig;
import org.rerender.diffusion.DdimSampler;
import org.rerender.diffusion.rerender.KeyFrameEngine;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.FolderFrames;
import org.rerender.work.WorkFolder;

/**
 * The key-frame engine switches {@code batch_cfg} and {@code attention_store_on_host} reach the engine a job builds,
 * and a job resumed with them switched on runs through (they are not part of the key step's stamp) to the same key
 * frames up to float rounding. Tiny fixture models, 3 frames of 128×64, 5 steps.
 */
class EngineSwitchesJobTest {
	@RegisterExtension
	static final TinyPipeline tiny = TinyPipeline.frames(3);

	private static RerenderConfig.Builder job(String name) {
		return tiny.job(name).interval(1).seed(7);
	}

	@Test
	void theJobsEngineTakesTheSwitches() {
		try (NDManager m = tiny.models().manager().newSubManager()) {
			KeyFrameEngine plain = KeyFrameTranslator.engine(job("a").build(), tiny.models(), m);
			assertEquals(DdimSampler.Cfg.SEPARATE, plain.cfg());
			assertFalse(plain.storesOnHost());
			KeyFrameEngine both = KeyFrameTranslator.engine(job("a").batchCfg(true).attentionStoreOnHost(true).build(), tiny.models(), m);
			assertEquals(DdimSampler.Cfg.BATCHED, both.cfg());
			assertTrue(both.storesOnHost());
			assertTrue(both.storeDevice().equals(ai.djl.Device.cpu()));
			KeyFrameEngine batched = KeyFrameTranslator.engine(job("a").batchCfg(true).build(), tiny.models(), m);
			assertEquals(DdimSampler.Cfg.BATCHED, batched.cfg());
			assertFalse(batched.storesOnHost());
		}
	}

	@Test
	void keyFramesResumedWithBothSwitchesOnMatchTheDefaultRun() throws Exception {
		RerenderConfig plain = job("separate").build();
		new RerenderJob(plain, cfg -> tiny.models()).run(RerenderJob.Steps.KEY_FRAMES, null, null);

		// the first frame with the defaults, then the key frames with both switches on in the same work folder
		new RerenderJob(job("switched").build(), cfg -> tiny.models()).run(RerenderJob.Steps.FIRST_FRAME, null, null);
		RerenderConfig on = job("switched").batchCfg(true).attentionStoreOnHost(true).build();
		RerenderJob.Result r = new RerenderJob(on, cfg -> tiny.models()).run(RerenderJob.Steps.KEY_FRAMES, null, null);
		assertEquals(List.of(1, 2), r.keyFrames());
		assertEquals(0, r.counters().anchorsTranslated, "the anchor state is reloaded: switching is not a settings change");
		assertEquals(2, r.counters().keyFramesTranslated);
		JsonObject params = JsonParser.parseString(Files.readString(r.workDir().resolve(WorkFolder.JOB_FILE)))
			.getAsJsonObject().getAsJsonObject("params");
		assertTrue(params.get("batch_cfg").getAsBoolean() && params.get("attention_store_on_host").getAsBoolean(), params.toString());

		int max = 0;
		for (int k : new int[] {1, 2}) {
			String f = String.format("keys/%04d.png", k);
			Rgb8Image a = FolderFrames.read(tiny.dir().resolve("separate").resolve(f)), b = FolderFrames.read(r.workDir().resolve(f));
			for (int j = 0; j < a.data().length; j++) max = Math.max(max, Math.abs((a.data()[j] & 0xff) - (b.data()[j] & 0xff)));
		}
		System.out.println("key frames 1, 2: batched CFG + host stores vs separate: max |diff| " + max + " of 255");
		assertTrue(max <= 2, "batched CFG must give the separate calls' key frames up to rounding, max |diff| " + max);
	}
}
