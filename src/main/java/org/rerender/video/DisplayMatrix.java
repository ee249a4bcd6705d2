package org.rerender.video;

import java.nio.file.Path;

import org.bytedeco.javacv.FFmpegFrameGrabber;
import org.rerender.image.Rgb8Image;

/**
 * A video stream's display matrix (phone clips: a rotation, also mirrored ones) read and applied as FFmpeg's own
 * autorotation shows the picture; {@link VideoReader} turns every frame it returns by it.
 */
final class DisplayMatrix {
	private DisplayMatrix() {}

	/**
	 * How a frame is shown: mirrored left-right first (when {@code mirror}), then turned counter-clockwise by
	 * {@code rotation} (0, 90, 180 or 270). Every combination of quarter turns and flips is one of these eight.
	 */
	record Orientation(boolean mirror, int rotation) {
		static final Orientation NONE = new Orientation(false, 0);

		Rgb8Image apply(Rgb8Image in) {
			return rotate(mirror ? DisplayMatrix.mirror(in) : in, rotation);
		}
	}

	/**
	 * The stream's display matrix as FFmpeg's own autorotation applies it ({@link #orientation(int[])}); a matrix that
	 * turns by an angle that is not a quarter turn is rounded, with one warning per file ({@link #notQuarterTurn}).
	 */
	static Orientation orientation(Path path, FFmpegFrameGrabber g) {
		int[] m;
		try {
			m = displayMatrix(g);
		}
		catch (RuntimeException e) {
			return Orientation.NONE; // unreadable side data: show the frames as stored
		}
		Orientation o = orientation(m);
		String warning = notQuarterTurn(m, o);
		if (warning != null && WARNED_ROTATION.add(path.toAbsolutePath().normalize() + " " + path.toFile().lastModified()))
			System.getLogger(VideoReader.class.getName()).log(System.Logger.Level.WARNING, path + ": " + warning);
		return o;
	}

	/** Files (path and time) whose rounded display rotation was warned about: the reader opens a file several times per job. */
	private static final java.util.Set<String> WARNED_ROTATION = java.util.concurrent.ConcurrentHashMap.newKeySet();

	/**
	 * What to tell the user when the display matrix {@code m} turns the picture by an angle that is not a quarter turn
	 * (more than 1° from one; {@code o} is the quarter turn used instead), else null. FFmpeg's program would turn by
	 * the exact angle (with black corners); frames here are only ever turned by quarter turns.
	 */
	static String notQuarterTurn(int[] m, Orientation o) {
		if (m == null) return null;
		double ccw = org.bytedeco.ffmpeg.global.avutil.av_display_rotation_get(m);
		if (Double.isNaN(ccw) || Double.isInfinite(ccw)) return null;
		double off = Math.abs(ccw - 90 * Math.rint(ccw / 90));
		if (off <= 1) return null;
		return String.format(java.util.Locale.ROOT, "its display matrix turns the picture %.1f° counter-clockwise, not a quarter"
			+ " turn: the frames are turned %d° counter-clockwise instead (the nearest quarter turn). For the exact angle, make an upright copy"
			+ " first (FFmpeg turns it when it decodes, corners black): ffmpeg -i INPUT -c:v ffv1 -c:a copy upright.mkv",
			ccw - 360 * Math.floor(ccw / 360), o.rotation());
	}

	/** The 3×3 display matrix (16.16 and 2.30 fixed point, FFmpeg's layout) of the first video stream, or null. */
	private static int[] displayMatrix(FFmpegFrameGrabber g) {
		org.bytedeco.ffmpeg.avformat.AVFormatContext fc = g.getFormatContext();
		if (fc == null) return null;
		for (int i = 0; i < fc.nb_streams(); i++) {
			org.bytedeco.ffmpeg.avformat.AVStream st = fc.streams(i);
			org.bytedeco.ffmpeg.avcodec.AVCodecParameters par = st.codecpar();
			if (par.codec_type() != org.bytedeco.ffmpeg.global.avutil.AVMEDIA_TYPE_VIDEO
				|| (st.disposition() & org.bytedeco.ffmpeg.global.avformat.AV_DISPOSITION_ATTACHED_PIC) != 0) continue;
			org.bytedeco.ffmpeg.avcodec.AVPacketSideData sd = org.bytedeco.ffmpeg.global.avcodec.av_packet_side_data_get(
				par.coded_side_data(), par.nb_coded_side_data(), org.bytedeco.ffmpeg.global.avcodec.AV_PKT_DATA_DISPLAYMATRIX);
			if (sd == null || sd.isNull() || sd.data() == null || sd.size() < 36) return null;
			int[] m = new int[9];
			new org.bytedeco.javacpp.IntPointer(sd.data()).get(m);
			return m;
		}
		return null;
	}

