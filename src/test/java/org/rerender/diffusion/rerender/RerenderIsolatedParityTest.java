package org.rerender.diffusion.rerender;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The isolated-constraint runs of the Rerender set (fixtures README §9): {@code base.f1} (FreeU (1,1,1,1), which
 * still runs), then frame 2 with one constraint at a time, each from its own copy of base.f1's store.
 */
class RerenderIsolatedParityTest {
	static RerenderFixture fx;
	static RerenderFixture.Recorder anchorRec;
	static KeyFrameEngine.AnchorResult base;

	@BeforeAll
	static void anchor() throws Exception {
		fx = new RerenderFixture();
		anchorRec = new RerenderFixture.Recorder();
		fx.engine.observer(anchorRec);
		// the anchor applies no constraint; "cross" only makes it keep the window's attention inputs
		base = fx.engine.translateAnchor(fx.frame(1), fx.prompts, fx.settings(false, false, "cross"),
			fx.new Noise(List.of("in.noise.vae.frame1"), false), null, null);
	}

	@AfterAll
	static void close() {
		if (base != null) base.anchor().close();
		if (fx != null) fx.close();
	}

	@Test
	void baseFirstFrame() {
		RerenderFixture.comparePass(fx.iso, "base.f1", anchorRec.passes.get("anchor"), base.decoded());
		float[] mean = fx.stores.floats("store.base.first_ada.mean");
		int c = mean.length / base.anchor().steps();
		double max = 0;
		for (int i = 0; i < base.anchor().steps(); i++)
			max = Math.max(max, org.rerender.testing.TensorAssert.assertClose("store.base.first_ada.mean[" + i + "]",
				base.anchor().stats(i).mean().toFloatArray(), java.util.Arrays.copyOfRange(mean, i * c, (i + 1) * c), 1e-4, 1e-4));
		RerenderFixture.log("store.base.first_ada.mean", max);
	}

	private RerenderFixture.Recorder single(String ref, boolean loose, String constraint) {
		RerenderFixture.Recorder rec = new RerenderFixture.Recorder();
		fx.engine.observer(rec);
		try (KeyFrameSequence seq = new KeyFrameSequence(base.anchor(), fx.manager, 1)) {
			KeyFrameEngine.KeyFrameResult r = fx.engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts,
				fx.settings(false, loose, constraint), fx.new Noise(List.of("in.noise.vae.frame2"), false), null, null);
			RerenderFixture.comparePass(fx.iso, ref, rec.passes.get("pass1"), r.decoded());
		}
		return rec;
	}

	@Test
	void crossFrameAttentionAlone() {
		single("iso.cross.f2", false, "cross");
	}

	@Test
	void looseCrossFrameAttentionAlone() {
		single("iso.loose.f2", true, "cross");
	}

	@Test
	void shapeAwareFusionAlone() {
		single("iso.warp.f2", false, "warp");
	}

	@Test
	void adaInAlone() {
		single("iso.ada.f2", false, "ada");
	}

	@Test
	void pixelAwareFusionAlone() {
		RerenderFixture.Recorder rec = new RerenderFixture.Recorder();
		fx.engine.observer(rec);
		try (KeyFrameSequence seq = new KeyFrameSequence(base.anchor(), fx.manager, 1)) {
			KeyFrameEngine.KeyFrameResult r = fx.engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts,
				fx.settings(false, false, "mask"),
				fx.new Noise(List.of("in.noise.vae.frame2", "in.noise.vae.blend", "in.noise.vae.blend_rec"), false, true), null, null);
			RerenderFixture.comparePass(fx.iso, "iso.pixel.f2p1", rec.passes.get("pass1"), rec.images.get("decoded.pass1"));
			if (fx.checkedAsSinglePass(fx.iso, "iso.pixel.f2p1", "iso.pixel.f2p2", rec, r.decoded())) return;
			RerenderParityTest.compareFusion(fx.iso, "iso.pixel.fusion", rec, false);
			RerenderFixture.comparePass(fx.iso, "iso.pixel.f2p2", rec.passes.get("pass2"), r.decoded());
		}
	}
}
