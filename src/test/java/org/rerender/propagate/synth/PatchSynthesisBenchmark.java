package org.rerender.propagate.synth;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import org.bytedeco.opencv.global.opencv_core;
import org.bytedeco.opencv.global.opencv_imgproc;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Size;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Cancel;
import org.rerender.image.Rgb8Image;
import org.rerender.testing.Tags;
import org.rerender.testing.ProcStatus;

/**
 * Speed of one synthesis with the propagation's four guides (colour 6, edge 0.5, temporal
 * 0.5, positional 2) built from a real frame pair (rubberwhale 1 -> 2, resized), default
 * parameters. Prints ms per synthesis (median of 3) for 1 and 2 threads and for the naive
 * baseline (1 thread, plain PatchMatch random search from the whole image at every level),
 * the speed-up over that baseline, and PSNR against the stylised true frame.
 * Also writes the inputs as PPM files to target/synth-bench/ for the native driver
 * ({@code make -C native/ebsynth bench}), which measures peak memory per process.
 * Run: {@code mvn test -Pbench -Dtest=PatchSynthesisBenchmark}.
 */
@Tag(Tags.BENCH)
class PatchSynthesisBenchmark {

	static Rgb8Image resize(Rgb8Image img, int w, int h) {
		try (Mat src = new Mat(img.height(), img.width(), opencv_core.CV_8UC3); Mat dst = new Mat()) {
			src.data().put(img.data());
			opencv_imgproc.resize(src, dst, new Size(w, h), 0, 0, opencv_imgproc.INTER_AREA);
			byte[] b = new byte[w * h * 3];
			dst.data().get(b);
			return new Rgb8Image(w, h, b);
		}
	}

