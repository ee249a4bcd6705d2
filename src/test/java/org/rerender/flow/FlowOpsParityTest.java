package org.rerender.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rerender.flow.FlowFixtures.assertMaskEquals;
import static org.rerender.flow.FlowFixtures.flow;
import static org.rerender.flow.FlowFixtures.image;
import static org.rerender.flow.FlowFixtures.mask;
import static org.rerender.testing.TensorAssert.assertClose;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.image.FloatImage;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.testing.Fixtures;

/**
 * {@link FlowOps} against the original's flow helpers: the GMFlow set's consistency check and warps
 * (fixtures README §8) and the Rerender set's occlusion and blend masks (§9). Every size is read from
 * the files; tolerances are the README's.
 */
class FlowOpsParityTest {
	private static SafetensorsFile gm, rr;

	@BeforeAll
	static void open() {
		gm = SafetensorsFile.open(Fixtures.file("gmflow/gmflow-reference.safetensors"));
		rr = SafetensorsFile.open(Fixtures.file("rerender/rerender-main.safetensors"));
	}

	@AfterAll
	static void close() {
		if (gm != null) gm.close();
		if (rr != null) rr.close();
	}

	/** The check group: Rerender's check and warps on the true flows (genuinely mixed masks). */
	@Test
	void checkGroupOnTrueFlows() {
		checkAndWarp("check.", "in.check.fwd_flow", "in.check.bwd_flow", 5e-4, 5e-4, 5e-4, 1e-3);
		FloatImage image3 = image(gm, "in.image3");
		FloatImage nearest = FlowOps.warpNearest(image3, flow(gm, "in.check.bwd_flow"));
		assertClose("out.check.warped_nearest", nearest.data(), image(gm, "out.check.warped_nearest").data(), 0, 0);
	}

	/** The network group: the same helpers on the (random-weight) network's flows. */
	@Test
	void networkGroupOnNetworkFlows() {
		checkAndWarp("", "out.fwd_flow", "out.bwd_flow", 2e-3, 1e-4, 5e-2, 0);
	}

	private static void checkAndWarp(String g, String fwdName, String bwdName, double warpTol, double thrTol,
		double diffTol, double margin)
	{
		FlowField fwd = flow(gm, fwdName), bwd = flow(gm, bwdName);
		FlowOps.Consistency cf = FlowOps.check(fwd, bwd), cb = FlowOps.check(bwd, fwd);
		FloatImage refThr = mask(gm, "aux." + g + "threshold");
		FloatImage refDf = mask(gm, "aux." + g + "diff_fwd"), refDb = mask(gm, "aux." + g + "diff_bwd");
		System.out.printf("%-24s max|d| %.3g%n", "aux." + g + "threshold",
			assertClose("aux." + g + "threshold", cf.threshold().data(), refThr.data(), thrTol, 0));
		assertClose("aux." + g + "threshold (bwd)", cb.threshold().data(), refThr.data(), thrTol, 0);
		System.out.printf("%-24s max|d| %.3g%n", "aux." + g + "diff_fwd", assertClose("aux." + g + "diff_fwd", cf.diff().data(), refDf.data(), diffTol, 0));
		System.out.printf("%-24s max|d| %.3g%n", "aux." + g + "diff_bwd", assertClose("aux." + g + "diff_bwd", cb.diff().data(), refDb.data(), diffTol, 0));
		int tf = assertMaskEquals("out." + g + "fwd_occ", cf.occluded(), mask(gm, "out." + g + "fwd_occ"), refDf, refThr, margin);
		int tb = assertMaskEquals("out." + g + "bwd_occ", cb.occluded(), mask(gm, "out." + g + "bwd_occ"), refDb, refThr, margin);
		System.out.printf("%-24s tolerated mask flips within %.0e of the threshold: fwd %d, bwd %d%n", g + "occ", margin, tf, tb);
		FloatImage warped = FlowOps.warpBilinear(image(gm, "in.image3"), bwd);
		System.out.printf("%-24s max|d| %.3g%n", "out." + g + "warped",
			assertClose("out." + g + "warped", warped.data(), image(gm, "out." + g + "warped").data(), warpTol, 0));
	}

	/** Rerender's masks for key frame 2 from the exact flows: occlusion, soft blend masks, latent pools. */
	@Test
	void rerenderMasks() {
		FlowField fwd = flow(rr, "in.flow.fwd"), bwd = flow(rr, "in.flow.bwd");
		FloatImage occ0 = FlowOps.occlusion(bwd, fwd);
		assertMaskEquals("flow.bwd_occ_0", occ0, mask(rr, "flow.bwd_occ_0"), null, null, 0);
		FloatImage blend0 = FlowOps.softMask(occ0);
		assertMaskEquals("flow.blend_mask_0", blend0, mask(rr, "flow.blend_mask_0"), null, null, 0);
		// the previous key frame is frame 1 itself here, so occ_pre = occ_0 (README §9)
		FloatImage occ = FlowOps.and(occ0, occ0);
		assertMaskEquals("flow.bwd_occ", occ, mask(rr, "flow.bwd_occ"), null, null, 0);
		FloatImage blend = FlowOps.oneMinus(FlowOps.softMask(occ));
		assertMaskEquals("flow.blend_mask", blend, mask(rr, "flow.blend_mask"), null, null, 0);
		FloatImage warpMask = FlowOps.oneMinus(FlowOps.maxPool8(blend0));
		assertMaskEquals("flow.warp_mask", warpMask, mask(rr, "flow.warp_mask"), null, null, 0);
		FloatImage fusion = FlowOps.oneMinus(FlowOps.maxPool8(FlowOps.oneMinus(blend)));
		assertMaskEquals("flow.fusion_mask", fusion, mask(rr, "flow.fusion_mask"), null, null, 0);
		double frac = 0;
		for (float v : blend0.data()) if (v > 0 && v < 1) frac++;
		assertTrue(frac > 0, "the blend mask should have soft values");
		assertEquals(mask(rr, "flow.warp_mask").width(), blend0.width() / 8);
	}
}
