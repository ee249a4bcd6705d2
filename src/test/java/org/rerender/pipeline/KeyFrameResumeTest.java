package org.rerender.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.rerender.diffusion.rerender.FlowMasks;
import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.flow.BidirectionalFlow;
import org.rerender.flow.FlowEstimator;
import org.rerender.flow.FlowField;
import org.rerender.flow.FlowMethod;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.FrameFlows;

/**
 * Key frames resumed after a stop between a key frame's files and the carried state, and the flow pairs estimated:
 * the first key frame's "previous" frame is the anchor, so its pair is estimated once.
 */
class KeyFrameResumeTest {
	@RegisterExtension
	static final TinyPipeline tiny = TinyPipeline.frames(10);

	/** Counts {@link #both} calls (flow pairs) and delegates. */
	static final class CountingFlows implements FlowEstimator {
		final FlowEstimator inner;
		final AtomicInteger pairs = new AtomicInteger();

		CountingFlows(FlowMethod m) {
			inner = FrameFlows.estimator(m);
		}

		@Override
		public FlowMethod method() {
			return inner.method();
		}

		@Override
		public FlowField flow(Rgb8Image from, Rgb8Image to) {
			return inner.flow(from, to);
		}

		@Override
		public BidirectionalFlow both(Rgb8Image a, Rgb8Image b) {
			pairs.incrementAndGet();
			return inner.both(a, b);
		}

		@Override
		public void close() {
			inner.close();
		}
	}

	@Test
	void aStopBetweenTheFilesAndTheStateRetranslatesOnlyTheFramesAfterTheState() throws Exception {
		// uninterrupted: keys 1, 5, 9; pairs anchor→1 (= previous→1), anchor→5, 1→5, anchor→9, 5→9
		CountingFlows straightFlows = new CountingFlows(FlowMethod.DIS);
		RerenderJob straight = new RerenderJob(tiny.job("straight").seed(11).build(), cfg -> tiny.models())
			.keyFlowEstimator(m -> straightFlows);
		RerenderJob.Result s = straight.run(RerenderJob.Steps.KEY_FRAMES, null, null);
		assertEquals(java.util.List.of(1, 5, 9), s.keyFrames());
		assertEquals(3, s.counters().keyFramesTranslated);
		assertEquals(5, straightFlows.pairs.get(), "the first key frame's pair is estimated once");

		Path work = tiny.dir().resolve("stopped"), keys = work.resolve("keys");
		RerenderJob job = new RerenderJob(tiny.job("stopped").seed(11).build(), cfg -> tiny.models());
		stopAt(job, "Key frame 5"); // key frame 1 done, its state saved (1 done)
		Path state = keys.resolve("sequence_state.safetensors"), oneDone = tiny.dir().resolve("state-after-1");
		Files.copy(state, oneDone);
		stopAt(job, "Key frame 9"); // key frame 5 done, state 2 done
		assertTrue(Files.isRegularFile(keys.resolve("0005.png")) && Files.isRegularFile(keys.resolve("0005.f32")));
		assertFalse(Files.exists(keys.resolve("0009.png")));
		// the stop fell between key frame 5's PNG/F32 writes and the state's save: the state says 1 done
		Files.copy(oneDone, state, StandardCopyOption.REPLACE_EXISTING);
		byte[] png5 = Files.readAllBytes(keys.resolve("0005.png"));

		CountingFlows resumedFlows = new CountingFlows(FlowMethod.DIS);
		RerenderJob.Result r = job.keyFlowEstimator(m -> resumedFlows).run(RerenderJob.Steps.KEY_FRAMES, null, null);
		assertEquals(0, r.counters().anchorsTranslated);
		assertEquals(1, r.counters().keyFramesRebuilt, "only key frame 5 (after the saved state) is re-translated for its state");
		assertEquals(1, r.counters().keyFramesTranslated, "key frame 9");
		assertEquals(4, resumedFlows.pairs.get(), "flows of key frames 5 and 9 only");
		assertArrayEquals(png5, Files.readAllBytes(keys.resolve("0005.png")), "key frame 5's files are kept");
		Path straightKeys = tiny.dir().resolve("straight/keys");
		for (String f : new String[] {"0005.png", "0009.png", "0009.f32"})
			assertArrayEquals(Files.readAllBytes(straightKeys.resolve(f)), Files.readAllBytes(keys.resolve(f)), f + " as uninterrupted");
	}

	private static void stopAt(RerenderJob job, String stage) {
		Cancel stop = new Cancel();
		assertThrows(CancelledException.class, () -> job.run(RerenderJob.Steps.KEY_FRAMES,
			(st, d, t) -> { if (st.startsWith(stage)) stop.request(); }, stop));
	}

	/** The masks the shared pair gives (anchor part reused) equal those of two separately estimated, equal pairs. */
	@Test
	void oneSharedPairGivesTheMasksOfTwoEqualPairs() {
		Random rnd = new Random(5);
		int w = 48, h = 32;
		float[] fw = new float[w * h * 2], bw = new float[w * h * 2];
		for (int i = 0; i < fw.length; i++) {
			fw[i] = (float) (rnd.nextGaussian() * 2);
			bw[i] = i % 5 == 0 ? (float) (rnd.nextGaussian() * 4) : -fw[i];
		}
		BidirectionalFlow a = new BidirectionalFlow(new FlowField(w, h, fw), new FlowField(w, h, bw));
		BidirectionalFlow copy = new BidirectionalFlow(new FlowField(w, h, fw.clone()), new FlowField(w, h, bw.clone()));
		FlowMasks.AnchorPart part = FlowMasks.AnchorPart.compute(a);
		for (boolean smooth : new boolean[] {false, true}) {
			FlowMasks shared = FlowMasks.complete(part, a, a, smooth), separate = FlowMasks.complete(part, a, copy, smooth);
			FloatImage[][] pairs = {{shared.occPrevious(), separate.occPrevious()}, {shared.softPrevious(), separate.softPrevious()},
				{shared.occBoth(), separate.occBoth()}, {shared.blendMask(), separate.blendMask()},
				{shared.fusionMask(), separate.fusionMask()}, {shared.noiseRescale(), separate.noiseRescale()}};
			for (FloatImage[] p : pairs) assertArrayEquals(p[1].data(), p[0].data());
		}
	}
}