	/** Laplacian [[0,-1,0],[-1,4,-1],[0,-1,0]] per channel, saturated to 0..255, reflect-101 border. */
	static Rgb8Image laplacian(Rgb8Image img) {
		int w = img.width(), h = img.height();
		Rgb8Image out = new Rgb8Image(w, h);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++)
				for (int c = 0; c < 3; c++) {
					int xl = x == 0 ? 1 : x - 1, xr = x == w - 1 ? w - 2 : x + 1;
					int yu = y == 0 ? 1 : y - 1, yd = y == h - 1 ? h - 2 : y + 1;
					int v = 4 * img.get(x, y, c) - img.get(xl, y, c) - img.get(xr, y, c) - img.get(x, yu, c) - img.get(x, yd, c);
					out.set(x, y, c, v);
				}
		return out;
	}

	/** Shifts by (dx, dy), clamping at the border (a stand-in for a flow warp). */
	static Rgb8Image shift(Rgb8Image img, int dx, int dy) {
		int w = img.width(), h = img.height();
		Rgb8Image out = new Rgb8Image(w, h);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				int sx = Math.min(w - 1, Math.max(0, x - dx)), sy = Math.min(h - 1, Math.max(0, y - dy));
				System.arraycopy(img.data(), 3 * (sy * w + sx), out.data(), 3 * (y * w + x), 3);
			}
		return out;
	}

	/** R = floor(255*row/(H-1)), G = floor(255*col/(W-1)), B = 0. */
	static Rgb8Image coordinates(int w, int h) {
		Rgb8Image out = new Rgb8Image(w, h);
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				out.set(x, y, 0, 255 * y / (h - 1));
				out.set(x, y, 1, 255 * x / (w - 1));
			}
		return out;
	}

	record Case(String name, SynthesisRequest request, Rgb8Image truth) {}

	static Case makeCase(int w, int h) throws IOException {
		Rgb8Image f1 = resize(SynthTestImages.read("rubberwhale1.png"), w, h);
		Rgb8Image f2 = resize(SynthTestImages.read("rubberwhale2.png"), w, h);
		Rgb8Image style = SynthTestImages.stylise(f1), truth = SynthTestImages.stylise(f2);
		Rgb8Image coords = coordinates(w, h);
		List<Guide> guides = List.of(new Guide(f1, f2, 6), new Guide(laplacian(f1), laplacian(f2), 0.5),
			new Guide(style, shift(style, 2, 1), 0.5), new Guide(coords, shift(coords, 2, 1), 2));
		Path dir = Path.of("target/synth-bench/" + w + "x" + h);
		Files.createDirectories(dir);
		writePpm(dir.resolve("style.ppm"), style);
		writePpm(dir.resolve("truth.ppm"), truth);
		String[] names = { "colour", "edge", "temporal", "positional" };
		for (int i = 0; i < 4; i++) {
			writePpm(dir.resolve("src_" + names[i] + ".ppm"), guides.get(i).source());
			writePpm(dir.resolve("tgt_" + names[i] + ".ppm"), guides.get(i).target());
		}
		return new Case(w + "x" + h, new SynthesisRequest(style, guides), truth);
	}

	/** Writes NAME.ppm (for the native driver) and NAME.png (for an upstream ebsynth binary). */
	static void writePpm(Path p, Rgb8Image img) throws IOException {
		try (OutputStream out = Files.newOutputStream(p)) {
			out.write(("P6\n" + img.width() + " " + img.height() + "\n255\n").getBytes(StandardCharsets.US_ASCII));
			out.write(img.data());
		}
		byte[] bgr = new byte[img.data().length];
		for (int i = 0; i < bgr.length; i += 3) {
			bgr[i] = img.data()[i + 2];
			bgr[i + 1] = img.data()[i + 1];
			bgr[i + 2] = img.data()[i];
		}
		try (Mat m = new Mat(img.height(), img.width(), opencv_core.CV_8UC3)) {
			m.data().put(bgr);
			String png = p.toString().replaceAll("\\.ppm$", ".png");
			if (!org.bytedeco.opencv.global.opencv_imgcodecs.imwrite(png, m)) throw new IOException("could not write " + png);
		}
	}

	static double[] time(PatchSynthesizer s, SynthesisRequest req, int threads, Rgb8Image truth) {
		SynthesisRequest r = new SynthesisRequest(req.style(), req.guides(), req.params().withThreads(threads));
		s.synthesize(r, Cancel.NEVER); // warm-up
		double[] ms = new double[3];
		double psnr = 0;
		for (int i = 0; i < ms.length; i++) {
			long t0 = System.nanoTime();
			SynthesisResult res = s.synthesize(r, Cancel.NEVER);
			ms[i] = (System.nanoTime() - t0) / 1e6;
			psnr = SynthTestImages.psnr(res.image(), truth);
		}
		Arrays.sort(ms);
		return new double[] { ms[1], psnr };
	}

	@Test
	void printTable() throws IOException {
		PatchSynthesizer ours = new NativePatchSynthesizer();
		PatchSynthesizer naive = new NativePatchSynthesizer(org.rerender.engine.Progress.NONE, true);
		System.out.printf("%nPatch synthesis, 4 guides, defaults (patch 5, uniformity 3500, 12x6 iterations), %d CPUs%n",
			Runtime.getRuntime().availableProcessors());
		System.out.printf("%-9s | %-32s | %10s | %8s | %9s%n", "size", "configuration", "ms/synth", "speed-up", "PSNR dB");
		for (int[] size : new int[][] { { 512, 512 }, { 960, 540 } }) {
			Case c = makeCase(size[0], size[1]);
			double[] base = time(naive, c.request(), 1, c.truth());
			row(c.name(), "naive baseline (plain PM, 1 thr)", base, base[0]);
			row(c.name(), "ours, 1 thread", time(ours, c.request(), 1, c.truth()), base[0]);
			row(c.name(), "ours, 2 threads", time(ours, c.request(), 2, c.truth()), base[0]);
		}
		System.out.printf("JVM peak resident memory (whole test JVM): %d MB%n", ProcStatus.kib("VmHWM") / 1024);
	}

	static void row(String size, String cfg, double[] r, double baseMs) {
		System.out.printf("%-9s | %-32s | %10.1f | %7.2fx | %9.2f%n", size, cfg, r[0], baseMs / r[0], r[1]);
	}

}
