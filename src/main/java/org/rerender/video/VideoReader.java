package org.rerender.video;

import static org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVStream;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.Frame;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;

/**
 * Decodes a video file (any container/codec FFmpeg reads: mp4/H.264, avi/MJPEG, mov, mpg, webm, ...) into
 * {@link Rgb8Image} frames in <b>RGB</b> order, one at a time, so a long clip never has to sit in memory.
 *
 * <pre>{@code
 * VideoInfo info = VideoReader.forEachFrame(path, (i, frame) -> store(i, frame), progress, cancel);
 * // or, for a short clip: List<Rgb8Image> frames = VideoReader.readAll(path, Progress.NONE, Cancel.NEVER);
 * // or pull frames yourself:
 * try (VideoReader r = VideoReader.open(path)) { for (Rgb8Image f; (f = r.read()) != null; ) ... }
 * }</pre>
 *
 * Frame counts are those actually decoded; the container's estimate is only used for progress totals and to
 * detect truncated files. All failures are {@link RerenderException}s with a message for the user.
 */
public final class VideoReader implements AutoCloseable {

	/** Decoded less than this fraction of the video stream's declared duration: the file is truncated. */
	static final double TRUNCATION_RATIO = 0.8;

	private final Path path;
	private final FFmpegFrameGrabber grabber;
	private int framesRead;

	private VideoReader(Path path, FFmpegFrameGrabber grabber) {
		this.path = path;
		this.grabber = grabber;
	}

	/** Opens a video for reading frames with {@link #read()}; the caller closes it. */
	public static VideoReader open(Path path) {
		FFmpegFrameGrabber g = start(path, true);
		return new VideoReader(path, g);
	}

	/**
	 * Decodes the whole video (without colour conversion, so it is fast) to count its frames exactly.
	 *
	 * @throws RerenderException for a missing, unreadable, non-video, truncated or zero-frame file
	 */
	public static VideoInfo probe(Path path) {
		return probe(path, Progress.NONE, Cancel.NEVER);
	}

	public static VideoInfo probe(Path path, Progress progress, Cancel cancel) {
		try (FFmpegFrameGrabber g = start(path, false)) {
			int expected = declaredFrameCount(g);
			int n = 0;
			Frame f;
			while ((f = g.grabFrame(false, true, false, false, false)) != null) {
				if (f.image == null) continue;
				n++;
				if ((n & 31) == 0) {
					cancel.check();
					progress.report("Probing video", n, Math.max(n, expected));
				}
			}
			return finish(path, g, n);
		}
		catch (IOException e) {
			throw new RerenderException("Could not decode " + path + ": " + e.getMessage(), e);
		}
	}

	/**
	 * Decodes every frame in order and hands it to {@code visitor}; returns what was decoded.
	 * Polls {@code cancel} and reports to {@code progress} between frames.
	 */
	public static VideoInfo forEachFrame(Path path, FrameVisitor visitor, Progress progress, Cancel cancel) {
		try (VideoReader r = open(path)) {
			int expected = r.declaredFrameCount();
			Rgb8Image frame;
			while ((frame = r.read()) != null) {
				visitor.accept(r.framesRead - 1, frame);
				progress.report("Reading video", r.framesRead, Math.max(r.framesRead, expected));
				cancel.check();
			}
			return finish(path, r.grabber, r.framesRead);
		}
		catch (IOException e) {
			throw new RerenderException("Could not process " + path + ": " + e.getMessage(), e);
		}
	}

	/** Decodes all frames into memory: convenient for short clips only. */
	public static List<Rgb8Image> readAll(Path path, Progress progress, Cancel cancel) {
		List<Rgb8Image> frames = new ArrayList<>();
		forEachFrame(path, (i, f) -> frames.add(f), progress, cancel);
		return frames;
	}

	/** The next frame in RGB order, or null after the last one. */
	public Rgb8Image read() {
		try {
			Frame f = grabber.grabImage();
			if (f == null || f.image == null) return null;
			framesRead++;
			return toRgb(f);
		}
		catch (IOException e) {
			throw new RerenderException("Could not decode frame " + framesRead + " of " + path + ": " + e.getMessage(), e);
		}
	}

	/** Frames returned by {@link #read()} so far. */
	public int framesRead() { return framesRead; }
	public int width() { return grabber.getImageWidth(); }
	public int height() { return grabber.getImageHeight(); }
	public double fps() { return grabber.getVideoFrameRate() > 0 ? grabber.getVideoFrameRate() : grabber.getFrameRate(); }
	public boolean hasAudio() { return grabber.getAudioStream() >= 0 && grabber.getAudioChannels() > 0; }
	public String codec() { return grabber.getVideoCodecName(); }

