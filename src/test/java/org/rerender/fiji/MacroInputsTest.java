package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.rerender.testing.MacroRunner;

/**
 * The commands from ImageJ 1.x macros on open images: titles with spaces and unicode, 16-bit stacks with a frame
 * rate, an output title that is already open, a hyperstack with Z and T, a selection.
 */
class MacroInputsTest {

	@Test
	void propagateOpenImagesByTitleTwice() {
		String ret = MacroRunner.run("""
			setBatchMode(true);
			newImage("clip é 1.avi", "16-bit ramp", 24, 18, 5);
			Stack.setFrameRate(12);
			makeRectangle(2, 2, 8, 8);
			run("Propagate", "input=[clip é 1.avi] keys=[clip é 1.avi] key_interval=2 poisson=false processes=1");
			a = getTitle() + " " + nSlices + " " + getWidth() + "x" + getHeight() + " " + bitDepth() + " " + Stack.getFrameRate();
			selectImage("clip é 1.avi");
			run("Propagate", "input=[clip é 1.avi] keys=[clip é 1.avi] key_interval=2 poisson=false processes=1");
			b = getTitle();
			selectImage("clip é 1.avi");
			getSelectionBounds(x, y, w, h);
			return a + "|" + b + "|" + bitDepth() + " " + w;
			""", "");
		assertEquals("clip é 1 propagated 5 24x18 24 12|clip é 1 propagated-1|16 8", ret);
	}

	@Test
	void zAndTHyperstackStopsTheMacroWithAClearMessage() {
		AssertionError e = assertThrows(AssertionError.class, () -> MacroRunner.run("""
			setBatchMode(true);
			newImage("zt", "RGB black", 24, 18, 1, 2, 3);
			run("Propagate", "input=zt keys=zt key_interval=1 poisson=false processes=1");
			""", ""));
		assertTrue(e.getMessage().contains("2 Z slices and 3 time frames"), e.getMessage());
		assertTrue(!e.getMessage().contains("Cancelled"), "the reason alone, not 'Cancelled: …': " + e.getMessage());
	}

	@Test
	void flowOfAGreyStackWithAnOpenOutputTitle() {
		String ret = MacroRunner.run("""
			setBatchMode(true);
			newImage("grey", "8-bit ramp", 32, 20, 3);
			newImage("grey forward flow", "8-bit black", 8, 8, 1);
			selectImage("grey");
			run("Compute Optical Flow", "image=grey method=dis direction=forward");
			selectImage("grey forward flow-1");
			Stack.getDimensions(w, h, c, z, t);
			return "" + w + "x" + h + " " + c + " " + t;
			""", "");
		assertEquals("32x20 2 2", ret);
	}
}
