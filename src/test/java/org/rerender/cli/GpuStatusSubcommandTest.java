package org.rerender.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.rerender.model.nn.TorchExt;

/** {@code rerender gpu-status} on the CPU: one line, with the device, precision and the fused-ops state. */
class GpuStatusSubcommandTest {
	@Test
	void cpuLineSaysWhichOpsAreUsed() {
		ModelCliTest.Run r = ModelCliTest.cli("gpu-status", "--device", "cpu");
		assertEquals(0, r.code(), r.err());
		String line = r.out().strip();
		assertEquals(1, line.lines().count(), line);
		assertTrue(line.startsWith("libtorch ") && line.contains("device: cpu, F32"), line);
		assertTrue(line.contains(TorchExt.active() ? "; fused ops: torchext" : "; fused ops: composed DJL ops ("), line);
		try {
			System.setProperty(TorchExt.PROPERTY, "false");
			String off = ModelCliTest.cli("gpu-status", "--device", "cpu").out();
			assertTrue(off.contains("; fused ops: composed DJL ops (switched off (rerender.torchext=false)"), off);
		}
		finally {
			System.clearProperty(TorchExt.PROPERTY);
		}
	}
}
