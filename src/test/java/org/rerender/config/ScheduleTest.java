package org.rerender.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.rerender.engine.RerenderException;

/** Step windows, S, SDEdit steps and device resolution (rerender-algorithm.md §1–3; the key-frame schedule: KeyScheduleTest). */
class ScheduleTest {

	@Test
	void actualStepCountFollowsTheStride() {
		int[][] cases = {{10, 10}, {20, 20}, {25, 25}, {40, 40}, {50, 50}, {100, 100}, {15, 16}, {30, 31}, {60, 63},
			{70, 72}, {80, 84}, {90, 91}, {8, 8}};
		for (int[] c : cases) assertEquals(c[1], SamplingSteps.actualSteps(c[0]), "ddim_steps " + c[0]);
	}

	@Test
	void sdeditStepUsesDoubleTruncation() {
		assertEquals(0, SamplingSteps.sdeditStep(20, 1.0));
		assertEquals(1, SamplingSteps.sdeditStep(20, 0.95));
		assertEquals(1, SamplingSteps.sdeditStep(20, 0.9), "1 - 0.9 = 0.0999..98 in double");
		assertEquals(5, SamplingSteps.sdeditStep(20, 0.75));
		assertEquals(6, SamplingSteps.sdeditStep(20, 0.7));
		assertEquals(10, SamplingSteps.sdeditStep(20, 0.5));
		assertEquals(20, SamplingSteps.sdeditStep(20, 0.0));
		assertEquals(-1, SamplingSteps.sdeditStep(20, 1.05));
		assertEquals(-1, SamplingSteps.sdeditStep(20, 1.01));
		assertEquals(-1, SamplingSteps.sdeditStep(20, -1));
		assertEquals(2, SamplingSteps.sdeditStep(8, 0.75));
		// settings must be read as the configured decimals: the F32 rounding of 0.6 lands on another step
		assertEquals(2, SamplingSteps.sdeditStep(5, 0.6));
		assertEquals(1, SamplingSteps.sdeditStep(5, 0.6f), "0.6f = 0.6000000238…, 5·(1 − 0.6f) < 2");
		assertEquals(SamplingSteps.sdeditStep(5, 0.6), new org.rerender.diffusion.DdimSampler.SdEdit(null, 0.6).startStep(5));
		// x0_strength 1.05 (Rerender's van_gogh_man) and -1 (its default) never replace the latent
		assertEquals(-1, new org.rerender.diffusion.DdimSampler.SdEdit(null, 1.05).startStep(8), "not (int) (8 * -0.05) = 0");
		assertEquals(-1, new org.rerender.diffusion.DdimSampler.SdEdit(null, -1).startStep(8));
	}

	@Test
	void periodsBecomeTheDocumentedStepSets() {
		assertEquals(20, new Period(0, 1).inclusiveSteps(20).size());
		assertEquals(List.of(0, 1, 2), new Period(0, 0.1).inclusiveSteps(20));
		assertTrue(new Period(1, 1).inclusiveSteps(20).isEmpty());
		assertEquals(List.of(16, 17, 18, 19), new Period(0.8, 1).inclusiveSteps(20));
		assertEquals(List.of(11, 12, 13, 14, 15), new Period(0.5, 0.8).exclusiveSteps(20));
		assertTrue(new Period(1, 0).inclusiveSteps(20).isEmpty());
		assertTrue(new Period(0.9, 0.1).exclusiveSteps(20).isEmpty());
		// the rerender fixture's windows at S = 8
		assertEquals(List.of(2, 3, 4, 5, 6), new Period(0.25, 0.75).inclusiveSteps(8));
		assertEquals(List.of(0, 1, 2, 3), new Period(0, 0.375).inclusiveSteps(8));
		assertEquals(List.of(3, 4, 5, 6, 7), new Period(0.375, 1).inclusiveSteps(8));
		assertEquals(List.of(3, 4, 5, 6), new Period(0.25, 0.875).exclusiveSteps(8));
	}

	@Test
	void deviceResolutionTable() {
		long gib = 1L << 30;
		assertEquals(1280, DeviceResolution.cap(24 * gib));
		assertEquals(1024, DeviceResolution.cap((long) (23.6 * gib)), "a 24 GB card reporting 23.x GiB gets 1024");
		assertEquals(512, DeviceResolution.cap(7 * gib));
		assertEquals(192, DeviceResolution.cap(4 * gib));
		assertEquals(512, DeviceResolution.limit(512, 80 * gib));
		assertEquals(448, DeviceResolution.limit(512, 6 * gib));
		assertThrows(RerenderException.class, () -> DeviceResolution.cap(3 * gib));
	}
}
