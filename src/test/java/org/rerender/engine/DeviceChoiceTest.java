package org.rerender.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Test;

class DeviceChoiceTest {

	@Test
	void parsesTheFourForms() {
		assertEquals(DeviceChoice.AUTO, DeviceChoice.parse("auto").gpu());
		assertEquals(DeviceChoice.AUTO, DeviceChoice.parse(null).gpu());
		assertEquals(DeviceChoice.CPU, DeviceChoice.parse(" CPU ").gpu());
		assertEquals(0, DeviceChoice.parse("cuda").gpu());
		assertEquals(3, DeviceChoice.parse("cuda:3").gpu());
		assertEquals("cuda:3", DeviceChoice.parse("gpu:3").spec());
		for (String bad : new String[] {"cuda:x", "cuda:-1", "tpu", "cuda:"}) {
			RerenderException e = assertThrows(RerenderException.class, () -> DeviceChoice.parse(bad));
			assertTrue(e.getMessage().contains("auto, cpu, cuda or cuda:N"), e.getMessage());
		}
	}

	@Test
	void cpuIsF32AndAutoFallsBackWithAReasonWithoutCuda() {
		Engine engine = Djl.engine();
		DeviceChoice.Resolved cpu = DeviceChoice.parse("cpu").resolve(engine);
		assertFalse(cpu.device().isGpu());
		assertEquals(DataType.FLOAT32, cpu.dtype());
		assertNull(cpu.reason());
		DeviceChoice.Resolved auto = DeviceChoice.parse("auto").resolve(engine);
		if (engine.hasCapability("CUDA") && engine.getGpuCount() > 0) {
			assertTrue(auto.device().isGpu());
			assertEquals(DataType.FLOAT16, auto.dtype());
		}
		else {
			assertFalse(auto.device().isGpu());
			assertNotNull(auto.reason());
			assertTrue(auto.describe().startsWith("cpu, F32 (auto: "), auto.describe());
			// an explicit GPU that cannot work is an error the user can act on, not a crash
			RerenderException e = assertThrows(RerenderException.class, () -> DeviceChoice.parse("cuda:0").resolve(engine));
			assertTrue(e.getMessage().contains("--device cpu") || e.getMessage().contains("or cpu"), e.getMessage());
		}
	}
}
