package org.rerender.video;

import java.io.IOException;

import org.rerender.image.Rgb8Image;

/** Receives decoded frames one at a time, in order, numbered from 0. */
@FunctionalInterface
public interface FrameVisitor {
	/** @param frame a fresh image the visitor may keep */
	void accept(int index, Rgb8Image frame) throws IOException;
}
