package org.rerender.propagate;

import org.rerender.image.Rgb8Image;

/**
 * Where finished output frames go. Called from several threads, in no particular order; each
 * frame index exactly once per run. {@link #has} lets a work folder skip frames already written.
 */
public interface FrameSink {

	void put(int index, Rgb8Image frame);

	/** Whether output frame {@code index} is already finished (resume); default: never. */
	default boolean has(int index) {
		return false;
	}
}
