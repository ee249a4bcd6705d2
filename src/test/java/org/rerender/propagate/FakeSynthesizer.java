package org.rerender.propagate;

import java.util.concurrent.atomic.AtomicInteger;
import org.rerender.engine.Cancel;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.synth.Guide;
import org.rerender.propagate.synth.PatchSynthesizer;
import org.rerender.propagate.synth.SynthesisRequest;
import org.rerender.propagate.synth.SynthesisResult;

/**
 * Test-only stand-in for the native synthesizer, to test orchestration: returns the style image
 * and, as error, the absolute difference between the colour guide's source and target.
 */
final class FakeSynthesizer implements PatchSynthesizer {
	final AtomicInteger calls = new AtomicInteger();
	volatile Runnable onCall = () -> {};

	@Override
	public SynthesisResult synthesize(SynthesisRequest request, Cancel cancel) {
		cancel.check();
		calls.incrementAndGet();
		onCall.run();
		Guide colour = request.guides().get(0);
		int w = request.targetWidth(), h = request.targetHeight();
		float[] e = new float[w * h];
		byte[] s = colour.source().data(), t = colour.target().data();
		for (int p = 0; p < w * h; p++)
			for (int c = 0; c < 3; c++) e[p] += Math.abs((s[3 * p + c] & 0xff) - (t[3 * p + c] & 0xff));
		return new SynthesisResult(request.style().copy(), new FloatImage(w, h, 1, e));
	}
}
