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
 */
public record VideoInfo(int width, int height, double fps, int frameCount, boolean hasAudio, String codec,
	String container)
{
	/** Duration in seconds, frameCount / fps. */
	public double durationSeconds() {
		return fps > 0 ? frameCount / fps : 0;
	}

	@Override
	public String toString() {
		return width + "x" + height + ", " + frameCount + " frames at " + fps + " fps, " + codec
			+ (hasAudio ? ", with audio" : ", no audio");
	}
}
