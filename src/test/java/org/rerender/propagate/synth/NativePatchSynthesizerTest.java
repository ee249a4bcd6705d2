package org.rerender.propagate.synth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Cancel;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/** Synthesis on small real crops (rubberwhale flow pair from opencv-doc). */
class NativePatchSynthesizerTest {

	static Rgb8Image frame1, frame2, foreign;
	final PatchSynthesizer synth = new NativePatchSynthesizer();

	@BeforeAll
	static void load() {
		Rgb8Image w1 = SynthTestImages.read("rubberwhale1.png"), w2 = SynthTestImages.read("rubberwhale2.png");
		frame1 = SynthTestImages.crop(w1, 200, 120, 112, 96);
		frame2 = SynthTestImages.crop(w2, 200, 120, 112, 96);
		foreign = SynthTestImages.crop(SynthTestImages.read("baboon.jpg"), 200, 200, 28, 28);
	}

	static SynthesisParams params(long seed, int threads) {
		return SynthesisParams.defaults().withSeed(seed).withThreads(threads);
	}

	static SynthesisRequest request(Rgb8Image style, Rgb8Image src, Rgb8Image tgt, SynthesisParams p) {
		return new SynthesisRequest(style, List.of(new Guide(src, tgt, 6), new Guide(src, tgt, 0.5)), p);
	}

	@Test
	void loadsFromTheJar() {
		NativeLibrary.load();
		assertEquals(NativeLibrary.Status.LOADED, NativeLibrary.status());
		assertFalse(EbsynthNative.version().isEmpty());
	}

	@Test
	void identicalGuidesReproduceTheExemplarExactly() {
		Rgb8Image style = SynthTestImages.stylise(frame1);
		SynthesisResult r = synth.synthesize(request(style, frame1, frame1, params(1, 2)), Cancel.NEVER);
		assertArrayEquals(style.data(), r.image().data(), "output differs from the exemplar");
		for (float e : r.error().data()) assertEquals(0f, e);
	}

	@Test
	void errorIsHigherWhereTheTargetHasForeignContent() {
		Rgb8Image style = SynthTestImages.stylise(frame1);
		int x0 = 50, y0 = 40, n = foreign.width();
		Rgb8Image target = SynthTestImages.paste(frame1, foreign, x0, y0);
		FloatImage err = synth.synthesize(request(style, frame1, target, params(3, 2)), Cancel.NEVER).error();
		double in = 0, out = 0;
		int nin = 0, nout = 0;
		for (int y = 0; y < err.height(); y++)
			for (int x = 0; x < err.width(); x++) {
				// inner part of the pasted square vs everything at least a patch away from it
				boolean inside = x >= x0 + 3 && x < x0 + n - 3 && y >= y0 + 3 && y < y0 + n - 3;
				boolean far = x < x0 - 5 || x >= x0 + n + 5 || y < y0 - 5 || y >= y0 + n + 5;
				if (inside) { in += err.get(x, y, 0); nin++; }
				else if (far) { out += err.get(x, y, 0); nout++; }
			}
		in /= nin;
		out /= nout;
		assertTrue(in > 20 * out + 1, "mean error inside " + in + " vs outside " + out);
	}

	@Test
	void propagatesTheStyleToTheNextFrame() {
		Rgb8Image style = SynthTestImages.stylise(frame1), truth = SynthTestImages.stylise(frame2);
		SynthesisResult r = synth.synthesize(request(style, frame1, frame2, params(0, 2)), Cancel.NEVER);
		double psnr = SynthTestImages.psnr(r.image(), truth);
		assertTrue(psnr > 20, "PSNR to the stylised true frame " + psnr);
	}

	@Test
	void deterministicForASeedAndAnyThreadCount() {
		Rgb8Image style = SynthTestImages.stylise(frame1);
		SynthesisResult a = synth.synthesize(request(style, frame1, frame2, params(5, 2)), Cancel.NEVER);
		SynthesisResult b = synth.synthesize(request(style, frame1, frame2, params(5, 2)), Cancel.NEVER);
		SynthesisResult c = synth.synthesize(request(style, frame1, frame2, params(5, 1)), Cancel.NEVER);
		assertArrayEquals(a.image().data(), b.image().data());
		assertArrayEquals(a.error().data(), b.error().data());
		assertArrayEquals(a.image().data(), c.image().data());
		assertArrayEquals(a.error().data(), c.error().data());
		SynthesisResult d = synth.synthesize(request(style, frame1, frame2, params(6, 2)), Cancel.NEVER);
		assertFalse(java.util.Arrays.equals(a.image().data(), d.image().data()), "seeds 5 and 6 gave identical output");
		double psnr = SynthTestImages.psnr(a.image(), d.image());
		assertTrue(psnr > 24, "different seeds should give similar images, PSNR " + psnr);
	}

