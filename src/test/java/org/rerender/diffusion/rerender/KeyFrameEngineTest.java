package org.rerender.diffusion.rerender;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.rerender.diffusion.DdimSampler;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.config.Period;
import org.rerender.engine.RerenderException;
import org.rerender.model.unet.Branch;

/**
 * The engine API on the tiny models with seeded noise: a sequence of key frames leaves no native arrays behind
 * and does not grow, a saved anchor state reproduces the in-memory one exactly, and incompatible settings are refused.
 */
class KeyFrameEngineTest {
	static RerenderFixture fx;
	static KeyFrameSettings settings;

	@BeforeAll
	static void load() throws Exception {
		fx = new RerenderFixture();
		settings = RerenderFixture.allOn(4);
	}

	@AfterAll
	static void close() {
		if (fx != null) fx.close();
	}

	@Test
	void settingsResolveTheWindows() {
		assertEquals(4, settings.steps());
		assertEquals(java.util.Set.of(0, 1, 2, 3), settings.crossSteps());
		assertEquals(java.util.Set.of(0, 1, 2), settings.warpSteps());
		assertEquals(java.util.Set.of(2, 3), settings.adaSteps());
		assertEquals(java.util.Set.of(1, 2, 3), settings.maskSteps());
		assertEquals(1, settings.sdeditStep());
		assertTrue(settings.unconstrained().crossSteps().isEmpty());
	}

