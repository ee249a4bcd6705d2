package org.rerender.diffusion.rerender;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.rerender.config.Period;
import org.rerender.config.RerenderConfig;
import org.rerender.diffusion.DdimSampler;
import org.rerender.testing.Tags;

/**
 * Pass 2 resumed at its first mask step from pass 1's state gives bitwise what pass 2 run from step 0 gives (the
 * original's way): the output, the refreshed "previous" attention store, and the next key frame built on both; with the
 * SDEdit step before the first mask step (its noise draw is consumed on resuming) and after it.
 */
class ResumedPassTest {
	static RerenderFixture fx;

	@BeforeAll
	static void load() throws Exception {
		fx = new RerenderFixture();
	}

	@AfterAll
	static void close() {
		if (fx != null) fx.close();
	}

	/**
	 * 4 steps; SDEdit at step 1 with mask step {3}, or SDEdit at step 2 with mask steps 1..3; SDEdit at step 2 with mask
	 * steps {2, 3} (SDEdit at the resume step); SDEdit at step 1 with the non-contiguous mask steps {1, 3}; and SDEdit at
	 * step 1 with a mask window from step 0 (nothing to resume). A first mask step of S (nothing left to run) cannot be
	 * built: {@link KeyFrameSettings} rejects steps outside [0, S).
	 */
	static List<KeyFrameSettings> cases() {
		return List.of(
			KeyFrameSettings.from(RerenderConfig.builder().prompt("x").ddimSteps(4).x0Strength(0.75).adaPeriod(new Period(0.5, 1)).build()),
			KeyFrameSettings.from(RerenderConfig.builder().prompt("x").ddimSteps(4).x0Strength(0.3).maskPeriod(new Period(0.2, 0.9)).build()),
			withMask(0.5, Set.of(2, 3)),
			withMask(0.75, Set.of(1, 3)),
			withMask(0.75, Set.of(0, 1, 2, 3)));
	}

	/** The config's settings for 4 steps and {@code x0Strength}, with mask steps {@code mask}. */
	static KeyFrameSettings withMask(double x0Strength, Set<Integer> mask) {
		KeyFrameSettings b = KeyFrameSettings.from(RerenderConfig.builder().prompt("x").ddimSteps(4).x0Strength(x0Strength).build());
		return new KeyFrameSettings(b.ddimSteps(), b.guidanceScale(), b.controlStrength(), b.x0Strength(), b.crossSteps(),
			b.warpSteps(), b.adaSteps(), mask, b.maskStrength(), b.innerStrength(), b.smoothBoundary(), b.looseCrossAttention(), b.freeU());
	}

	@org.junit.jupiter.api.Test
	void casesPutTheSdeditStepBeforeAndAfterTheFirstMaskStep() {
		assertEquals(1, cases().get(0).sdeditStep());
		assertEquals(3, java.util.Collections.min(cases().get(0).maskSteps()));
		assertEquals(2, cases().get(1).sdeditStep());
		assertEquals(1, java.util.Collections.min(cases().get(1).maskSteps()));
		assertEquals(2, cases().get(2).sdeditStep());
		assertEquals(1, cases().get(3).sdeditStep());
		assertEquals(1, cases().get(4).sdeditStep());
	}

	/**
	 * The default run's case: separate CFG, SDEdit at step 1 before the first mask step 3 (the SDEdit noise draw is
	 * consumed on resuming). The rest (about 150 s on 2 cores) is tagged heavy.
	 */
	@org.junit.jupiter.api.Test
	void resumedPass2EqualsTheFullOneWithSdeditBeforeTheMaskSteps() {
		assertResumeExact(DdimSampler.Cfg.SEPARATE, cases().get(0));
	}

	@ParameterizedTest
	@EnumSource(DdimSampler.Cfg.class)
	@Tag(Tags.HEAVY)
	void resumedPass2EqualsTheFullOne(DdimSampler.Cfg cfg) {
		for (KeyFrameSettings s : cases().subList(0, 2)) assertResumeExact(cfg, s);
	}

	/** The edge cases (to keep the class fast) in the batched CFG mode only, whose stores are [uncond; cond] pairs. */
	@org.junit.jupiter.api.Test
	@Tag(Tags.HEAVY)
	void resumedPass2EqualsTheFullOneAtTheEdges() {
		for (KeyFrameSettings s : cases().subList(2, cases().size())) assertResumeExact(DdimSampler.Cfg.BATCHED, s);
	}

	static void assertResumeExact(DdimSampler.Cfg cfg, KeyFrameSettings s) {
		float[][] full = run(cfg, s, false), resumed = run(cfg, s, true);
		for (int i = 0; i < full.length; i++)
			assertArrayEquals(full[i], resumed[i], cfg + ", SDEdit step " + s.sdeditStep() + ", mask steps " + s.maskSteps() + ": result " + i);
	}

	/** Two key frames (both refresh "previous"): their outputs and the "previous" store after the first. */
	static float[][] run(DdimSampler.Cfg cfg, KeyFrameSettings s, boolean resume) {
		fx.engine.cfg(cfg).resumePass2(resume);
		try {
			KeyFrameEngine.AnchorResult a = fx.engine.translateAnchor(fx.frame(1), fx.prompts, s, NoiseStreams.seeded(3, 0), null, null);
			try (KeyFrameSequence seq = new KeyFrameSequence(a.anchor(), fx.manager, 1)) {
				float[] k1 = fx.engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, s, NoiseStreams.seeded(3, 1), null, null)
					.decoded().data();
				float[] store = seq.previousStyle().entries().values().stream().map(v -> v.toFloatArray())
					.reduce(new float[0], ResumedPassTest::concat);
				float[] k2 = fx.engine.translateKeyFrame(seq, fx.frame(1), fx.flows(), fx.prompts, s, NoiseStreams.seeded(3, 2), null, null)
					.decoded().data();
				return new float[][] {k1, store, k2};
			}
			finally {
				a.anchor().close();
			}
		}
		finally {
			fx.engine.cfg(DdimSampler.Cfg.SEPARATE).resumePass2(true);
		}
	}

	static float[] concat(float[] a, float[] b) {
		float[] c = java.util.Arrays.copyOf(a, a.length + b.length);
		System.arraycopy(b, 0, c, a.length, b.length);
		return c;
	}
}
