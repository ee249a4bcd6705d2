package org.rerender.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.EngineException;
import ai.djl.ndarray.BaseNDManager;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rerender.config.RerenderConfig;
import org.rerender.diffusion.ControlledGenerator;
import org.rerender.engine.DeviceMemoryErrors;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;

/**
 * The job and generate boundaries translate an out-of-memory failure raised in the middle of the diffusion work
 * (a libtorch EngineException thrown from inside the DDIM loop, where a real allocation fails), free the failed
 * frame's arrays, and a retry in the same process succeeds. Tiny fixture models on the CPU.
 */
class DeviceMemoryBoundaryTest {
	static final String CUDA_OOM = "CUDA out of memory. Tried to allocate 1.50 GiB. GPU 0 has a total capacity of 7.79 GiB of which"
		+ " 301.06 MiB is free. Of the allocated memory 6.91 GiB is allocated by PyTorch, and 120.00 MiB is reserved by PyTorch but"
		+ " unallocated.";

	@RegisterExtension
	static final TinyPipeline tiny = TinyPipeline.frames(3);

	/** Arrays alive in the models' work manager and its sub-managers (the frame's scope). */
	private static int workArrays() {
		return ((BaseNDManager) tiny.models().manager()).getManagedArrays().size();
	}

	/** The DDIM loop's progress (generate: "DDIM"; the job's first frame: "First frame"). */
	private static boolean sampling(String stage) {
		return stage.equals("DDIM") || stage.equals("First frame");
	}

	/** Throws libtorch's out-of-memory failure at DDIM step 2, inside the frame's sub-manager. */
	private static Progress failAtStep2(int[] thrown) {
		return (stage, done, total) -> {
			if (sampling(stage) && done == 2 && thrown[0]++ == 0) throw new EngineException(CUDA_OOM);
		};
	}

	@Test
	void jobTurnsOutOfMemoryIntoAnActionableErrorAndCanBeRetried() {
		RerenderConfig c = PipelineFixtures.config(tiny.clip(), tiny.dir().resolve("out/o.mp4"), tiny.dir().resolve("work")).seed(3)
			.interval(2).build();
		RerenderJob job = new RerenderJob(c, cfg -> tiny.models());
		int before = workArrays();
		int[] thrown = {0};
		RerenderException e = assertThrows(RerenderException.class, () -> job.run(RerenderJob.Steps.FIRST_FRAME, failAtStep2(thrown), null));
		assertEquals(1, thrown[0], "the failure came from inside the DDIM loop");
		String m = e.getMessage();
		assertTrue(m.startsWith("Out of CPU memory on cpu (F32) at a working size of 128×64 pixels (image_resolution sets the long side)."), m);
		assertTrue(m.contains("What to do: lower image_resolution;") && m.contains("Free Models"), m);
		assertTrue(m.endsWith("(libtorch: " + CUDA_OOM + ")"), m);
		assertSame(DeviceMemoryErrors.find(e), DeviceMemoryErrors.find(e.getCause()), "the libtorch failure is kept as the cause");
		assertEquals(before, workArrays(), "the failed frame's arrays are freed");

		RerenderJob.Result r = job.run(RerenderJob.Steps.FIRST_FRAME, null, null); // same models, same process
		assertEquals(1, r.counters().anchorsTranslated);
		assertEquals(before, workArrays());
	}

	@Test
	void generateTurnsOutOfMemoryIntoAnActionableErrorAndCanBeRetried() {
		byte[] px = new byte[64 * 64 * 3];
		new Random(1).nextBytes(px);
		ControlledGenerator.Request req = new ControlledGenerator.Request("a cat", "", "", 4, 7.5, 5,
			ControlledGenerator.ControlType.CANNY, 1, 50, 100, 64, new Rgb8Image(64, 64, px), null, 1);
		ControlledGenerator gen = new ControlledGenerator(tiny.models());
		int before = workArrays();
		RerenderException e = assertThrows(RerenderException.class, () -> gen.generate(req, failAtStep2(new int[1]), null));
		assertTrue(e.getMessage().startsWith("Out of CPU memory on cpu (F32) at a working size of 64×64 pixels (resolution sets"),
			e.getMessage());
		assertFalse(e.getMessage().contains("use_limit_device_resolution"), "not a setting of generate");
		assertEquals(before, workArrays(), "the failed run's arrays are freed");
		assertEquals(64, gen.generate(req, null, null).image().width());
		assertEquals(before, workArrays());
	}

	@Test
	void otherFailuresReachTheCallerUnchanged() {
		RerenderConfig c = PipelineFixtures.config(tiny.clip(), tiny.dir().resolve("out2/o.mp4"), tiny.dir().resolve("work2")).seed(3)
			.interval(2).build();
		EngineException other = new EngineException("The size of tensor a (8) must match the size of tensor b (16)");
		Progress fail = (stage, done, total) -> {
			if (sampling(stage)) throw other;
		};
		EngineException e = assertThrows(EngineException.class, () -> new RerenderJob(c, cfg -> tiny.models()).run(RerenderJob.Steps.FIRST_FRAME,
			fail, null));
		assertSame(other, e);
	}
}