	/**
	 * A key frame cancelled while its flow masks are being made returns only after the running mask stage ended, the next
	 * stage never starts, and the mask stage's own failure comes with the cancellation; alone, that failure is thrown.
	 */
	@Test
	void cancelledKeyFrameLeavesNoMaskWorkRunningAndReportsItsFailure() {
		KeyFrameSettings st = new KeyFrameSettings(settings.ddimSteps(), settings.guidanceScale(), settings.controlStrength(),
			settings.x0Strength(), settings.crossSteps(), java.util.Set.of(), settings.adaSteps(), settings.maskSteps(),
			settings.maskStrength(), settings.innerStrength(), settings.smoothBoundary(), settings.looseCrossAttention(), settings.freeU());
		java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger(),
			completed = new java.util.concurrent.atomic.AtomicInteger();
		org.rerender.engine.Cancel[] cancel = new org.rerender.engine.Cancel[1];
		// deterministic on a loaded machine: the key frame cannot finish pass 1 before the mask stage started (it would
		// then meet the failure at its join, not the stop): its first progress report (after a step; later steps and
		// the check after pass 1 poll the stop) waits until the mask stage has requested the stop
		java.util.concurrent.CountDownLatch requested = new java.util.concurrent.CountDownLatch(1);
		org.rerender.engine.Progress holdPass1 = (stage, done, total) -> {
			try {
				if (!requested.await(60, java.util.concurrent.TimeUnit.SECONDS)) throw new IllegalStateException("no mask stage started");
			}
			catch (InterruptedException e) {
				throw new RuntimeException(e);
			}
		};
		KeyFrameEngine.MaskStages failing = new KeyFrameEngine.MaskStages() {
			@Override
			public FlowMasks.AnchorPart anchorPart(KeyFrameEngine.Flows f) {
				running.incrementAndGet();
				try {
					if (cancel[0] != null) {
						cancel[0].request(); // the key frame stops at its next step while this stage still runs
						requested.countDown();
						Thread.sleep(1500);
					}
					throw new IllegalStateException("mask failure");
				}
				catch (InterruptedException e) {
					throw new RuntimeException(e);
				}
				finally {
					running.decrementAndGet();
				}
			}

			@Override
			public FlowMasks complete(FlowMasks.AnchorPart a, KeyFrameEngine.Flows f, boolean smoothBoundary) {
				completed.incrementAndGet();
				return KeyFrameEngine.MaskStages.super.complete(a, f, smoothBoundary);
			}
		};
		KeyFrameEngine.AnchorResult a = fx.engine.translateAnchor(fx.frame(1), fx.prompts, st, NoiseStreams.seeded(5, 0), null, null);
		try (KeyFrameSequence seq = new KeyFrameSequence(a.anchor(), fx.manager, 1)) {
			fx.engine.maskStages(failing);
			cancel[0] = new org.rerender.engine.Cancel();
			org.rerender.engine.CancelledException e = assertThrows(org.rerender.engine.CancelledException.class,
				() -> fx.engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, st, NoiseStreams.seeded(5, 1), holdPass1,
					cancel[0]));
			assertEquals(0, running.get(), "a mask stage still runs after the key frame failed");
			assertEquals(1, e.getSuppressed().length, java.util.Arrays.toString(e.getSuppressed()));
			assertEquals("mask failure", e.getSuppressed()[0].getMessage());
			cancel[0] = null;
			assertTrue(seq.spoiled(), "a cancelled refreshing key frame spoils its sequence");
			try (KeyFrameSequence fresh = new KeyFrameSequence(a.anchor(), fx.manager, 1)) {
				IllegalStateException m = assertThrows(IllegalStateException.class,
					() -> fx.engine.translateKeyFrame(fresh, fx.frame(2), fx.flows(), fx.prompts, st, NoiseStreams.seeded(5, 1), null, null));
				assertEquals("mask failure", m.getMessage());
			}
			assertEquals(0, completed.get(), "the second mask stage ran after the first failed");
		}
		finally {
			fx.engine.maskStages(KeyFrameEngine.MaskStages.FLOW_MASKS);
			a.anchor().close();
		}
	}

	/**
	 * A key frame cancelled at pass 2's first progress report: one that refreshes "previous" (already partly rewritten)
	 * spoils its sequence, whose next use and save refuse clearly; one that does not refresh leaves the sequence as it was,
	 * and its retry equals the key frame of a sequence that never failed, bit for bit.
	 */
	@Test
	void keyFrameCancelledInPass2SpoilsARefreshingSequenceOnly(@TempDir Path dir) {
		org.rerender.engine.Cancel[] cancel = new org.rerender.engine.Cancel[1];
		org.rerender.engine.Progress stopInPass2 = (stage, done, total) -> {
			if (stage.equals("Key frame pass 2")) cancel[0].request();
		};
		KeyFrameEngine.AnchorResult a = fx.engine.translateAnchor(fx.frame(1), fx.prompts, settings, NoiseStreams.seeded(6, 0), null, null);
		try {
			try (KeyFrameSequence seq = new KeyFrameSequence(a.anchor(), fx.manager, 2)) {
				assertTrue(seq.refreshDue());
				cancel[0] = new org.rerender.engine.Cancel();
				assertThrows(org.rerender.engine.CancelledException.class, () -> fx.engine.translateKeyFrame(seq, fx.frame(2),
					fx.flows(), fx.prompts, settings, NoiseStreams.seeded(6, 1), stopInPass2, cancel[0]));
				assertTrue(seq.spoiled());
				assertEquals(0, seq.done());
				RerenderException e = assertThrows(RerenderException.class, () -> fx.engine.translateKeyFrame(seq, fx.frame(2),
					fx.flows(), fx.prompts, settings, NoiseStreams.seeded(6, 1), null, null));
				assertTrue(e.getMessage().contains("key frame 1") && e.getMessage().contains("cancelled")
					&& e.getMessage().contains("Reload"), e.getMessage());
				assertThrows(RerenderException.class, () -> seq.save(dir.resolve("spoiled.safetensors")));
			}
			float[] clean, retried;
			try (KeyFrameSequence seq = new KeyFrameSequence(a.anchor(), fx.manager, 2)) {
				fx.engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, settings, NoiseStreams.seeded(6, 1), null, null);
				clean = fx.engine.translateKeyFrame(seq, fx.frame(1), fx.flows(), fx.prompts, settings, NoiseStreams.seeded(6, 2), null, null)
					.decoded().data();
			}
			try (KeyFrameSequence seq = new KeyFrameSequence(a.anchor(), fx.manager, 2)) {
				fx.engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, settings, NoiseStreams.seeded(6, 1), null, null);
				assertTrue(!seq.refreshDue());
				cancel[0] = new org.rerender.engine.Cancel();
				assertThrows(org.rerender.engine.CancelledException.class, () -> fx.engine.translateKeyFrame(seq, fx.frame(1),
					fx.flows(), fx.prompts, settings, NoiseStreams.seeded(6, 2), stopInPass2, cancel[0]));
				assertTrue(!seq.spoiled(), "a key frame that does not refresh changes nothing before it succeeds");
				retried = fx.engine.translateKeyFrame(seq, fx.frame(1), fx.flows(), fx.prompts, settings, NoiseStreams.seeded(6, 2), null, null)
					.decoded().data();
				assertEquals(2, seq.done());
			}
			assertArrayEquals(clean, retried);
		}
		finally {
			a.anchor().close();
		}
	}

	/** In both CFG modes: the batched one keeps the attention stores as [uncond; cond] pairs (a loaded store pairs up on first use). */
	@ParameterizedTest
	@EnumSource(DdimSampler.Cfg.class)
	void sequenceLeavesNoArraysBehindAndSavedAnchorReproduces(DdimSampler.Cfg cfg, @TempDir Path dir) {
		int weights = fx.tiny.weights.getManagedArrays().size();
		try (NDManager run = fx.manager.newSubManager()) {
			KeyFrameEngine engine = new KeyFrameEngine(new KeyFrameEngine.Models(fx.tiny.unet, fx.tiny.controlNet, fx.tiny.vae),
				run, DataType.FLOAT32).cfg(cfg);
			KeyFrameEngine.AnchorResult a = engine.translateAnchor(fx.frame(1), fx.prompts, settings, NoiseStreams.seeded(5, 0),
				null, null);
			// only the window's steps, both branches, all 9 layers
			assertEquals(4 * 2 * fx.tiny.unet.decoderSelfAttentionSites().size(), a.anchor().attention().size());
			assertTrue(a.anchor().attention().contains(new AttentionStore.Key(3, Branch.UNCOND, 8)));
			Path file = dir.resolve("anchor.safetensors");
			a.anchor().save(file);
			int afterAnchor = run.getManagedArrays().size();
			float[] first, second = null;
			Path seqFile = dir.resolve("sequence.safetensors");
			try (KeyFrameSequence seq = new KeyFrameSequence(a.anchor(), run, 1)) {
				int steady = -1;
				first = engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, settings, NoiseStreams.seeded(5, 1), null,
					null).decoded().data();
				seq.save(seqFile);
				for (int k = 0; k < 2; k++) {
					float[] d = engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, settings, NoiseStreams.seeded(5, 2 + k),
						null, null).decoded().data();
					if (k == 0) second = d;
					int n = run.getManagedArrays().size();
					if (steady < 0) steady = n;
					assertEquals(steady, n, "arrays held after key frame " + (k + 2));
				}
				assertEquals(3, seq.done());
			}
			assertEquals(afterAnchor, run.getManagedArrays().size(), "only the anchor state is left after the sequence");
			try (AnchorState loaded = AnchorState.load(file, run, DataType.FLOAT32);
				KeyFrameSequence seq = new KeyFrameSequence(loaded, run, 1))
			{
				assertEquals(a.anchor().attention().size(), loaded.attention().size());
				assertArrayEquals(a.anchor().predX0(2).toFloatArray(), loaded.predX0(2).toFloatArray());
				float[] again = engine.translateKeyFrame(seq, fx.frame(2), fx.flows(), fx.prompts, settings, NoiseStreams.seeded(5, 1),
					null, null).decoded().data();
				assertArrayEquals(first, again, "a key frame from the saved anchor equals one from the in-memory anchor");
				try (KeyFrameSequence resumed = KeyFrameSequence.load(seqFile, loaded, run)) {
					assertEquals(1, resumed.done());
					float[] next = engine.translateKeyFrame(resumed, fx.frame(2), fx.flows(), fx.prompts, settings,
						NoiseStreams.seeded(5, 2), null, null).decoded().data();
					assertArrayEquals(second, next, "a resumed sequence continues exactly");
				}
				KeyFrameSettings other = KeyFrameSettings.of(8, 7.5, 1, 0.75, new Period(0, 1), Period.OFF, Period.OFF, Period.OFF,
					0.5, 0.9, true, false, settings.freeU());
				assertThrows(RerenderException.class, () -> loaded.checkCompatible(other, 128, 64));
			}
			a.anchor().close();
			assertEquals(0, run.getManagedArrays().size(), "nothing left in the engine's manager");
		}
		assertEquals(weights, fx.tiny.weights.getManagedArrays().size(), "nothing left under the weights' manager");
	}
}
