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
 *
 * <p>A folder of numbered frames is read as a video too ({@link ImageSequence}): the methods that take a
 * {@code sequenceFps} give it that frame rate, the others {@link ImageSequence#DEFAULT_FPS}.
 */
public final class VideoReader implements AutoCloseable {

	/** Decoded less than this fraction of the video stream's declared duration: the file is truncated. */
	static final double TRUNCATION_RATIO = 0.8;

	/** Average frame rates that differ from the stream's declared rate by more than this make it variable. */
	static final double VARIABLE_RATE_TOLERANCE = 0.02;

	private final Path path;
	private final FFmpegFrameGrabber grabber;
	/** Non-null for an image-sequence folder (then {@code grabber} is null). */
	private final ImageSequence sequence;
	private final DisplayMatrix.Orientation orientation;
	private final Timing timing = new Timing();
	private int framesRead;

	private VideoReader(Path path, FFmpegFrameGrabber grabber) {
		this.path = path;
		this.grabber = grabber;
		this.sequence = null;
		this.orientation = DisplayMatrix.orientation(path, grabber);
	}

	private VideoReader(Path path, ImageSequence sequence) {
		this.path = path;
		this.grabber = null;
		this.sequence = sequence;
		this.orientation = DisplayMatrix.Orientation.NONE;
	}

	/** Opens a video (or an image-sequence folder) for reading frames with {@link #read()}; the caller closes it. */
	public static VideoReader open(Path path) {
		return open(path, ImageSequence.DEFAULT_FPS);
	}

	/** As {@link #open(Path)}; an image-sequence folder gets the frame rate {@code sequenceFps}. */
	public static VideoReader open(Path path, double sequenceFps) {
		if (ImageSequence.isSequence(path)) return new VideoReader(path, ImageSequence.open(path, sequenceFps));
		FFmpegFrameGrabber g = start(path, true);
		return new VideoReader(path, g);
	}

	/** Opens a folder of frames listed already (no new listing), at the sequence's frame rate. */
	public static VideoReader open(ImageSequence sequence) {
		return new VideoReader(sequence.dir(), sequence);
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
		return probe(path, ImageSequence.DEFAULT_FPS, progress, cancel);
	}

	/**
	 * As {@link #probe(Path)}; an image-sequence folder gets the frame rate {@code sequenceFps} (its frames' sizes
	 * are read from their headers, no frame is decoded).
	 */
	public static VideoInfo probe(Path path, double sequenceFps, Progress progress, Cancel cancel) {
		if (ImageSequence.isSequence(path)) return ImageSequence.open(path, sequenceFps).info();
		try (FFmpegFrameGrabber g = start(path, false)) {
			int expected = declaredFrameCount(g);
			Timing timing = new Timing();
			int n = 0;
			Frame f;
			while ((f = g.grabFrame(false, true, false, false, false)) != null) {
				if (f.image == null) continue;
				n++;
				timing.add(f.timestamp);
				if ((n & 31) == 0) {
					cancel.check();
					progress.report("Probing video", n, Math.max(n, expected));
				}
			}
			return finish(path, g, n, timing);
		}
		catch (IOException e) {
			throw new RerenderException("Could not decode " + path + ": " + Ffmpeg.shortReason(e), e);
		}
	}

	/**
	 * Decodes every frame in order and hands it to {@code visitor}; returns what was decoded.
	 * Polls {@code cancel} and reports to {@code progress} between frames.
	 */
	public static VideoInfo forEachFrame(Path path, FrameVisitor visitor, Progress progress, Cancel cancel) {
		return forEachFrame(path, ImageSequence.DEFAULT_FPS, visitor, progress, cancel);
	}

	/** As {@link #forEachFrame(Path, FrameVisitor, Progress, Cancel)}; an image-sequence folder gets {@code sequenceFps}. */
	public static VideoInfo forEachFrame(Path path, double sequenceFps, FrameVisitor visitor, Progress progress, Cancel cancel) {
		try (VideoReader r = open(path, sequenceFps)) {
			return forEachFrame(r, visitor, progress, cancel);
		}
	}

	/**
	 * As {@link #forEachFrame(Path, FrameVisitor, Progress, Cancel)} with a reader the caller opened (and closes),
	 * not read yet.
	 */
	public static VideoInfo forEachFrame(VideoReader r, FrameVisitor visitor, Progress progress, Cancel cancel) {
		if (r.framesRead != 0) throw new IllegalArgumentException("the reader has read " + r.framesRead + " frames already: " + r.path);
		int expected = r.declaredFrameCount();
		Rgb8Image frame;
		try {
			while ((frame = r.read()) != null) {
				visitor.accept(r.framesRead - 1, frame);
				progress.report("Reading video", r.framesRead, Math.max(r.framesRead, expected));
				cancel.check();
			}
		}
		catch (IOException e) {
			throw new RerenderException("Could not process " + r.path + ": " + Ffmpeg.shortReason(e), e);
		}
		if (r.sequence != null) return r.sequence.info();
		return finish(r.path, r.grabber, r.framesRead, r.timing);
	}

	/** Decodes all frames into memory: convenient for short clips only. */
	public static List<Rgb8Image> readAll(Path path, Progress progress, Cancel cancel) {
		List<Rgb8Image> frames = new ArrayList<>();
		forEachFrame(path, (i, f) -> frames.add(f), progress, cancel);
		return frames;
	}

	/**
	 * The next frame in RGB order, or null after the last one. A frame whose stream carries a display matrix
	 * (phone clips: a rotation; also mirrored ones) comes out as FFmpeg's own program shows it.
	 */
	public Rgb8Image read() {
		if (sequence != null) return framesRead < sequence.size() ? sequence.read(framesRead++) : null;
		try {
			Frame f = grabber.grabImage();
			if (f == null || f.image == null) return null;
			framesRead++;
			timing.add(f.timestamp);
			return orientation.apply(toRgb(f));
		}
		catch (IOException e) {
			throw new RerenderException("Could not decode frame " + framesRead + " of " + path + ": " + Ffmpeg.shortReason(e), e);
		}
	}

	/** Frames returned by {@link #read()} so far. */
	public int framesRead() { return framesRead; }
	/** Width of the frames {@link #read()} returns (after the display rotation). */
	public int width() { return sequence != null ? sequence.width() : rotation() % 180 == 0 ? grabber.getImageWidth() : grabber.getImageHeight(); }
	/** Height of the frames {@link #read()} returns (after the display rotation). */
	public int height() { return sequence != null ? sequence.height() : rotation() % 180 == 0 ? grabber.getImageHeight() : grabber.getImageWidth(); }
	/** The stream's declared frame rate (for a variable frame rate the probe's average is better: {@link #probe}). */
	public double fps() { return sequence != null ? sequence.fps() : declaredFps(grabber); }
	/** Degrees the stored frames are turned counter-clockwise for display (0, 90, 180 or 270); read() applies it. */
	public int rotation() { return orientation.rotation(); }
	public boolean hasAudio() { return sequence == null && grabber.getAudioStream() >= 0 && grabber.getAudioChannels() > 0; }
	public String codec() { return sequence != null ? sequence.codec() : grabber.getVideoCodecName(); }

	/** The folder of frames this reader reads, or null for a video file. */
	public ImageSequence sequence() { return sequence; }

	/** The container's frame count estimate (may be wrong, 0 if unknown): use it for progress only. */
	public int declaredFrameCount() { return sequence != null ? sequence.size() : declaredFrameCount(grabber); }

	@Override
	public void close() {
		if (grabber == null) return;
		try {
			grabber.close();
		}
		catch (IOException e) {
			// closing a reader loses nothing
		}
	}

	// ---------------------------------------------------------------------------------------------------

	/**
	 * Checks that {@code path} is a readable file, or a folder of frames ({@link ImageSequence}), before any decoding.
	 *
	 * @throws RerenderException saying what is wrong: missing, a folder without frames (or of frames of different
	 *                           sizes), not a file, unreadable
	 */
	public static void requireFile(Path file) {
		Path path = file.toAbsolutePath();
		if (!Files.exists(path)) throw new RerenderException("Video file not found: " + path);
		if (Files.isDirectory(path)) {
			ImageSequence.open(path, ImageSequence.DEFAULT_FPS);
			return;
		}
		if (!Files.isRegularFile(path)) throw new RerenderException("Not a file: " + path);
		if (!Files.isReadable(path)) throw new RerenderException("Video file is not readable: " + path);
		try {
			if (Files.size(path) == 0) throw new RerenderException("The video file is empty (0 bytes): " + path);
		}
		catch (java.io.IOException e) {
			throw new RerenderException("Cannot read " + path + ": " + e.getMessage(), e);
		}
	}

	private static FFmpegFrameGrabber start(Path path, boolean rgb) {
		Ffmpeg.init();
		requireFile(path);
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

	private static VideoInfo finish(Path path, FFmpegFrameGrabber g, int decoded, Timing timing) {
		if (decoded == 0) throw new RerenderException("The video has no frames that can be decoded: " + path);
		double declared = declaredFps(g);
		double average = timing.averageFps();
		// a duration converts to frames at the decoded frames' own rate: a variable rate's declared one may be far off
		int expected = declaredFrameCount(g, average > 0 ? average : declared);
		if (expected > 0 && decoded < TRUNCATION_RATIO * expected && expected - decoded >= 3 && !spansDeclaredDuration(g, timing, declared))
			throw new RerenderException("The video seems truncated or damaged: its stream declares about " + expected
				+ " frames but only " + decoded + " could be decoded: " + path);
		boolean variable = average > 0 && (!(declared > 0) || Math.abs(average - declared) > VARIABLE_RATE_TOLERANCE * declared);
		double fps = variable ? average : declared;
		boolean audio = g.getAudioStream() >= 0 && g.getAudioChannels() > 0;
		int rot = DisplayMatrix.orientation(path, g).rotation();
		int w = rot % 180 == 0 ? g.getImageWidth() : g.getImageHeight(), h = rot % 180 == 0 ? g.getImageHeight() : g.getImageWidth();
		return new VideoInfo(w, h, fps, decoded, audio, g.getVideoCodecName(), g.getFormat(), variable ? declared : fps, rot);
	}

	/**
	 * Whether the decoded frames' times cover (at least {@link #TRUNCATION_RATIO} of) the stream's declared duration:
	 * then a stream with fewer frames than it declares is sparse, not truncated: an AVI whose unchanged frames were
	 * stored as empty packets (OpenCV's {@code tree.avi}: 68 pictures over 444 frame slots), read as a variable rate.
	 */
	private static boolean spansDeclaredDuration(FFmpegFrameGrabber g, Timing timing, double declaredFps) {
		if (!(declaredFps > 0) || timing.count < 2) return false;
		int declaredFrames = declaredFrameCount(g, declaredFps);
		return declaredFrames > 0 && timing.spanSeconds() + 1 / declaredFps >= TRUNCATION_RATIO * declaredFrames / declaredFps;
	}

	private static double declaredFps(FFmpegFrameGrabber g) {
		return g.getVideoFrameRate() > 0 ? g.getVideoFrameRate() : g.getFrameRate();
	}

	/** Presentation times of the decoded frames, for the average frame rate of a variable-rate stream. */
	private static final class Timing {
		private long first, last;
		private int count;

		void add(long timestampMicros) {
			first = count == 0 ? timestampMicros : Math.min(first, timestampMicros);
			last = count == 0 ? timestampMicros : Math.max(last, timestampMicros);
			count++;
		}

		/** Seconds from the first to the last frame's start. */
		double spanSeconds() {
			return count == 0 ? 0 : (last - first) / 1e6;
		}

		/** Frames per second between the first and the last frame's start, 0 when unknown (under 3 frames). */
		double averageFps() {
			if (count < 3 || last <= first) return 0;
			return (count - 1) * 1e6 / (last - first);
		}
	}

	/**
	 * Frames the video stream declares, 0 if unknown: its frame count, else duration × fps. For mov/mp4 the smaller
	 * of the two (an edit list can make the sample count larger than what plays, which must not look like
	 * truncation); elsewhere the header's frame count wins (a cut AVI reports the shorter duration it still has).
	 */
	private static int declaredFrameCount(FFmpegFrameGrabber g) {
		return declaredFrameCount(g, declaredFps(g));
	}

	/**
	 * As {@link #declaredFrameCount(FFmpegFrameGrabber)}, durations converted at {@code fps}. Matroska/WebM declare no
	 * frame count and no stream duration, but FFmpeg's and mkvmerge's muxers tag each stream with its DURATION: the
	 * stream's end time, so the time before the stream's start is not counted.
	 */
	private static int declaredFrameCount(FFmpegFrameGrabber g, double fps) {
		AVFormatContext ctx = g.getFormatContext();
		int vi = g.getVideoStream();
		if (ctx == null || vi < 0) return 0;
		AVStream st = ctx.streams(vi);
		long byCount = st.nb_frames() > 0 ? st.nb_frames() : Long.MAX_VALUE;
		long byTime = Long.MAX_VALUE;
		if (st.duration() != AV_NOPTS_VALUE && st.duration() > 0 && st.time_base().den() > 0 && fps > 0)
			byTime = Math.round(st.duration() * (double) st.time_base().num() / st.time_base().den() * fps);
		else if (fps > 0 && tagSeconds(g.getVideoMetadata("DURATION")) > 0) {
			// the tag is the stream's end time: a stream that starts after 0 (-itsoffset, a cut) plays for less
			double start = st.start_time() != AV_NOPTS_VALUE && st.start_time() > 0 && st.time_base().den() > 0
				? st.start_time() * (double) st.time_base().num() / st.time_base().den() : 0;
			byTime = Math.round(Math.max(0, tagSeconds(g.getVideoMetadata("DURATION")) - start) * fps);
		}
		boolean mov = String.valueOf(g.getFormat()).contains("mov");
		long n = mov || byCount == Long.MAX_VALUE ? Math.min(byCount, byTime) : byCount;
		return n == Long.MAX_VALUE ? 0 : (int) Math.min(Integer.MAX_VALUE, n);
	}

	/** "HH:MM:SS.fraction" (Matroska's DURATION tag) in seconds, 0 when absent or not in that form. */
	static double tagSeconds(String tag) {
		if (tag == null) return 0;
		String[] p = tag.trim().split(":");
		if (p.length != 3) return 0;
		try {
			return Integer.parseInt(p[0]) * 3600.0 + Integer.parseInt(p[1]) * 60.0 + Double.parseDouble(p[2]);
		}
		catch (NumberFormatException e) {
			return 0;
		}
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
