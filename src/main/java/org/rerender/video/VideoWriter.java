package org.rerender.video;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.bytedeco.ffmpeg.avcodec.AVCodec;
import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;

/**
 * Writes RGB frames to an MP4 file with H.264 video (OpenH264 in the LGPL FFmpeg build), keeping the frame rate
 * and carrying the audio track of a source video (transcoded to AAC, cut to the video's length).
 * <p>
 * The file appears atomically: frames go to a hidden temporary file in the output's folder, which is renamed over
 * the output only by {@link #finish()}; {@link #close()} without {@code finish()} (an error, a cancel) deletes it.
 * <p>
 * Codec check: JavaCV silently writes MPEG-4 Part 2 when asked for "libx264" in an LGPL build, so this writer asks
 * for {@code AV_CODEC_ID_H264} and then reads the finished file back to report the codec really written
 * ({@link Result#videoCodec()}). If no H.264 encoder exists it falls back to MPEG-4 Part 2 and says so in
 * {@link Result#note()}. H.264 4:2:0 needs even sides: an odd width/height is padded by repeating the last
 * column/row. {@link #createPadded} also pads sides under {@value #MIN_SIDE} pixels (see {@link #padding}).
 */
public final class VideoWriter implements AutoCloseable {

	/**
	 * @param file       the written file
	 * @param frames     video frames written
	 * @param fps        frame rate as read back from the file
	 * @param width      encoded width (even)
	 * @param height     encoded height (even)
	 * @param videoCodec codec read back from the file, e.g. "h264"
	 * @param audio      whether an audio track was written
	 * @param note       what the user should know (codec fallback, audio source without audio, padding), or ""
	 */
	public record Result(Path file, int frames, double fps, int width, int height, String videoCodec, boolean audio,
		String note) {}

	private final Path output;
	/** The highest frame rate a video is written with. */
	public static final double MAX_FPS = 1000;
	/** The smallest frame side the H.264 encoder (OpenH264) accepts. */
	public static final int MIN_SIDE = 16;

	private final Path temp;
	private final int width, height, encWidth, encHeight;
	private final double fps;
	private final FFmpegFrameRecorder recorder;
	private final AudioCarry audio;
	private final StringBuilder note = new StringBuilder();
	private final byte[] padded;
	private int frames;
	private boolean finished;

	private VideoWriter(Path output, int width, int height, double fps, Path audioSource, int minSide) {
		Ffmpeg.init();
		if (width <= 0 || height <= 0) throw new RerenderException("Invalid frame size " + width + "x" + height);
		checkFps(fps, "a video");
		this.output = output.toAbsolutePath();
		this.width = width;
		this.height = height;
		this.encWidth = encodedSide(width, minSide);
		this.encHeight = encodedSide(height, minSide);
		this.fps = fps;
		this.padded = (encWidth != width || encHeight != height) ? new byte[3 * encWidth * encHeight] : null;
		if (padded != null) note((width < minSide || height < minSide ? "small" : "odd") + " frame size " + width + "x" + height
			+ " padded to " + encWidth + "x" + encHeight);
		Path dir = this.output.getParent();
		if (dir == null || !Files.isDirectory(dir))
			throw new RerenderException("Output folder does not exist: " + dir);
		if (!Files.isWritable(dir)) throw new RerenderException("Output folder is not writable: " + dir);
		if (Files.isDirectory(this.output)) throw new RerenderException("Output is a folder, not a file: " + output);
		checkOutputName(this.output);
		this.audio = audioSource == null ? null : AudioCarry.open(audioSource, this::note);
		this.temp = this.output.resolveSibling("." + this.output.getFileName() + "."
			+ Long.toHexString(System.nanoTime() ^ java.util.concurrent.ThreadLocalRandom.current().nextLong()) + ".part.mp4");
		int codec = AV_CODEC_ID_H264;
		AVCodec h264 = avcodec_find_encoder(AV_CODEC_ID_H264);
		if (h264 == null || h264.isNull()) {
			codec = AV_CODEC_ID_MPEG4;
			note("this FFmpeg build has no H.264 encoder; fell back to MPEG-4 Part 2");
		}
		FFmpegFrameRecorder r;
		try {
			r = startRecorder(codec);
		}
		catch (IOException | RuntimeException e) {
			cleanUp();
			throw new RerenderException("Could not start writing " + output + ": " + Ffmpeg.shortReason(e), e);
		}
		this.recorder = r;
	}

