package org.rerender.propagate.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.image.Rgb8Image;

/** Bad inputs give clear errors (Java and native side); cancel stops native work promptly. */
class SynthesisValidationTest {

	static final Rgb8Image A = SynthTestImages.crop(SynthTestImages.read("rubberwhale1.png"), 100, 100, 64, 48);
	static final Rgb8Image B = SynthTestImages.crop(SynthTestImages.read("rubberwhale2.png"), 100, 100, 64, 48);

	@Test
	void rejectsBadRequests() {
		SynthesisParams p = SynthesisParams.defaults();
		Rgb8Image other = new Rgb8Image(50, 48);
		var e = assertThrows(IllegalArgumentException.class, () -> new SynthesisRequest(A, List.of(new Guide(other, B, 1)), p));
		assertTrue(e.getMessage().contains("50x48") && e.getMessage().contains("64x48"), e.getMessage());
		e = assertThrows(IllegalArgumentException.class,
			() -> new SynthesisRequest(A, List.of(new Guide(A, B, 1), new Guide(A, other, 1)), p));
		assertTrue(e.getMessage().contains("Guide 1"), e.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> new SynthesisRequest(A, List.of(), p));
		assertTrue(e.getMessage().contains("guide"), e.getMessage());
		e = assertThrows(IllegalArgumentException.class, () -> new Guide(A, B, Double.NaN));
		assertTrue(e.getMessage().contains("NaN"), e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> new Guide(A, B, -1));
		assertThrows(IllegalArgumentException.class, () -> new SynthesisRequest(A, List.of(new Guide(A, B, 0)), p));
		Rgb8Image tiny = new Rgb8Image(10, 30);
		e = assertThrows(IllegalArgumentException.class, () -> new SynthesisRequest(tiny, List.of(new Guide(tiny, tiny, 1)), p));
		assertTrue(e.getMessage().contains("at least 11x11"), e.getMessage());
		assertThrows(IllegalArgumentException.class, () -> new SynthesisParams(4, 3500, 0, 12, 6, 5, 0, 1));
		assertThrows(IllegalArgumentException.class, () -> new SynthesisParams(5, Double.NaN, 0, 12, 6, 5, 0, 1));
		assertThrows(IllegalArgumentException.class, () -> new SynthesisParams(5, 3500, 0, 12, 6, 5, 0, 0));
	}

	@Test
	void nativeSideValidatesToo() {
		NativeLibrary.load();
		int n = 64 * 48;
		byte[] img = new byte[n * 3];
		float[] w3 = { 1, 1, 1 };
		// wrong buffer length
		var e = assertThrows(IllegalArgumentException.class, () -> EbsynthNative.synthesize(3, 64, 48, new byte[10], 3, img,
			64, 48, img, w3, w3, 5, 3500, 0, 12, 6, 5, 0, 1, false, new byte[n * 3], new float[n], null));
		assertTrue(e.getMessage().contains("style"), e.getMessage());
		// NaN weight reaches the C validation
		float[] nan = { 1, Float.NaN, 1 };
		e = assertThrows(IllegalArgumentException.class, () -> EbsynthNative.synthesize(3, 64, 48, img, 3, img, 64, 48, img,
			w3, nan, 5, 3500, 0, 12, 6, 5, 0, 1, false, new byte[n * 3], new float[n], null));
		assertTrue(e.getMessage().contains("guide weight 1"), e.getMessage());
		// even patch size
		e = assertThrows(IllegalArgumentException.class, () -> EbsynthNative.synthesize(3, 64, 48, img, 3, img, 64, 48, img,
			w3, w3, 4, 3500, 0, 12, 6, 5, 0, 1, false, new byte[n * 3], new float[n], null));
		assertTrue(e.getMessage().contains("patch size"), e.getMessage());
		// an exception thrown by the callback propagates and stops the work
		var ex = assertThrows(IllegalStateException.class, () -> EbsynthNative.synthesize(3, 64, 48, img, 3, img, 64, 48,
			img, w3, w3, 5, 3500, 0, 12, 6, 5, 0, 1, false, new byte[n * 3], new float[n], (l, ls, i, is) -> {
				throw new IllegalStateException("from callback");
			}));
		assertEquals("from callback", ex.getMessage());
	}

	@Test
	void cancelStopsPromptly() throws Exception {
		Rgb8Image big = SynthTestImages.read("rubberwhale1.png"), big2 = SynthTestImages.read("rubberwhale2.png");
		// stop threshold 0 and many iterations: minutes of work if not cancelled
		SynthesisParams p = new SynthesisParams(5, 3500, 0, 200, 20, 0, 0, 1);
		SynthesisRequest req = new SynthesisRequest(big, List.of(new Guide(big, big2, 6)), p);
		Cancel cancel = new Cancel();
		CompletableFuture<SynthesisResult> f = CompletableFuture.supplyAsync(() -> new NativePatchSynthesizer().synthesize(req, cancel));
		Thread.sleep(300);
		long t0 = System.nanoTime();
		cancel.request();
		var e = assertThrows(ExecutionException.class, () -> f.get(20, TimeUnit.SECONDS));
		double ms = (System.nanoTime() - t0) / 1e6;
		assertTrue(e.getCause() instanceof CancelledException, String.valueOf(e.getCause()));
		// one PatchMatch sweep of this 584x388 frame on a loaded 2-core machine; usually tens of ms
		assertTrue(ms < 3000, "cancel took " + ms + " ms");
		System.out.printf("cancel returned after %.0f ms%n", ms);
	}
}
