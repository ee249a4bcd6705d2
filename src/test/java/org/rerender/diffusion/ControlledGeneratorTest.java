package org.rerender.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;
import org.rerender.pipeline.DiffusionModels;
import org.rerender.testing.Fixtures;

/** End-to-end generation with the tiny fixture models (64×64, 2 steps). */
class ControlledGeneratorTest {
	static DiffusionModels models;
	static ControlledGenerator gen;

	@BeforeAll
	static void load() {
		models = DiffusionModels.load(tinyFiles());
		gen = new ControlledGenerator(models);
	}

	@AfterAll
	static void close() {
		if (models != null) models.close();
	}

	static DiffusionModels.Files tinyFiles() {
		return new DiffusionModels.Files(Fixtures.file("tiny-controlnet.safetensors"), Fixtures.file("tiny-sd15.safetensors"),
			null, Fixtures.file("bpe_simple_vocab_16e6.txt.gz"), null);
	}

	/** A 64×64 test card: a bright disc on a gradient (gives canny edges). */
	static Rgb8Image card(int w, int h, int shift) {
		Rgb8Image img = new Rgb8Image(w, h);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				boolean in = (x - w / 2 - shift) * (x - w / 2 - shift) + (y - h / 2) * (y - h / 2) < (w / 4) * (w / 4);
				img.set(x, y, 0, in ? 230 : 3 * x);
				img.set(x, y, 1, in ? 200 : 2 * y);
				img.set(x, y, 2, in ? 40 : 120);
			}
		return img;
	}

	static ControlledGenerator.Request request(long seed, double controlStrength, Rgb8Image init, double strength) {
		return new ControlledGenerator.Request("a cat", "best quality", "lowres", 2, 7.5, seed,
			ControlledGenerator.ControlType.CANNY, controlStrength, 50, 100, 64, card(64, 64, 0), init, strength);
	}

	@Test
	void deterministicForASeedAndDifferentForAnother() {
		List<String> stages = new ArrayList<>();
		ControlledGenerator.Result a = gen.generate(request(7, 1, null, 1), (s, d, t) -> stages.add(s + d), null);
		ControlledGenerator.Result b = gen.generate(request(7, 1, null, 1), null, null);
		ControlledGenerator.Result c = gen.generate(request(8, 1, null, 1), null, null);
		assertEquals(64, a.image().width());
		assertEquals(64, a.image().height());
		assertEquals(7, a.seed());
		assertArrayEquals(a.image().data(), b.image().data());
		assertFalse(Arrays.equals(a.image().data(), c.image().data()));
		assertTrue(stages.contains("DDIM2"), stages.toString());
		long edges = 0;
		for (byte v : a.control().data()) if (v != 0) edges++;
		assertTrue(edges > 20, "the canny map of the card has edges: " + edges);
	}

	@Test
	void controlStrengthChangesTheOutput() {
		ControlledGenerator.Result off = gen.generate(request(3, 0, null, 1), null, null);
		ControlledGenerator.Result on = gen.generate(request(3, 1, null, 1), null, null);
		assertFalse(Arrays.equals(off.image().data(), on.image().data()));
	}

	@Test
	void initImageAndStrength() {
		Rgb8Image init = card(96, 96, 10); // resized to 64×64 like the control image
		ControlledGenerator.Result keep = gen.generate(request(5, 1, init, 0), null, null);
		ControlledGenerator.Result half = gen.generate(request(5, 1, init, 0.5), null, null);
		ControlledGenerator.Result full = gen.generate(request(5, 1, init, 1), null, null);
		assertFalse(Arrays.equals(keep.image().data(), half.image().data()));
		assertFalse(Arrays.equals(half.image().data(), full.image().data()));
		// strength 0 is the VAE round trip of the init image: closer to it than pure generation
		assertTrue(distance(keep.image(), resized(init)) < distance(full.image(), resized(init)));
	}

	@Test
	void cancelAndBadSizes() {
		Cancel cancel = new Cancel();
		cancel.request();
		assertThrows(CancelledException.class, () -> gen.generate(request(1, 1, null, 1), null, cancel));
		RerenderException e = assertThrows(RerenderException.class, () -> gen.generate(new ControlledGenerator.Request("a",
			"", "", 2, 7.5, 1, null, 1, 50, 100, 0, card(70, 64, 0), null, 1), null, null));
		assertTrue(e.getMessage().contains("multiple of 64"), e.getMessage());
		assertThrows(RerenderException.class, () -> request(1, 1, null, 1.5));
	}

	static Rgb8Image resized(Rgb8Image img) {
		return new org.rerender.video.FramePreparation(0, 0, 0, 0, 64).apply(img);
	}

	static double distance(Rgb8Image a, Rgb8Image b) {
		double s = 0;
		for (int i = 0; i < a.data().length; i++) s += Math.abs((a.data()[i] & 0xff) - (b.data()[i] & 0xff));
		return s / a.data().length;
	}
}