	/**
	 * Starts writing {@code output} (an .mp4 file). {@code audioSource} (may be null) is a video or audio file whose
	 * first audio track is carried into the output.
	 */
	public static VideoWriter create(Path output, int width, int height, double fps, Path audioSource) {
		return new VideoWriter(output, width, height, fps, audioSource, 0);
	}

	/**
	 * As {@link #create}, and frames with a side under {@value #MIN_SIDE} pixels are padded up to it as well (by
	 * repeating the last column/row): {@link #padding} says by how much, for a caller that crops it away again.
	 */
	public static VideoWriter createPadded(Path output, int width, int height, double fps, Path audioSource) {
		return new VideoWriter(output, width, height, fps, audioSource, MIN_SIDE);
	}

	/** {right, bottom}: the columns and rows {@link #createPadded} adds to frames of this size (even sides, at least {@value #MIN_SIDE}). */
	public static int[] padding(int width, int height) {
		return new int[] { encodedSide(width, MIN_SIDE) - width, encodedSide(height, MIN_SIDE) - height };
	}

	/**
	 * Refuses an output file whose name does not end in {@code .mp4} (any case): the writer makes H.264 in an MP4
	 * container, which under another name ({@code out.avi}, {@code out}) players would misread.
	 */
	public static void checkOutputName(Path output) {
		Path name = output.getFileName();
		if (name == null || !name.toString().toLowerCase(java.util.Locale.ROOT).endsWith(".mp4") || name.toString().length() <= 4)
			throw new RerenderException("The output video must be an .mp4 file (H.264 in MP4 is what is written): "
				+ output.toAbsolutePath() + "; name it NAME.mp4");
	}

	/** Whether a video can have this frame rate: above 0 and at most {@link #MAX_FPS}. */
	public static boolean validFps(double fps) {
		return fps > 0 && fps <= MAX_FPS;
	}

	/** Refuses a frame rate a video cannot have ({@link #validFps}), naming {@code what} it is for. */
	public static void checkFps(double fps, String what) {
		if (!validFps(fps))
			throw new RerenderException("Invalid frame rate " + fps + " for " + what + ": give one above 0 and at most " + (int) MAX_FPS + " fps.");
	}

	/** An even side, at least {@code minSide}. */
	private static int encodedSide(int side, int minSide) {
		return Math.max(minSide, side + (side & 1));
	}

	/**
	 * A clear error before any work when frames of this size cannot be written (H.264 needs sides of at least
	 * {@value #MIN_SIDE} pixels); {@code what} names the frames, {@code fix} says what the user can do.
	 */
	public static void checkEncodable(int width, int height, String what, String fix) {
		if (width < MIN_SIDE || height < MIN_SIDE)
			throw new RerenderException("Cannot write " + what + " as a video: H.264 needs frames of at least " + MIN_SIDE + "x"
				+ MIN_SIDE + " pixels, these are " + width + "x" + height + ". " + fix);
	}

	/** Writes all frames and finishes; nothing is left at {@code output} if anything fails or is cancelled. */
	public static Result write(Path output, Iterable<Rgb8Image> frames, double fps, Path audioSource, Progress progress,
		Cancel cancel)
	{
		var it = frames.iterator();
		if (!it.hasNext()) throw new RerenderException("No frames to write to " + output);
		Rgb8Image first = it.next();
		try (VideoWriter w = create(output, first.width(), first.height(), fps, audioSource)) {
			w.write(first);
			while (it.hasNext()) {
				cancel.check();
				w.write(it.next());
				progress.report("Writing video", w.frames, -1);
			}
			return w.finish();
		}
	}

	/** Appends one frame (same size as given to {@link #create}). */
	public void write(Rgb8Image frame) {
		if (finished) throw new IllegalStateException("writer already finished");
		if (frame.width() != width || frame.height() != height)
			throw new RerenderException("Frame " + frames + " is " + frame.width() + "x" + frame.height()
				+ " but the video is " + width + "x" + height);
		byte[] data = padded == null ? frame.data() : pad(frame);
		try {
			recorder.recordImage(encWidth, encHeight, Frame.DEPTH_UBYTE, 3, 3 * encWidth, AV_PIX_FMT_RGB24,
				ByteBuffer.wrap(data));
			frames++;
			if (audio != null) audio.pump(recorder, frames / fps);
		}
		catch (IOException | RuntimeException e) {
			throw new RerenderException("Could not encode frame " + frames + " to " + output + ": " + Ffmpeg.shortReason(e), e);
		}
	}

