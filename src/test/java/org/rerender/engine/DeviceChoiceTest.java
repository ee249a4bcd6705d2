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

	@Test
	void autoDecisionFromNativesGpusAndFreeMemory() {
		long gib = 1L << 30;
		DeviceChoice.Resolved noCuda = DeviceChoice.auto(false, 2, new GpuMemory(80 * gib, 79 * gib, null));
		assertEquals("cpu, F32 (auto: the PyTorch natives have no CUDA; see README, GPU)", noCuda.describe());
		DeviceChoice.Resolved noGpu = DeviceChoice.auto(true, 0, null);
		assertEquals("cpu, F32 (auto: no GPU visible to CUDA)", noGpu.describe());
		DeviceChoice.Resolved busy = DeviceChoice.auto(true, 1, new GpuMemory(8 * gib, 2 * gib + gib / 2, null));
		assertFalse(busy.device().isGpu());
		assertEquals(DataType.FLOAT32, busy.dtype());
		assertEquals("auto: GPU 0 has only 2.5 GiB free of 8.0 GiB, Rerender needs at least 4 GiB; close other programs using"
			+ " the GPU, or choose cuda:0 to try anyway", busy.reason());
		DeviceChoice.Resolved enough = DeviceChoice.auto(true, 1, new GpuMemory(8 * gib, DeviceChoice.MIN_FREE_BYTES, null));
		assertTrue(enough.device().isGpu());
		assertEquals(0, enough.device().getDeviceId());
		assertEquals(DataType.FLOAT16, enough.dtype());
		assertNull(enough.reason());
		assertTrue(DeviceChoice.auto(true, 1, new GpuMemory(8 * gib, DeviceChoice.MIN_FREE_BYTES - 1, null)).reason() != null);
		// memory unknown (no CUDA runtime library for DJL's CudaUtils) or not asked (our own models hold it): the GPU
		assertTrue(DeviceChoice.auto(true, 1, new GpuMemory(-1, -1, "No cuda library is loaded.")).device().isGpu());
		assertTrue(DeviceChoice.auto(true, 1, null).device().isGpu());
	}
}
