package org.rerender.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.model.nn.TorchExt;

/** {@link TestDevice}: parsing, the error without CUDA, and that the parity tests' device follows the property. */
class TestDeviceTest {
	private static Engine engine() {
		return Djl.engine();
	}

	@Test
	void cpuIsTheCpu() {
		assertEquals(Device.cpu(), TestDevice.resolve("cpu", engine()));
		assertEquals(Device.cpu(), TestDevice.resolve(" CPU ", engine()));
	}

	@Test
	void unknownOrAutoIsRefusedWithTheProperty() {
		for (String s : new String[] {"tpu", "cuda:x", "cuda:-1", ""}) {
			IllegalStateException e = assertThrows(IllegalStateException.class, () -> TestDevice.resolve(s, engine()), s);
			assertTrue(e.getMessage().startsWith(TestDevice.PROPERTY + "=" + s + ": "), e.getMessage());
		}
		IllegalStateException e = assertThrows(IllegalStateException.class, () -> TestDevice.resolve("auto", engine()));
		assertTrue(e.getMessage().contains("not auto"), e.getMessage());
	}

	@Test
	void cudaWithoutCudaNativesFailsClearly() {
		Assumptions.assumeFalse(engine().hasCapability("CUDA"), "these natives have CUDA");
		for (String s : new String[] {"cuda:0", "cuda", "gpu:1"}) {
			IllegalStateException e = assertThrows(IllegalStateException.class, () -> TestDevice.resolve(s, engine()), s);
			String m = e.getMessage();
			System.out.println(m);
			assertTrue(m.startsWith(TestDevice.PROPERTY + "=" + s + ": ") && m.contains("have no CUDA")
				&& m.contains("do not fall back to the CPU"), m);
		}
	}

	@Test
	void theParityTestsDeviceFollowsTheProperty() {
		String spec = System.getProperty(TestDevice.PROPERTY, "cpu");
		boolean cpu = spec.trim().equalsIgnoreCase("cpu");
		if (!cpu && !engine().hasCapability("CUDA")) {
			// e.g. -Drerender.test.device=cuda:0 on a machine without a GPU: every use fails, nothing runs on the CPU
			IllegalStateException e = assertThrows(IllegalStateException.class, TestDevice::device);
			assertThrows(IllegalStateException.class, TestDevice::newManager);
			System.out.println("as expected: " + e.getMessage());
			return;
		}
		Device d = TestDevice.device();
		try (NDManager m = TestDevice.newManager()) {
			assertEquals(d, m.getDevice());
			assertEquals(d, m.zeros(new ai.djl.ndarray.types.Shape(2)).getDevice());
		}
		if (cpu) assertEquals(Device.cpu(), d);
		else {
			assertTrue(d.isGpu(), spec + " gave " + d);
			assertEquals(0, TorchExt.tf32Flags(), "TF32 off on the GPU");
		}
	}
}