	/** Frames written so far. */
	public int frames() { return frames; }

	/** Completes the file, checks what was written and moves it into place atomically. */
	public Result finish() {
		if (finished) throw new IllegalStateException("writer already finished");
		if (frames == 0) throw new RerenderException("No frames were written to " + output);
		try {
			if (audio != null) audio.pump(recorder, frames / fps);
			boolean hadAudio = audio != null && audio.samplesWritten() > 0;
			recorder.stop();
			release(recorder);
			if (audio != null) audio.close();
			Result check = verify(hadAudio);
			Files.move(temp, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
			finished = true;
			return check;
		}
		catch (IOException | RuntimeException e) {
			cleanUp();
			if (e instanceof RerenderException re) throw re;
			throw new RerenderException("Could not finish " + output + ": " + Ffmpeg.shortReason(e), e);
		}
	}

	/** Abandons an unfinished file (deletes the temporary file); a no-op after {@link #finish()}. */
	@Override
	public void close() {
		if (!finished) {
			finished = true;
			cleanUp();
		}
	}

	// ---------------------------------------------------------------------------------------------------

	private FFmpegFrameRecorder startRecorder(int codec) throws IOException {
		FFmpegFrameRecorder r = new FFmpegFrameRecorder(temp.toString(), encWidth, encHeight,
			audio == null ? 0 : audio.channels());
		r.setFormat("mp4");
		r.setVideoCodec(codec);
		r.setPixelFormat(AV_PIX_FMT_YUV420P);
		r.setFrameRate(fps);
		r.setGopSize((int) Math.max(1, Math.round(fps)));
		r.setVideoBitrate((int) Math.min(50_000_000, Math.max(500_000, 0.15 * encWidth * encHeight * fps)));
		if (audio != null) {
			r.setAudioCodec(AV_CODEC_ID_AAC);
			r.setSampleRate(audio.sampleRate());
			r.setAudioBitrate(128_000);
		}
		try {
			r.start();
		}
		catch (IOException | RuntimeException e) {
			release(r);
			throw e;
		}
		return r;
	}

	private Result verify(boolean audioWritten) throws IOException {
		try (FFmpegFrameGrabber g = new FFmpegFrameGrabber(temp.toString())) {
			g.start();
			String codec = g.getVideoCodecName();
			if (!"h264".equals(codec) && note.indexOf("fell back") < 0)
				note("asked for H.264 but the file holds " + codec);
			boolean hasAudio = g.getAudioStream() >= 0 && g.getAudioChannels() > 0;
			if (audioWritten && !hasAudio) throw new RerenderException("Audio was written but is missing from " + output);
			return new Result(output, frames, g.getVideoFrameRate(), g.getImageWidth(), g.getImageHeight(), codec,
				hasAudio, note.toString());
		}
	}

	private byte[] pad(Rgb8Image f) {
		byte[] src = f.data();
		for (int y = 0; y < encHeight; y++) {
			int sy = Math.min(y, height - 1);
			System.arraycopy(src, 3 * width * sy, padded, 3 * encWidth * y, 3 * width);
			for (int x = width; x < encWidth; x++) System.arraycopy(src, 3 * (width * sy + width - 1), padded, 3 * (encWidth * y + x), 3);
		}
		return padded;
	}

	private void note(String s) {
		if (note.length() > 0) note.append("; ");
		note.append(s);
	}

	private void cleanUp() {
		if (recorder != null) release(recorder);
		if (audio != null) audio.close();
		try {
			if (temp != null) Files.deleteIfExists(temp);
		}
		catch (IOException e) {
			// best effort: a hidden .part.mp4 file may remain
		}
	}

	private static void release(FFmpegFrameRecorder r) {
		try { r.close(); } catch (IOException | RuntimeException e) { /* nothing to lose */ }
	}
}
