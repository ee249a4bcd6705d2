package org.rerender.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
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
}
