package org.rerender.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.rerender.config.RerenderConfig;
import org.rerender.config.SamplingSteps;
import org.rerender.diffusion.rerender.KeyFrameSettings;
import org.rerender.image.Rgb8Image;
import org.rerender.engine.RerenderException;

/**
 * Step counts that do not divide 1000: ldm's "uniform" DDIM schedule takes {@code c = 1000 div S} and
 * {@code range(0, 1000, c) + 1}, so it runs ceil(1000 / c) steps, not always S. The shipped reference set only has S = 20
 * (where both agree); the timesteps below are what the original {@code DDIMSampler.make_schedule} gave for the
 * alternate sets of tools/refgen/gen_sd.py (S = 7 and S = 30).
 */
class DdimScheduleTest {

	@Test
	void sevenStepsRunEightTimesteps() {
		DdimSchedule d = new DdimSchedule(NoiseSchedule.sd15(), 7);
		assertArrayEquals(new int[] {1, 143, 285, 427, 569, 711, 853, 995}, d.timesteps());
		assertEquals(8, d.size());
		assertEquals(7, d.indexOfStep(0), "the first step uses the highest timestep");
		assertEquals(995, d.timestep(d.indexOfStep(0)));
	}

	@Test
	void thirtyStepsRunThirtyOneTimesteps() {
		int[] t = new DdimSchedule(NoiseSchedule.sd15(), 30).timesteps();
		assertEquals(31, t.length);
		for (int k = 0; k < t.length; k++) assertEquals(33 * k + 1, t[k]);
		assertEquals(991, t[30]);
	}

	@Test
	void stepCountsRun() {
		for (int s : new int[] {1, 10, 20, 25, 40, 50})
			assertEquals(s, new DdimSchedule(NoiseSchedule.sd15(), s).size(), "S = " + s);
		// c = 1000 div 334 = 2: range(0, 1000, 2) has 500 entries
		assertEquals(500, new DdimSchedule(NoiseSchedule.sd15(), 334).size());
	}

	@Test
	void countsNeedingTimestep1000AreRefused() {
		// S = 3: c = 333, range(0, 1000, 333) = 0, 333, 666, 999 -> timestep 1000, outside the schedule (ldm: IndexError)
		assertThrows(RerenderException.class, () -> new DdimSchedule(NoiseSchedule.sd15(), 3));
		// S = 1000: c = 1, timesteps 1..1000
		assertThrows(RerenderException.class, () -> new DdimSchedule(NoiseSchedule.sd15(), 1000));
	}

	/**
	 * Every S in 1..1000: the config's validate(), KeyFrameSettings, ControlledGenerator.Request and
	 * SamplingSteps.runnable agree with what DdimSchedule runs, and with ldm's rule written out here independently
	 * (timesteps = range(0, 1000, 1000 // S) + 1, then ᾱ[timesteps] must not index past ᾱ[999]). A refusal names
	 * the nearest counts that work.
	 */
	@Test
	void validationAgreesWithTheSamplerForEveryCount() {
		NoiseSchedule ns = NoiseSchedule.sd15();
		RerenderConfig.Builder b = RerenderConfig.builder().prompt("p");
		Rgb8Image control = new Rgb8Image(8, 8);
		int refused = 0;
		for (int s = 1; s <= 1000; s++) {
			int c = 1000 / s, last = 0;
			for (int t = 0; t < 1000; t += c) last = t;
			boolean ldm = last + 1 < 1000;
			boolean sampler;
			try {
				new DdimSchedule(ns, s);
				sampler = true;
			}
			catch (RerenderException e) {
				sampler = false;
			}
			assertEquals(ldm, sampler, "DdimSchedule vs ldm, S = " + s);
			assertEquals(sampler, SamplingSteps.runnable(s), "runnable, S = " + s);
			RerenderConfig cfg = b.ddimSteps(s).build();
			int steps = s;
			if (sampler) {
				assertDoesNotThrow(cfg::validate, "validate, S = " + s);
				assertDoesNotThrow(() -> KeyFrameSettings.from(cfg), "KeyFrameSettings, S = " + s);
				assertDoesNotThrow(() -> request(steps, control), "Request, S = " + s);
				continue;
			}
			refused++;
			RerenderException e = assertThrows(RerenderException.class, cfg::validate, "validate, S = " + s);
			assertThrows(RerenderException.class, () -> KeyFrameSettings.from(cfg), "KeyFrameSettings, S = " + s);
			assertThrows(RerenderException.class, () -> request(steps, control), "Request, S = " + s);
			assertTrue(e.getMessage().contains("nearest count"), e.getMessage());
		}
		assertEquals(599, refused);
		assertEquals("Invalid setting: ddim_steps 3 cannot be sampled: the uniform DDIM schedule (stride 1000 div 3 = 333) would "
			+ "end at timestep 1000, past the 1000-step noise schedule (the original sampler fails the same way); the nearest "
			+ "counts that work are 2 and 4", assertThrows(RerenderException.class, () -> b.ddimSteps(3).build().validate()).getMessage());
		assertTrue(assertThrows(RerenderException.class, () -> b.ddimSteps(104).build().validate()).getMessage()
			.endsWith("the nearest counts that work are 100 and 112"));
		assertTrue(assertThrows(RerenderException.class, () -> b.ddimSteps(700).build().validate()).getMessage()
			.endsWith("the nearest count that works is 500"));
		assertTrue(assertThrows(RerenderException.class, () -> b.ddimSteps(0).build().validate()).getMessage()
			.contains("must be in 1..1000, got 0; the nearest count that works is 1"));
	}

	private static ControlledGenerator.Request request(int steps, Rgb8Image control) {
		return new ControlledGenerator.Request("p", "", "", steps, 7.5, 1, ControlledGenerator.ControlType.CANNY, 1, 50, 100,
			512, control, null, 1);
	}
}
