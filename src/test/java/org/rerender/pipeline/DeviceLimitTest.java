package org.rerender.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.rerender.engine.DeviceChoice;
import org.rerender.engine.GpuMemory;
import org.rerender.engine.RerenderException;

/** use_limit_device_resolution as a function of the device and its memory (no GPU needed). */
class DeviceLimitTest {
	static final long GIB = 1L << 30;
	static final DeviceChoice.Resolved CUDA1 = new DeviceChoice.Resolved(Device.gpu(1), DataType.FLOAT16, null);

	@Test
	void capsOnAGpuByTheOriginalsTable() {
		List<String> notes = new ArrayList<>();
		assertEquals(576, DeviceLimit.resolution(768, CUDA1, new GpuMemory(8 * GIB, 7 * GIB, null), notes::add));
		assertEquals(List.of("use_limit_device_resolution: image_resolution 768 lowered to 576 for the 8.0 GiB of cuda:1"), notes);
		notes.clear();
		assertEquals(512, DeviceLimit.resolution(512, CUDA1, new GpuMemory(80 * GIB, 1 * GIB, null), notes::add));
		assertEquals(List.of(), notes, "under the cap: kept, nothing to say");
		RerenderException small = assertThrows(RerenderException.class,
			() -> DeviceLimit.resolution(512, CUDA1, new GpuMemory(3 * GIB, 3 * GIB, null), notes::add));
		assertEquals(true, small.getMessage().contains("needs at least 4 GiB"), small.getMessage());
	}

	@Test
	void keepsTheValueOnTheCpuOrWithUnknownMemory() {
		List<String> notes = new ArrayList<>();
		DeviceChoice.Resolved cpu = new DeviceChoice.Resolved(Device.cpu(), DataType.FLOAT32, null);
		assertEquals(768, DeviceLimit.resolution(768, cpu, null, notes::add));
		assertEquals(768, DeviceLimit.resolution(768, null, null, notes::add));
		assertEquals(768, DeviceLimit.resolution(768, CUDA1, new GpuMemory(-1, -1, "No cuda library is loaded."), notes::add));
		assertEquals(List.of(
			"use_limit_device_resolution applies to GPU memory; on the CPU the configured image_resolution 768 is used",
			"use_limit_device_resolution: the job's device is not known here, so the configured image_resolution 768 is used",
			"use_limit_device_resolution: the GPU's memory is unknown (No cuda library is loaded.); image_resolution 768 is used"), notes);
		assertEquals(640, DeviceLimit.capOf(10 * GIB));
		assertEquals(-1, DeviceLimit.capOf(3 * GIB));
		assertEquals(-1, DeviceLimit.capOf(-1));
	}
}
