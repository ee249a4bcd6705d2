package org.rerender.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.types.DataType;

import org.junit.jupiter.api.Test;

/** The out-of-memory translator on synthetic cause chains with libtorch's own texts, and its size estimate. */
class DeviceMemoryErrorsTest {
	static final long GIB = 1L << 30;
	static final DeviceChoice.Resolved CUDA0 = new DeviceChoice.Resolved(Device.gpu(0), DataType.FLOAT16, null);
	static final DeviceChoice.Resolved CPU = new DeviceChoice.Resolved(Device.cpu(), DataType.FLOAT32, null);

	/** Texts as libtorch 2.x formats them (c10::OutOfMemoryError, CUDA runtime, cuBLAS, cuDNN, the CPU allocator). */
	static final String[] OOM = {
		"CUDA out of memory. Tried to allocate 2.25 GiB. GPU 0 has a total capacity of 7.79 GiB of which 1.02 GiB is free. "
			+ "Including non-PyTorch memory, this process has 6.75 GiB memory in use. Of the allocated memory 5.91 GiB is "
			+ "allocated by PyTorch, and 356.12 MiB is reserved by PyTorch but unallocated. If reserved but unallocated memory"
			+ " is large try setting PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See "
			+ "documentation for Memory Management  (https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)",
		"CUDA error: out of memory\nCUDA kernel errors might be asynchronously reported at some other API call, so the "
			+ "stacktrace below might be incorrect.\nFor debugging consider passing CUDA_LAUNCH_BLOCKING=1",
		"CUDA error: CUBLAS_STATUS_ALLOC_FAILED when calling `cublasCreate(handle)`",
		"cudaErrorMemoryAllocation: out of memory",
		"cuDNN error: CUDNN_STATUS_ALLOC_FAILED",
		"torchext: CUDA out of memory. Tried to allocate 512.00 MiB.",
		"[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: not enough memory: you tried to allocate 4294967296 bytes.",
	};

	static DeviceMemoryErrors.Work frame(DeviceChoice.Resolved t, int w, int h, long total) {
		return new DeviceMemoryErrors.Work(t, w, h, total, "image_resolution", -1);
	}

	@Test
	void findsEveryLibtorchOutOfMemoryTextAnywhereInTheChain() {
		for (String text : OOM) {
			EngineException native_ = new EngineException(text);
			// as the job sees it: wrapped by the key-frame step, then by whatever called it
			RuntimeException chain = new IllegalStateException("outer", new RerenderException("Key frames failed: " + text, native_));
			assertSame(native_, DeviceMemoryErrors.find(chain), text);
			RuntimeException out = DeviceMemoryErrors.translate(chain, () -> frame(CUDA0, 768, 512, 8 * GIB));
			RerenderException r = assertInstanceOf(RerenderException.class, out, text);
			assertSame(chain, r.getCause(), "the original failure stays the cause");
			String m = r.getMessage();
			assertTrue(m.startsWith("Out of GPU memory on cuda:0 (F16) at a working size of 768×512 pixels"), m);
			assertTrue(m.contains("The card has 8.0 GiB in all"), m);
			assertTrue(m.contains("Estimate (not a guarantee; README, GPU): about image_resolution 576 fits"), m);
			assertTrue(m.contains("lower image_resolution (to 576 or less)"), m);
			assertTrue(m.contains("choose device cpu") && m.contains("Plugins > Rerender > Free Models"), m);
			assertTrue(m.contains("(libtorch: " + text.lines().findFirst().orElseThrow().substring(0, 20)), m);
			assertFalse(m.contains("\n"), "one line: " + m);
		}
	}

	@Test
	void otherFailuresPassThroughUnchanged() {
		RuntimeException[] others = {
			new EngineException("Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu!"),
			new EngineException("The size of tensor a (64) must match the size of tensor b (32) at non-singleton dimension 3"),
			new RerenderException("Model 'controlnet-hed' (control_sd15_hed.pth) is not installed"),
			new RerenderException("Key frames failed: shape mismatch", new EngineException("mat1 and mat2 shapes cannot be multiplied")),
			// the text alone is not enough: only libtorch's failures (EngineException) are translated
			new IllegalStateException("out of memory"),
			new CancelledException(),
		};
		for (RuntimeException e : others) {
			assertNull(DeviceMemoryErrors.find(e), String.valueOf(e));
			assertSame(e, DeviceMemoryErrors.translate(e, () -> { throw new AssertionError("work asked for a non-OOM failure"); }));
		}
	}

