package org.rerender.video;

import java.io.IOException;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.bytedeco.javacv.FFmpegFrameRecorder;
import org.bytedeco.javacv.Frame;
import org.rerender.engine.RerenderException;

/**
 * The audio a {@link VideoWriter} carries over from a source file: read frame by frame, aligned to the source's
 * first video frame (audio before it dropped, a later start preceded by silence) and cut at the written video's end.
 */
final class AudioCarry implements AutoCloseable {
	private final FFmpegFrameGrabber audio;
	private final Consumer<String> note;
	private long audioSamplesWritten;
	private boolean audioDone;
	/** The source's video start (µs, its own clock), or Long.MIN_VALUE when it has no video: where its audio is aligned to. */
	private final long videoStartMicros;
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

	private AudioCarry(FFmpegFrameGrabber audio, Consumer<String> note) {
		this.audio = audio;
		this.note = note;
		this.videoStartMicros = videoStartMicros(audio);
	}

	/** The source's audio channels. */
	int channels() { return audio.getAudioChannels(); }
	/** The source's sample rate. */
	int sampleRate() { return audio.getSampleRate(); }
	/** Samples per channel written so far (silence included). */
	long samplesWritten() { return audioSamplesWritten; }

	@Override
	public void close() {
		try { audio.close(); } catch (IOException | RuntimeException e) { /* nothing to lose */ }
	}

	/**
	 * Opens the first audio track of {@code source} (a video or audio file); null, with a note, when it has none.
	 *
	 * @param note where what the user should know goes (the writer's {@link VideoWriter.Result#note()})
	 */
	static AudioCarry open(Path source, Consumer<String> note) {
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
			note.accept("the audio source has no audio track: " + source.getFileName());
			try { g.close(); } catch (IOException e) { /* nothing read */ }
			return null;
		}
		return new AudioCarry(g, note);
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
	void pump(FFmpegFrameRecorder recorder, double seconds) throws IOException {
		if (audioDone) return;
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
			note.accept(String.format(java.util.Locale.ROOT, "the source's audio starts %.2f s %s its video, longer than the video lasts:"
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
}
