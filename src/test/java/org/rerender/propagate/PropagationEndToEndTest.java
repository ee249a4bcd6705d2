package org.rerender.propagate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.flow.FlowEstimator;
import org.rerender.flow.FlowMethod;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.synth.PatchSynthesizer;

/**
 * The real engine (native synthesis, DIS flow) on 12 frames of vtest.avi at 160×120: stylised key
 * frames 0, 6, 11 propagated; every in-between frame compared with the same filter applied to the
 * true frame. The floor comes from the benchmark (see README).
 */
class PropagationEndToEndTest {
	static final double PSNR_FLOOR = 24.0;

	@Test
	void propagatesRealClipAboveFloor() throws Exception {
		List<Rgb8Image> frames = TestClips.read(TestClips.require(TestClips.VTEST), 100, 1, 12, 160, 120);
		KeySchedule s = KeySchedule.regular(0, 11, 6);
		assertEquals(List.of(0, 6, 11), s.keys());
		Map<Integer, Rgb8Image> keys = new HashMap<>();
		for (int k : s.keys()) keys.put(k, TestClips.stylize(frames.get(k)));
		List<Rgb8Image> out;
		try (FlowEstimator est = FrameFlows.estimator(FlowMethod.DIS)) {
			out = new Propagator(PatchSynthesizer.cpu(), FrameFlows.of(est)).run(frames, keys, s,
				PropagationOptions.defaults().withThreads(2).withProcesses(2), Progress.NONE, Cancel.NEVER);
		}
		assertEquals(12, out.size());
		for (int k : s.keys()) assertArrayEquals(keys.get(k).data(), out.get(k).data());
		double sum = 0, worst = 99;
		int n = 0;
		for (int i = 0; i < 12; i++) {
			if (s.isKey(i)) continue;
			double p = TestClips.psnr(out.get(i), TestClips.stylize(frames.get(i)));
			sum += p;
			worst = Math.min(worst, p);
			n++;
		}
		System.out.printf("end-to-end vtest 160x120: mean PSNR %.2f dB, worst %.2f dB over %d in-between frames%n", sum / n, worst, n);
		assertTrue(worst > PSNR_FLOOR, "worst PSNR " + worst);
	}
}
