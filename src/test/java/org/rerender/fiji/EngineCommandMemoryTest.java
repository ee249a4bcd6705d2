package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A command that runs out of Java memory (a long clip opened at full size) is cancelled with what to do, not left to crash. */
class EngineCommandMemoryTest {

	@Test
	void outOfMemoryCancelsWithAReasonAndAWayOut() {
		EngineCommand c = new EngineCommand() {
			@Override
			protected void execute() {
				throw new OutOfMemoryError("Java heap space"); // as a stack of frames past the heap throws it (not filled here: shared machine)
			}
		};
		c.run();
		assertTrue(c.isCanceled(), "cancelled");
		String why = c.getCancelReason();
		assertTrue(why.startsWith("Not enough memory: Fiji may use ") && why.contains("lower resolution")
			&& why.contains("Edit > Options > Memory & Threads"), why);
	}
}