	/**
	 * The orientation FFmpeg's command-line autorotation gives a display matrix (null: none): the clockwise angle
	 * θ = −round(av_display_rotation_get) in [0, 360) picks a transpose or flips, and the signs of the matrix
	 * entries 0, 3 and 4 tell whether the picture is also mirrored. Angles that are not quarter turns are rounded
	 * to the nearest one (FFmpeg would turn by the exact angle; {@link #orientation(Path, FFmpegFrameGrabber)} warns).
	 */
	static Orientation orientation(int[] m) {
		if (m == null) return Orientation.NONE;
		double ccw = org.bytedeco.ffmpeg.global.avutil.av_display_rotation_get(m);
		if (Double.isNaN(ccw) || Double.isInfinite(ccw)) return Orientation.NONE;
		double theta = -Math.round(ccw);
		theta -= 360 * Math.floor(theta / 360 + 0.9 / 360);
		if (Math.abs(theta - 90) < 1) // a quarter turn clockwise; m[3] > 0: transposed (mirrored, then turned)
			return m[3] > 0 ? new Orientation(true, 90) : new Orientation(false, 270);
		if (Math.abs(theta - 270) < 1) // a quarter turn counter-clockwise; m[3] < 0: the other diagonal
			return m[3] < 0 ? new Orientation(true, 270) : new Orientation(false, 90);
		if (Math.abs(theta - 180) < 1) { // left-right flip when m[0] < 0, top-bottom flip when m[4] < 0
			boolean h = m[0] < 0, v = m[4] < 0;
			return h && v ? new Orientation(false, 180) : h ? new Orientation(true, 0) : v ? new Orientation(true, 180) : Orientation.NONE;
		}
		if (Math.abs(theta) < 1 || Math.abs(theta - 360) < 1) return m[4] < 0 ? new Orientation(true, 180) : Orientation.NONE;
		return new Orientation(false, Math.floorMod((int) Math.round(ccw / 90.0), 4) * 90);
	}

	/** {@code in} mirrored left-right. */
	static Rgb8Image mirror(Rgb8Image in) {
		int w = in.width(), h = in.height();
		byte[] src = in.data(), dst = new byte[src.length];
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) System.arraycopy(src, 3 * (y * w + x), dst, 3 * (y * w + w - 1 - x), 3);
		return new Rgb8Image(w, h, dst);
	}

	/** {@code in} turned counter-clockwise by {@code degrees} (0, 90, 180, 270). */
	static Rgb8Image rotate(Rgb8Image in, int degrees) {
		if (degrees == 0) return in;
		int w = in.width(), h = in.height();
		boolean quarter = degrees % 180 != 0;
		int ow = quarter ? h : w, oh = quarter ? w : h;
		byte[] src = in.data(), dst = new byte[src.length];
		for (int y = 0; y < h; y++)
			for (int x = 0; x < w; x++) {
				int ox, oy;
				switch (degrees) {
					case 90 -> { ox = y; oy = w - 1 - x; }
					case 180 -> { ox = w - 1 - x; oy = h - 1 - y; }
					case 270 -> { ox = h - 1 - y; oy = x; }
					default -> throw new IllegalArgumentException("rotation must be 0, 90, 180 or 270: " + degrees);
				}
				System.arraycopy(src, 3 * (y * w + x), dst, 3 * (oy * ow + ox), 3);
			}
		return new Rgb8Image(ow, oh, dst);
	}
}
