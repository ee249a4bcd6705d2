package org.rerender.diffusion.rerender;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.SafetensorsWriter;
import org.rerender.model.io.TensorDType;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/**
 * The state carried from key frame to key frame: the anchor (borrowed, not closed here), the "previous" attention
 * reference (initialised from the anchor's, refreshed by the engine in pass 2 of every N-th key frame), and the
 * previous key frame's decoded float output and input frame. Closing it frees the "previous" store.
 * <p>A key frame that refreshes "previous" writes it step by step; when such a key frame fails or is cancelled the
 * store is left partly refreshed, so the sequence is marked spoiled and every later use throws a
 * {@link RerenderException}: reload it ({@link #load}) or start a new one from the anchor to retry.
 */
public final class KeyFrameSequence implements AutoCloseable {
	private final AnchorState anchor;
	private final AttentionStore previousStyle;
	private final int styleUpdateFreq;
	private FloatImage previousOutput;
	private Rgb8Image previousFrame;
	private int done;
	/** Why the sequence may no longer be used (a key frame failed after its refreshes began), or null. */
	private String spoiled;

	private KeyFrameSequence(AnchorState anchor, AttentionStore previousStyle, int styleUpdateFreq, FloatImage previousOutput,
		Rgb8Image previousFrame, int done)
	{
		this.anchor = anchor;
		this.previousStyle = previousStyle;
		this.styleUpdateFreq = styleUpdateFreq;
		this.previousOutput = previousOutput;
		this.previousFrame = previousFrame;
		this.done = done;
	}

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

	/** Whether a failed key frame left the sequence half-updated ({@link #checkUsable} then throws). */
	public boolean spoiled() {
		return spoiled != null;
	}

	/** Marks the sequence unusable: key frame {@code done()+1} failed ({@code cause}) after it began refreshing "previous". */
	void spoil(Throwable cause) {
		if (spoiled == null)
			spoiled = "key frame " + (done + 1) + " of this sequence " + (cause instanceof org.rerender.engine.CancelledException
				? "was cancelled" : "failed") + " while refreshing its \"previous\" attention reference";
	}

	/** Throws when the sequence was left half-updated by a failed key frame. */
	void checkUsable() {
		if (spoiled != null)
			throw new RerenderException("This key-frame sequence can no longer be used: " + spoiled + ", which is now partly "
				+ "updated. Reload the sequence from its saved state (KeyFrameSequence.load) or start a new one from the anchor, "
				+ "then translate that key frame again.");
	}

	void advance(FloatImage output, Rgb8Image frame) {
		previousOutput = output;
		previousFrame = frame;
		done++;
	}

	/**
	 * Writes the carried state (the "previous" attention reference, the previous output and frame, the count), so a
	 * key-frame run stopped after key frame n resumes at n+1 exactly as if it had not stopped.
	 */
	public void save(Path file) {
		checkUsable();
		SafetensorsWriter w = new SafetensorsWriter().metadata("format", FORMAT).metadata("done", Integer.toString(done))
			.metadata("style_update_freq", Integer.toString(styleUpdateFreq));
		previousStyle.writeTo(w, "previous");
		w.addF32("previous_output", new long[] {previousOutput.height(), previousOutput.width(), 3}, previousOutput.data());
		w.add("previous_frame", TensorDType.U8, new long[] {previousFrame.height(), previousFrame.width(), 3}, previousFrame.data());
		w.write(file);
	}

	static final String FORMAT = "rerender-keyframe-sequence-1";

	/** Reads a state written by {@link #save}, continuing from {@code anchor}. */
	public static KeyFrameSequence load(Path file, AnchorState anchor, NDManager parent) {
		try (SafetensorsFile f = SafetensorsFile.open(file)) {
			if (!FORMAT.equals(f.metadata().get("format")))
				throw new RerenderException(file + " is not a saved key-frame sequence state (" + FORMAT + ")");
			AttentionStore store = new AttentionStore(parent, anchor.attention().storage(), anchor.attention().device());
			try {
				store.readFrom(f, "previous");
				long[] s = f.info("previous_output").shape();
				int w = (int) s[1], h = (int) s[0];
				return new KeyFrameSequence(anchor, store, Integer.parseInt(f.metadata().get("style_update_freq")),
					new FloatImage(w, h, 3, f.floats("previous_output")), new Rgb8Image(w, h, f.bytes("previous_frame")),
					Integer.parseInt(f.metadata().get("done")));
			}
			catch (RuntimeException e) {
				store.close();
				throw e;
			}
		}
	}

	@Override
	public void close() {
		previousStyle.close();
	}
}
