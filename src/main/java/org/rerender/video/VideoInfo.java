package org.rerender.video;

/**
 * What a video holds, as decoded (not as the container claims).
 *
 * @param width      frame width in pixels
 * @param height     frame height in pixels
 * @param fps        frames per second (the video stream's frame rate, e.g. 29.97)
 * @param frameCount the number of frames actually decoded from the file; the container's own
 *                   estimate can be wrong (notably for .mov), so it is never used here
 * @param hasAudio   whether the file has an audio stream
 * @param codec      FFmpeg's name of the video codec, e.g. {@code h264}, {@code mjpeg}, {@code mpeg2video}
 * @param container  FFmpeg's name of the container format, e.g. {@code mov,mp4,m4a,3gp,3g2,mj2}
 * @param declaredFps the frame rate the stream declares; differs from {@code fps} only for a variable frame rate,
 *                   where {@code fps} is the decoded frames' average (frames over the time they span), so that a
 *                   video written at {@code fps} lasts as long as the input and its audio stays in sync
 * @param rotation   the stream's display rotation, degrees counter-clockwise (0, 90, 180, 270); width and height
 *                   are those of the upright frames {@link VideoReader} returns
 */
public record VideoInfo(int width, int height, double fps, int frameCount, boolean hasAudio, String codec,
	String container, double declaredFps, int rotation)
{
	/** A constant-frame-rate, unrotated video. */
	public VideoInfo(int width, int height, double fps, int frameCount, boolean hasAudio, String codec, String container) {
		this(width, height, fps, frameCount, hasAudio, codec, container, fps, 0);
	}

	/** Whether the frame times vary (screen recordings, some phone clips): see {@code declaredFps}. */
	public boolean variableFrameRate() {
		return Math.abs(fps - declaredFps) > 1e-9;
	}

	/** Duration in seconds, frameCount / fps. */
	public double durationSeconds() {
		return fps > 0 ? frameCount / fps : 0;
	}

	@Override
	public String toString() {
		return width + "x" + height + ", " + frameCount + " frames at " + fps + " fps"
			+ (variableFrameRate() ? " (variable frame rate, average; declared " + declaredFps + ")" : "") + ", " + codec
			+ (rotation != 0 ? ", rotated " + rotation + "° for display" : "") + (hasAudio ? ", with audio" : ", no audio");
	}
}
