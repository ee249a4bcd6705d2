package org.rerender.flow;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.image.Rgb8Image;

/**
 * DIS end-point error on real frames warped by known flow fields. The bounds are about twice what was
 * measured (README, flow section) and far below the error of no estimate at all.
 */
class FlowAccuracyTest {
	private static Rgb8Image street, building;

	@BeforeAll
	static void frames() throws Exception {
		street = RealFrames.centreCrop(RealFrames.vtestFrame(10), 320, 256);
		building = RealFrames.centreCrop(RealFrames.still("building.jpg"), 320, 256);
	}

	@Test
	void disRecoversKnownFlowsOnRealFrames() {
		try (FlowEstimator dis = FlowEstimators.create(FlowMethod.DIS)) {
			for (Rgb8Image a : new Rgb8Image[] { street, building })
				for (SyntheticFlows.Kind kind : SyntheticFlows.Kind.values()) {
					FlowField truth = SyntheticFlows.field(kind, a.width(), a.height(), 7);
					Rgb8Image b = SyntheticFlows.warp(a, truth);
					FlowField est = dis.flow(b, a);
					SyntheticFlows.Epe e = SyntheticFlows.epe(est, truth, 8);
					System.out.printf("DIS %-14s %s EPE %.3f px, >1px %.1f %%, |flow| %.2f px%n", kind,
						a == street ? "street  " : "building", e.mean(), 100 * e.outliers(), e.meanMagnitude());
					assertTrue(e.mean() < 0.25, kind + ": EPE " + e.mean() + " px");
					assertTrue(e.mean() < 0.2 * e.meanMagnitude(), kind + ": EPE not well below the flow itself");
				}
		}
	}
}