	@Test
	void cpuAllocatorFailureSaysLowerTheResolutionOnly() {
		EngineException e = new EngineException("[enforce fail at alloc_cpu.cpp:117] data. DefaultCPUAllocator: can't allocate memory: "
			+ "you tried to allocate 8589934592 bytes. Error code 12 (Cannot allocate memory)");
		String m = DeviceMemoryErrors.translate(e, () -> frame(CPU, 1024, 576, -1)).getMessage();
		assertTrue(m.startsWith("Out of CPU memory on cpu (F32) at a working size of 1024×576 pixels"), m);
		assertTrue(m.contains("What to do: lower image_resolution; free the loaded networks"), m);
		assertFalse(m.contains("device cpu") || m.contains("use_limit_device_resolution") || m.contains("Estimate"), m);
	}

	@Test
	void loadingFailureAndTheLimitSuggestion() {
		EngineException e = new EngineException(OOM[0]);
		String load = DeviceMemoryErrors.translate(e, () -> new DeviceMemoryErrors.Work(CUDA0, 0, 0, 3 * GIB, null, -1)).getMessage();
		assertTrue(load.startsWith("Out of GPU memory on cuda:0 (F16) while loading the models. The card has 3.0 GiB in all."), load);
		assertTrue(load.contains("The weights and the CUDA context alone need about 3.2 GiB (estimate)"), load);
		assertFalse(load.contains("lower"), load);
		// use_limit_device_resolution is offered only when its cap is below the size that failed
		String lim = DeviceMemoryErrors.translate(e, () -> frame(CUDA0, 1024, 1024, 10 * GIB).withLimitCap(640)).getMessage();
		assertTrue(lim.contains("turn on use_limit_device_resolution (the original's table caps image_resolution at 640"), lim);
		String noLim = DeviceMemoryErrors.translate(e, () -> frame(CUDA0, 512, 512, 10 * GIB).withLimitCap(640)).getMessage();
		assertFalse(noLim.contains("use_limit_device_resolution"), noLim);
		// fits by the estimate, yet failed: other programs hold memory
		assertTrue(noLim.contains("other programs probably use GPU memory"), noLim);
		String unknown = DeviceMemoryErrors.translate(e, () -> frame(CUDA0, 512, 512, -1)).getMessage();
		assertFalse(unknown.contains("The card has") || unknown.contains("Estimate"), unknown);
		assertTrue(unknown.contains("lower image_resolution; choose device cpu"), unknown);
	}

	@Test
	void largestLongSideFollowsThePixelCountLine() {
		// F16: 0.95·total − 3.2 GiB fixed, 4.4 GiB per 512² pixels, down to a multiple of 64
		assertEquals(512, DeviceMemoryErrors.largestLongSide(8 * GIB, DataType.FLOAT16, 512, 512)); // 1.0 × 512²
		assertEquals(1024, DeviceMemoryErrors.largestLongSide(24 * GIB, DataType.FLOAT16, 512, 512)); // 4.45 × 512² → 1080
		assertEquals(2048, DeviceMemoryErrors.largestLongSide(80 * GIB, DataType.FLOAT16, 768, 768)); // 16.5 × 512² → 2082
		assertEquals(704, DeviceMemoryErrors.largestLongSide(8 * GIB, DataType.FLOAT16, 1024, 512)); // 2:1 → 724
		assertEquals(0, DeviceMemoryErrors.largestLongSide(3 * GIB, DataType.FLOAT16, 512, 512));
		assertEquals(-1, DeviceMemoryErrors.largestLongSide(-1, DataType.FLOAT16, 512, 512));
		assertTrue(DeviceMemoryErrors.largestLongSide(16 * GIB, DataType.FLOAT32, 512, 512)
			< DeviceMemoryErrors.largestLongSide(16 * GIB, DataType.FLOAT16, 512, 512));
		// the measured points of README, GPU: 512² F16 in 7.6 GiB, 768² F16 in 12.8–13.4 GiB
		double at768 = DeviceMemoryErrors.F16_FIXED_GIB + DeviceMemoryErrors.F16_PER_512SQ_GIB * 2.25;
		assertTrue(at768 > 12.8 && at768 < 13.4, "line through the 768² measurement: " + at768);
		assertEquals(7.6, DeviceMemoryErrors.F16_FIXED_GIB + DeviceMemoryErrors.F16_PER_512SQ_GIB, 1e-9);
	}
}