	/**
	 * SHA-256 of the output image and error map (big-endian float bits) at 112x96 and 256x192, seed 11, recorded from
	 * the build of version 1.1.0 (commit 8588c38: its POSIX thread team, g++ 12.2 -O3 -march=x86-64-v2). The same
	 * digests for 1, 2 and 4 threads: how the parallel loops are run (thread team, OpenMP) must not change a bit.
	 */
	static final String[][] REFERENCE_DIGESTS = {
		{"112x96", "ccdb5e14116043ebe8f047b264de8bb3ffb773949424384e3b3a4affec74eb4a"},
		{"256x192", "e13a013a774c4f0d9cffabead0a708076782ae70e85b455cdde172682f346185"},
	};

	@Test
	void outputsAreBitwiseThoseOfTheReferenceBuildForEveryThreadCount() throws Exception {
		Rgb8Image w1 = SynthTestImages.read("rubberwhale1.png"), w2 = SynthTestImages.read("rubberwhale2.png");
		List<String> wrong = new ArrayList<>();
		for (String[] ref : REFERENCE_DIGESTS) {
			String[] wh = ref[0].split("x");
			int w = Integer.parseInt(wh[0]), h = Integer.parseInt(wh[1]);
			Rgb8Image src = SynthTestImages.crop(w1, 200, 120, w, h), tgt = SynthTestImages.crop(w2, 200, 120, w, h);
			Rgb8Image style = SynthTestImages.stylise(src);
			for (int threads : new int[] {1, 2, 4}) {
				SynthesisResult r = synth.synthesize(request(style, src, tgt, params(11, threads)), Cancel.NEVER);
				java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
				md.update(r.image().data());
				java.nio.ByteBuffer err = java.nio.ByteBuffer.allocate(4 * r.error().data().length);
				for (float e : r.error().data()) err.putInt(Float.floatToRawIntBits(e));
				md.update(err.array());
				String digest = java.util.HexFormat.of().formatHex(md.digest());
				if (!ref[1].equals(digest)) wrong.add(ref[0] + " with " + threads + " threads: " + digest);
			}
		}
		assertTrue(wrong.isEmpty(), "outputs differ from the reference build: " + wrong);
	}

	@Test
	void concurrentSynthesesMatchSequentialOnes() throws Exception {
		Rgb8Image style = SynthTestImages.stylise(frame1);
		List<SynthesisRequest> reqs = new ArrayList<>();
		for (int i = 0; i < 4; i++)
			reqs.add(request(style, frame1, i % 2 == 0 ? frame2 : frame1, params(10 + i, 1 + i % 2)));
		List<SynthesisResult> seq = new ArrayList<>();
		for (SynthesisRequest q : reqs) seq.add(synth.synthesize(q, Cancel.NEVER));
		ExecutorService pool = Executors.newFixedThreadPool(4);
		try {
			List<Future<SynthesisResult>> fs = new ArrayList<>();
			for (SynthesisRequest q : reqs) fs.add(pool.submit(() -> synth.synthesize(q, Cancel.NEVER)));
			for (int i = 0; i < reqs.size(); i++) {
				SynthesisResult r = fs.get(i).get();
				assertArrayEquals(seq.get(i).image().data(), r.image().data(), "request " + i);
				assertArrayEquals(seq.get(i).error().data(), r.error().data(), "request " + i);
			}
		}
		finally {
			pool.shutdownNow();
		}
	}

	@Test
	void greyGuidesCountAsOneChannel() {
		Rgb8Image grey = new Rgb8Image(frame1.width(), frame1.height());
		for (int i = 0; i < grey.data().length; i += 3) grey.data()[i] = grey.data()[i + 1] = grey.data()[i + 2] = frame1.data()[i];
		Guide g = new Guide(grey, grey, 2);
		assertEquals(1, g.effectiveChannels());
		assertEquals(2.0, g.channelWeight());
		Guide c = new Guide(frame1, grey, 6);
		assertEquals(3, c.effectiveChannels());
		assertEquals(2.0, c.channelWeight());
		// a grey style exemplar is synthesised as one channel and comes back as grey RGB
		SynthesisResult r = synth.synthesize(new SynthesisRequest(grey, List.of(new Guide(frame1, frame1, 6)),
			params(0, 2)), Cancel.NEVER);
		assertArrayEquals(grey.data(), r.image().data());
	}
}
