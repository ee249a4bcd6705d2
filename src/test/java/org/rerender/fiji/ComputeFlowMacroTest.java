package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import ij.ImagePlus;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.testing.MacroRunner;
import org.rerender.video.TestClips;

/** macros/compute_flow.ijm through ImageJ 1.x's own interpreter, with the commands of plugins.config. */
class ComputeFlowMacroTest {
	@TempDir
	Path tmp;

	@Test
	void pluginsConfigRegistersComputeOpticalFlow() {
		assertEquals("org.rerender.fiji.ij1.CommandBridge(\"org.rerender.fiji.ComputeOpticalFlowCommand\")",
			MacroRunner.registerCommands().get("Compute Optical Flow"));
	}

	@Test
	void computeFlowMacro() throws Exception {
		Path dir = Files.createDirectories(tmp.resolve("flow out é"));
		Path in = TestClips.smallClip(dir.resolve("clip with space.mp4"), 5);
		String ret = MacroRunner.runFile(Path.of("macros", "compute_flow.ijm"), in + "|" + dir + "|128|dis");
		assertEquals("4 128 64 2", ret); // 192x108 -> 128x64, 5 frames -> 4 pairs, channels x and y
		ImagePlus fwd = IJ.openImage(dir.resolve("forward_flow.tif").toString());
		assertNotNull(fwd);
		assertEquals(ImagePlus.GRAY32, fwd.getType());
		assertEquals(2, fwd.getNChannels());
		assertEquals(4, fwd.getNFrames());
		ImagePlus occ = IJ.openImage(dir.resolve("occlusion.tif").toString());
		assertEquals(ImagePlus.GRAY8, occ.getType());
		assertEquals(2, occ.getNChannels());
		assertTrue(Files.exists(dir.resolve("backward_flow.tif")));
	}
}
