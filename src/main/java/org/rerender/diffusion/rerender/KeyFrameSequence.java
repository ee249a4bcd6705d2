package org.rerender.diffusion.rerender;

import ai.djl.ndarray.NDManager;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/**
 * The state carried from key frame to key frame: the anchor (borrowed, not closed here), the "previous" attention
 * reference (initialised from the anchor's, refreshed by the engine in pass 2 of every N-th key frame), and the
 * previous key frame's decoded float output and input frame. Closing it frees the "previous" store.
 */
public final class KeyFrameSequence implements AutoCloseable {
	private final AnchorState anchor;
	private final AttentionStore previousStyle;
	private final int styleUpdateFreq;
	private FloatImage previousOutput;
	private Rgb8Image previousFrame;
	private int done;

	/**
	 * @param parent the "previous" store lives in a sub-manager of it
	 * @param styleUpdateFreq N: refresh at key frames 0, N, 2N, … (counted in key frames)
	 */
	public KeyFrameSequence(AnchorState anchor, NDManager parent, int styleUpdateFreq) {
		if (styleUpdateFreq < 1) throw new IllegalArgumentException("style_update_freq must be at least 1");
		this.anchor = anchor;
		this.previousStyle = anchor.attention().copy(parent);
		this.styleUpdateFreq = styleUpdateFreq;
		this.previousOutput = anchor.decoded();
		this.previousFrame = anchor.frame();
	}

	public AnchorState anchor() {
		return anchor;
	}

	/** The "previous" attention reference (owned by the sequence). */
	public AttentionStore previousStyle() {
		return previousStyle;
	}

	/** The previous key frame's decoded output (the anchor's before the first key frame). */
	public FloatImage previousOutput() {
		return previousOutput;
	}

	/** The previous key frame's input frame (for the flow previous → current). */
	public Rgb8Image previousFrame() {
		return previousFrame;
	}

	/** Key frames translated so far. */
	public int done() {
		return done;
	}

	/** Whether the next key frame refreshes the "previous" attention reference. */
	public boolean refreshDue() {
		return done % styleUpdateFreq == 0;
	}

	void advance(FloatImage output, Rgb8Image frame) {
		previousOutput = output;
		previousFrame = frame;
		done++;
	}

	@Override
	public void close() {
		previousStyle.close();
	}
}