	/** The container's frame count estimate (may be wrong, 0 if unknown): use it for progress only. */
	public int declaredFrameCount() { return declaredFrameCount(grabber); }

	@Override
	public void close() {
		try {
			grabber.close();
		}
		catch (IOException e) {
			// closing a reader loses nothing
		}
	}

	// ---------------------------------------------------------------------------------------------------

	private static FFmpegFrameGrabber start(Path path, boolean rgb) {
		Ffmpeg.init();
		if (!Files.exists(path)) throw new RerenderException("Video file not found: " + path);
		if (!Files.isRegularFile(path)) throw new RerenderException("Not a file: " + path);
		if (!Files.isReadable(path)) throw new RerenderException("Video file is not readable: " + path);
		FFmpegFrameGrabber g = new FFmpegFrameGrabber(path.toAbsolutePath().toString());
		if (rgb) g.setPixelFormat(AV_PIX_FMT_RGB24);
		try {
			g.start();
		}
		catch (IOException | RuntimeException e) {
			closeQuietly(g);
			if (String.valueOf(e.getMessage()).contains("Did not find a video or audio stream"))
				throw new RerenderException("The file has no frames to decode (no usable video stream): " + path, e);
			throw new RerenderException("Not a video FFmpeg can read (or a damaged/truncated file): " + path
				+ " (" + Ffmpeg.shortReason(e) + ")", e);
		}
		if (g.getVideoStream() < 0 || g.getImageWidth() <= 0 || g.getImageHeight() <= 0) {
			closeQuietly(g);
			throw new RerenderException("The file has no video stream: " + path);
		}
		return g;
	}

	private static VideoInfo finish(Path path, FFmpegFrameGrabber g, int decoded) {
		if (decoded == 0) throw new RerenderException("The video has no frames that can be decoded: " + path);
		int expected = declaredFrameCount(g);
		if (expected > 0 && decoded < TRUNCATION_RATIO * expected && expected - decoded >= 3)
			throw new RerenderException("The video seems truncated or damaged: its stream declares about " + expected
				+ " frames but only " + decoded + " could be decoded: " + path);
		double fps = g.getVideoFrameRate() > 0 ? g.getVideoFrameRate() : g.getFrameRate();
		boolean audio = g.getAudioStream() >= 0 && g.getAudioChannels() > 0;
		return new VideoInfo(g.getImageWidth(), g.getImageHeight(), fps, decoded, audio, g.getVideoCodecName(),
			g.getFormat());
	}

	/**
	 * Frames the video stream declares, 0 if unknown: its frame count, else duration × fps. For mov/mp4 the smaller
	 * of the two (an edit list can make the sample count larger than what plays, which must not look like
	 * truncation); elsewhere the header's frame count wins (a cut AVI reports the shorter duration it still has).
	 */
	private static int declaredFrameCount(FFmpegFrameGrabber g) {
		AVFormatContext ctx = g.getFormatContext();
		int vi = g.getVideoStream();
		if (ctx == null || vi < 0) return 0;
		AVStream st = ctx.streams(vi);
		double fps = g.getVideoFrameRate() > 0 ? g.getVideoFrameRate() : g.getFrameRate();
		long byCount = st.nb_frames() > 0 ? st.nb_frames() : Long.MAX_VALUE;
		long byTime = Long.MAX_VALUE;
		if (st.duration() != AV_NOPTS_VALUE && st.duration() > 0 && st.time_base().den() > 0 && fps > 0)
			byTime = Math.round(st.duration() * (double) st.time_base().num() / st.time_base().den() * fps);
		boolean mov = String.valueOf(g.getFormat()).contains("mov");
		long n = mov || byCount == Long.MAX_VALUE ? Math.min(byCount, byTime) : byCount;
		return n == Long.MAX_VALUE ? 0 : (int) Math.min(Integer.MAX_VALUE, n);
	}

	private static Rgb8Image toRgb(Frame f) {
		int w = f.imageWidth, h = f.imageHeight;
		ByteBuffer buf = ((ByteBuffer) f.image[0]).duplicate();
		int stride = f.imageStride;
		byte[] out = new byte[3 * w * h];
		if (stride == 3 * w) {
			buf.position(0);
			buf.get(out, 0, out.length);
		}
		else {
			for (int y = 0; y < h; y++) {
				buf.position(y * stride);
				buf.get(out, 3 * w * y, 3 * w);
			}
		}
		return new Rgb8Image(w, h, out);
	}

	private static void closeQuietly(FFmpegFrameGrabber g) {
		try {
			g.close();
		}
		catch (IOException | RuntimeException e) {
			// already failing
		}
	}
}
