package org.rerender.video;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;
import org.rerender.video.FramePreparation.Filter;
import org.rerender.video.FramePreparation.Plan;

/** Section 1.1 of the algorithm document, including every worked example it gives. */
class FramePreparationTest {

	@ParameterizedTest(name = "{0}x{1} at {2} -> {3}x{4} {5}")
	@CsvSource({
		// the document's worked examples
		"780, 506,  512, 512, 320, LANCZOS4",
		"540, 680,  512, 384, 512, AREA",
		"960, 540,  512, 512, 256, AREA",     // 288/64 = 4.5 rounds to even 4
		"1920, 1080, 512, 512, 256, AREA",
		"480, 360,  512, 512, 384, LANCZOS4",
		// more ties and edges
		"1024, 704, 512, 512, 384, AREA",     // 352/64 = 5.5 rounds to even 6
		"700, 500,  512, 512, 384, LANCZOS4", // 365.7 truncated to 365, /64 = 5.7 -> 6; short side 500 < 512
		"500, 700,  512, 384, 512, LANCZOS4", // portrait: 365 -> 384
		"512, 512,  512, 512, 512, AREA",     // R equal to the short side: area
		"640, 360,  768, 768, 448, LANCZOS4", // 432 -> 6.75 -> 7
	})
	void sizesAndFilters(int w, int h, int r, int ew, int eh, Filter f) {
		Plan p = new FramePreparation(0, 0, 0, 0, r).plan(w, h);
		assertEquals(ew, p.width(), "width");
		assertEquals(eh, p.height(), "height");
		assertEquals(f, p.filter(), "filter");
	}

	@Test
	void cropComesFirstInConfigOrderLeftRightTopBottom() {
		// van_gogh_man crops 280 from the bottom; 1280x720 -> 1280x440 -> 512x176 -> rint(2.75)=3 -> 192
		Plan p = FramePreparation.of(new int[] { 0, 0, 0, 280 }, 512).plan(1280, 720);
		assertEquals(1280, p.cropWidth());
		assertEquals(440, p.cropHeight());
		assertEquals(512, p.width());
		assertEquals(192, p.height());
		// the frame shrinks overall, but its short side (440) is below R: Lanczos, as the document says
		assertEquals(Filter.LANCZOS4, p.filter());

		Rgb8Image img = new Rgb8Image(10, 8);
		for (int y = 0; y < 8; y++)
			for (int x = 0; x < 10; x++) { img.set(x, y, 0, x); img.set(x, y, 1, y); }
		Rgb8Image c = new FramePreparation(1, 2, 3, 1, 0).apply(img);
		assertEquals(7, c.width());
		assertEquals(4, c.height());
		assertEquals(1, c.get(0, 0, 0)); // x offset = left
		assertEquals(3, c.get(0, 0, 1)); // y offset = top
		assertEquals(7, c.get(6, 3, 0));
		assertEquals(6, c.get(6, 3, 1));
	}

	@Test
	void resolutionZeroKeepsTheFrame() {
		Rgb8Image img = new Rgb8Image(33, 17);
		assertSame(img, FramePreparation.NONE.apply(img));
		assertEquals(new Plan(33, 17, 33, 17, Filter.NONE), FramePreparation.NONE.plan(33, 17));
	}

	@Test
	void impossibleCropsAreRefused() {
		RerenderException e = assertThrows(RerenderException.class,
			() -> new FramePreparation(400, 400, 0, 0, 512).plan(640, 360));
		assertTrue(e.getMessage().contains("removes the whole"), e.getMessage());
		assertThrows(RerenderException.class, () -> new FramePreparation(0, 0, 180, 180, 512).plan(640, 360));
		assertThrows(RerenderException.class, () -> new FramePreparation(-1, 0, 0, 0, 512));
		assertThrows(RerenderException.class, () -> new FramePreparation(0, 0, 0, 0, -5));
		assertThrows(RerenderException.class, () -> FramePreparation.of(new int[] { 1, 2 }, 512));
		// a sliver: 1000x20 at 512 gives a 10-pixel short side that rounds to 0
		e = assertThrows(RerenderException.class, () -> new FramePreparation(0, 0, 0, 0, 512).plan(1000, 20));
		assertTrue(e.getMessage().contains("under 32"), e.getMessage());
	}

	@Test
	void areaAveragesAndLanczosInterpolates() {
		// 2x2 checkerboard of 0/200 shrunk 2x by area averaging -> flat 100
		Rgb8Image cb = new Rgb8Image(128, 128);
		for (int y = 0; y < 128; y++)
			for (int x = 0; x < 128; x++) for (int c = 0; c < 3; c++) cb.set(x, y, c, ((x + y) & 1) == 0 ? 200 : 0);
		Rgb8Image small = new FramePreparation(0, 0, 0, 0, 64).apply(cb);
		assertEquals(64, small.width());
		for (byte b : small.data()) assertEquals(100, b & 0xff);

		// a horizontal ramp enlarged 2x by Lanczos stays a ramp (monotone, within the input range, right ends)
		Rgb8Image ramp = new Rgb8Image(64, 32);
		for (int y = 0; y < 32; y++)
			for (int x = 0; x < 64; x++) for (int c = 0; c < 3; c++) ramp.set(x, y, c, 4 * x);
		Plan p = new FramePreparation(0, 0, 0, 0, 128).plan(64, 32);
		assertEquals(Filter.LANCZOS4, p.filter());
		Rgb8Image big = new FramePreparation(0, 0, 0, 0, 128).apply(ramp);
		assertEquals(128, big.width());
		assertEquals(64, big.height());
		for (int x = 4; x < 124; x++) assertTrue(big.get(x, 30, 1) >= big.get(x - 1, 30, 1), "monotone at " + x);
		assertEquals(126, big.get(64, 30, 0), 2); // half-way between 124 and 128
		// channels stay apart
		Rgb8Image rgb = new Rgb8Image(64, 32);
		for (int i = 0; i < 64 * 32; i++) { rgb.data()[3 * i] = (byte) 255; }
		Rgb8Image rb = new FramePreparation(0, 0, 0, 0, 128).apply(rgb);
		assertArrayEquals(new int[] { 255, 0, 0 }, new int[] { rb.get(50, 20, 0), rb.get(50, 20, 1), rb.get(50, 20, 2) });
	}

	@Test
	void preparesRealFramesToTheDocumentedSize() {
		Rgb8Image frame = TestClips.smallFrames().get(0); // 192x108
		Rgb8Image out = new FramePreparation(10, 10, 4, 4, 256).apply(frame);
		// 172x100 -> 256x148 (148.8 truncated) -> 256x128 (2.3125 -> 2)
		assertEquals(256, out.width());
		assertEquals(128, out.height());
	}
}
