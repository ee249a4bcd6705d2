package org.rerender.video;

import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_AAC;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_H264;
import static org.bytedeco.ffmpeg.global.avcodec.AV_CODEC_ID_MPEG4;
import static org.bytedeco.ffmpeg.global.avcodec.avcodec_find_encoder;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_RGB24;
import static org.bytedeco.ffmpeg.global.avutil.AV_PIX_FMT_YUV420P;

import java.io.IOException;
import java.nio.Buffer;
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
	private final FFmpegFrameGrabber audio;
	private final StringBuilder note = new StringBuilder();
	private final byte[] padded;
	private int frames;
	private long audioSamplesWritten;
	private boolean audioDone;
	/** The source's video start (µs, its own clock), or Long.MIN_VALUE when it has no video: where its audio is aligned to. */
	private long videoStartMicros = Long.MIN_VALUE;
	/** Whether the first audio frame was seen (and {@link #audioSkip} or {@link #audioPad} set from it). */
	private boolean audioStarted;
	/** Source samples to drop (audio before the video's start) and silent samples to write first (audio starting later). */
	private long audioSkip, audioPad;
	/** The samples of the last grabbed audio frame not written yet (null: none), its channels and rate. */
	private Buffer[] pending;
	private int pendingChannels, pendingRate;
	/** Silent samples in the source's sample format, made once: views of it pad a later audio start. */
	private Buffer[] silence;
	private static final int SILENCE_CHUNK = 1 << 14;
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
		this.audio = audioSource == null ? null : openAudio(audioSource);
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
			pumpAudio(frames / fps);
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
			pumpAudio(frames / fps);
			boolean hadAudio = audioSamplesWritten > 0;
			recorder.stop();
			release(recorder);
			closeAudio();
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
			audio == null ? 0 : audio.getAudioChannels());
		r.setFormat("mp4");
		r.setVideoCodec(codec);
		r.setPixelFormat(AV_PIX_FMT_YUV420P);
		r.setFrameRate(fps);
		r.setGopSize((int) Math.max(1, Math.round(fps)));
		r.setVideoBitrate((int) Math.min(50_000_000, Math.max(500_000, 0.15 * encWidth * encHeight * fps)));
		if (audio != null) {
			r.setAudioCodec(AV_CODEC_ID_AAC);
			r.setSampleRate(audio.getSampleRate());
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

	private FFmpegFrameGrabber openAudio(Path source) {
		if (!Files.isRegularFile(source)) throw new RerenderException("Audio source file not found: " + source);
		FFmpegFrameGrabber g = new FFmpegFrameGrabber(source.toAbsolutePath().toString());
		try {
			g.start();
		}
		catch (IOException | RuntimeException e) {
			try { g.close(); } catch (IOException | RuntimeException ignored) { /* failing already */ }
			throw new RerenderException("Cannot read the audio source " + source + ": " + Ffmpeg.shortReason(e), e);
		}
		if (g.getAudioStream() < 0 || g.getAudioChannels() <= 0 || g.getSampleRate() <= 0) {
			note("the audio source has no audio track: " + source.getFileName());
			try { g.close(); } catch (IOException e) { /* nothing read */ }
			return null;
		}
		videoStartMicros = videoStartMicros(g);
		return g;
	}

	/**
	 * The start time of the source's video stream in µs (the clock of its audio frames' timestamps), or Long.MIN_VALUE
	 * when it has none (an audio file; a cover picture does not count). Output time 0 is the source's first frame,
	 * so its audio is cut or delayed to match: a clip whose video starts later than its sound (a cut from a stream,
	 * ffmpeg -itsoffset) keeps picture and sound together.
	 */
	private static long videoStartMicros(FFmpegFrameGrabber g) {
		org.bytedeco.ffmpeg.avformat.AVFormatContext fc = g.getFormatContext();
		int v = g.getVideoStream();
		if (fc == null || v < 0) return Long.MIN_VALUE;
		org.bytedeco.ffmpeg.avformat.AVStream st = fc.streams(v);
		if ((st.disposition() & org.bytedeco.ffmpeg.global.avformat.AV_DISPOSITION_ATTACHED_PIC) != 0) return Long.MIN_VALUE;
		return streamStartMicros(fc, v);
	}

	/**
	 * Writes source audio up to {@code seconds} of output time (the audio is cut at the video's end), aligned to the
	 * source's video start ({@link #videoStartMicros}). A frame's samples beyond that time wait for the next call.
	 */
	private void pumpAudio(double seconds) throws IOException {
		if (audio == null || audioDone) return;
		long target = (long) Math.floor(seconds * audio.getSampleRate());
		while (audioSamplesWritten < target) {
			if (pending == null && !nextAudio()) {
				audioDone = true;
				return;
			}
			long room = target - audioSamplesWritten;
			if (audioPad > 0) {
				int n = (int) Math.min(Math.min(room, audioPad), SILENCE_CHUNK);
				if (silence == null) silence = silence(pending, pendingChannels, SILENCE_CHUNK);
				recorder.recordSamples(pendingRate, pendingChannels, slice(silence, pendingChannels, 0, n));
				audioPad -= n;
				audioSamplesWritten += n;
				continue;
			}
			int count = count(pending, pendingChannels), keep = (int) Math.min(count, room);
			recorder.recordSamples(pendingRate, pendingChannels, slice(pending, pendingChannels, 0, keep));
			audioSamplesWritten += keep;
			pending = keep == count ? null : slice(pending, pendingChannels, keep, count);
		}
	}

	/** Grabs the next audio frame into {@link #pending} (after dropping {@link #audioSkip} samples); false at the end. */
	private boolean nextAudio() throws IOException {
		while (true) {
			Frame f = audio.grabSamples();
			if (f == null || f.samples == null) return false;
			if (!audioStarted) {
				audioStarted = true;
				long lead = leadMicros(f.timestamp);
				lead = Math.round(lead * (double) audio.getSampleRate() / 1e6);
				if (lead > 0) audioSkip = lead; // the sound began before the picture
				else audioPad = -lead; // the sound begins after the picture: silence first
			}
			pendingChannels = f.audioChannels;
			pendingRate = f.sampleRate;
			pending = f.samples;
			int count = count(pending, pendingChannels);
			if (audioSkip > 0) {
				int drop = (int) Math.min(count, audioSkip);
				audioSkip -= drop;
				pending = drop == count ? null : slice(pending, pendingChannels, drop, count);
			}
			if (pending != null) return true;
		}
	}

	/**
	 * How long (µs) the source's audio starts before its video (negative: after), against {@link #videoStartMicros}.
	 * The audio's start is its first frame's timestamp ({@code firstFrameMicros}: after the decoder's priming cut,
	 * exact) unless that is over {@value #STAMP_SLACK_MICROS} µs away from the audio stream's start time: a frame
	 * without a time stamp reads as 0, against a video starting at an MPEG-TS or broadcast clock, so the stream's start
	 * is taken then. A lead longer than the source video lasts is no alignment but a broken time stamp (it would drop
	 * all sound, or write silence only): 0 then, with a note.
	 */
	private long leadMicros(long firstFrameMicros) {
		if (videoStartMicros == Long.MIN_VALUE) return 0;
		long streamStart = streamStartMicros(audio.getFormatContext(), audio.getAudioStream());
		long audioStart = streamStart != Long.MIN_VALUE && Math.abs(firstFrameMicros - streamStart) > STAMP_SLACK_MICROS
			? streamStart : firstFrameMicros;
		long lead = videoStartMicros - audioStart;
		long length = videoLengthMicros(audio, videoStartMicros);
		if (length > 0 && Math.abs(lead) > length) {
			note(String.format(java.util.Locale.ROOT, "the source's audio starts %.2f s %s its video, longer than the video lasts:"
				+ " its time stamps were not trusted and the audio starts with the video", Math.abs(lead) / 1e6, lead > 0 ? "before" : "after"));
			return 0;
		}
		return lead;
	}

	/** How far (µs) a first audio frame's time stamp may be from its stream's start time (AAC priming is ~21-46 ms). */
	private static final long STAMP_SLACK_MICROS = 200_000;

	/** A stream's start time in µs, or Long.MIN_VALUE when it has none. */
	private static long streamStartMicros(org.bytedeco.ffmpeg.avformat.AVFormatContext fc, int index) {
		if (fc == null || index < 0 || index >= fc.nb_streams()) return Long.MIN_VALUE;
		org.bytedeco.ffmpeg.avformat.AVStream st = fc.streams(index);
		if (st.start_time() == org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE || st.time_base().den() <= 0) return Long.MIN_VALUE;
		return Math.round(st.start_time() * 1e6 * st.time_base().num() / st.time_base().den());
	}

	/**
	 * The source's video stream duration in µs, else the time from its start ({@code videoStart}) to the file's end,
	 * or 0 when neither is known.
	 */
	private static long videoLengthMicros(FFmpegFrameGrabber g, long videoStart) {
		org.bytedeco.ffmpeg.avformat.AVFormatContext fc = g.getFormatContext();
		int v = g.getVideoStream();
		if (fc == null || v < 0 || v >= fc.nb_streams()) return 0;
		org.bytedeco.ffmpeg.avformat.AVStream st = fc.streams(v);
		if (st.duration() > 0 && st.duration() != org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE && st.time_base().den() > 0)
			return Math.round(st.duration() * 1e6 * st.time_base().num() / st.time_base().den());
		long nopts = org.bytedeco.ffmpeg.global.avutil.AV_NOPTS_VALUE;
		if (fc.duration() <= 0 || fc.duration() == nopts || fc.start_time() == nopts) return 0;
		return Math.max(0, fc.start_time() + fc.duration() - videoStart); // AV_TIME_BASE: µs
	}

	/** Samples per channel in a frame's buffers (one buffer per channel when planar, else interleaved). */
	private static int count(Buffer[] samples, int channels) {
		return samples.length > 1 ? samples[0].remaining() : samples[0].remaining() / channels;
	}

	/** Samples {@code from} (inclusive) to {@code to} (exclusive, per channel) of a frame's buffers, without copying. */
	private static Buffer[] slice(Buffer[] samples, int channels, int from, int to) {
		int k = samples.length > 1 ? 1 : channels;
		Buffer[] out = new Buffer[samples.length];
		for (int i = 0; i < out.length; i++) {
			Buffer b = duplicate(samples[i]);
			int p0 = samples[i].position();
			b.limit(p0 + to * k);
			b.position(p0 + from * k);
			out[i] = b.slice(); // position 0: the recorder reads a buffer from its start
		}
		return out;
	}

	/** {@code n} silent samples per channel in the sample format (buffer type and layout) of {@code like}. */
	private static Buffer[] silence(Buffer[] like, int channels, int n) {
		int k = like.length > 1 ? 1 : channels;
		Buffer[] out = new Buffer[like.length];
		for (int i = 0; i < out.length; i++) {
			Buffer t = like[i];
			int bytes = t instanceof ByteBuffer ? 1 : t instanceof java.nio.ShortBuffer ? 2
				: t instanceof java.nio.IntBuffer || t instanceof java.nio.FloatBuffer ? 4 : 8;
			ByteBuffer b = ByteBuffer.allocateDirect(n * k * bytes).order(java.nio.ByteOrder.nativeOrder());
			if (t instanceof ByteBuffer) { // unsigned 8-bit: silence is the middle value
				while (b.hasRemaining()) b.put((byte) 0x80);
				b.flip();
			}
			out[i] = t instanceof ByteBuffer ? b : t instanceof java.nio.ShortBuffer ? b.asShortBuffer()
				: t instanceof java.nio.IntBuffer ? b.asIntBuffer() : t instanceof java.nio.FloatBuffer ? b.asFloatBuffer() : b.asDoubleBuffer();
		}
		return out;
	}

	private static Buffer duplicate(Buffer b) {
		if (b instanceof ByteBuffer x) return x.duplicate();
		if (b instanceof java.nio.ShortBuffer x) return x.duplicate();
		if (b instanceof java.nio.IntBuffer x) return x.duplicate();
		if (b instanceof java.nio.FloatBuffer x) return x.duplicate();
		if (b instanceof java.nio.DoubleBuffer x) return x.duplicate();
		throw new IllegalArgumentException("Unsupported sample buffer " + b.getClass());
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
		closeAudio();
		try {
			if (temp != null) Files.deleteIfExists(temp);
		}
		catch (IOException e) {
			// best effort: a hidden .part.mp4 file may remain
		}
	}

	private void closeAudio() {
		if (audio != null) {
			try { audio.close(); } catch (IOException | RuntimeException e) { /* nothing to lose */ }
		}
	}

	private static void release(FFmpegFrameRecorder r) {
		try { r.close(); } catch (IOException | RuntimeException e) { /* nothing to lose */ }
	}
}
