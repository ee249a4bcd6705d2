package org.rerender.bench;

import ai.djl.Device;
import ai.djl.engine.EngineException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.rerender.engine.DeviceChoice;
import org.rerender.engine.DeviceMemoryErrors;
import org.rerender.engine.Djl;
import org.rerender.engine.GpuMemory;
import org.rerender.model.nn.TorchExt;
import org.rerender.model.nn.TorchExtCudaMemory;
import org.rerender.pipeline.GpuStatus;

/**
 * On a real GPU (run by {@code bench/gpu/run.sh oom}, not by Maven): what GPU Status reports for auto and the device,
 * then a real out-of-memory failure — one tensor larger than the card, and 1 GiB tensors in a sub-manager until the
 * card is full — checking that {@link DeviceMemoryErrors} recognises libtorch's actual text, what the user would read,
 * and that closing the sub-manager gives the memory back (a 1 GiB tensor fits again). Exits non-zero if a check fails.
 *
 * <pre>java -cp ... org.rerender.bench.GpuOomProbe [cuda:0]</pre>
 */
public final class GpuOomProbe {
	private GpuOomProbe() {}

	private static final long GIB = 1L << 30;

	public static void main(String[] args) {
		Device gpu = BenchDevices.parse(args.length > 0 ? args[0] : "cuda:0");
		if (!gpu.isGpu()) { // it fills the device's memory: never on the host
			System.out.println("GpuOomProbe needs a GPU device, not " + gpu);
			System.exit(2);
		}
		System.out.println("GPU Status (auto): " + GpuStatus.probe("auto").line());
		String spec = "cuda:" + gpu.getDeviceId();
		System.out.println("GPU Status (" + spec + "): " + GpuStatus.probe(spec).line());
		int failures = 0;
		DeviceChoice.Resolved target = new DeviceChoice.Resolved(gpu, DataType.FLOAT16, null);
		GpuMemory idle = GpuMemory.read(gpu);
		System.out.println("memory before: " + idle.describe());
		long total = idle.known() ? idle.totalBytes() : 256 * GIB;
		try (NDManager root = Djl.newManager(gpu)) {
			// 1. one tensor larger than the whole card
			try (NDManager sub = root.newSubManager()) {
				sub.create(new Shape(total / 2 + GIB), DataType.FLOAT16); // uninitialised: the allocation only
				System.out.println("one tensor larger than the card: no failure?! FAIL");
				failures++;
			}
			catch (EngineException e) {
				failures += report("one tensor larger than the card", e, target);
			}
			// 2. 1 GiB tensors until the card is full (the way a frame runs out mid-way)
			int n = 0;
			try (NDManager sub = root.newSubManager()) {
				List<NDArray> held = new ArrayList<>();
				for (; n < 4096; n++) held.add(sub.create(new Shape(GIB / 2), DataType.FLOAT16));
				System.out.println("4096 GiB allocated without failure?! FAIL");
				failures++;
			}
			catch (EngineException e) {
				System.out.println("full after " + n + " GiB; at the failure: " + GpuMemory.read(gpu).describe());
				failures += report("1 GiB tensors until full", e, target);
			}
			GpuMemory after = GpuMemory.read(gpu);
			System.out.println("memory after the sub-manager closed: " + after.describe()
				+ " (libtorch's caching allocator may keep freed blocks reserved)");
			try (NDManager again = root.newSubManager()) {
				again.create(new Shape(GIB / 2), DataType.FLOAT16).get(0).getFloat(); // retry: must fit
				System.out.println("retry with 1 GiB after the failure: ok");
			}
			catch (EngineException e) {
				System.out.println("retry with 1 GiB after the failure: FAIL " + e.getMessage());
				failures++;
			}
			// 3. what Free Models / a reload does after closing the networks: cached blocks back to the driver
			TorchExtCudaMemory.releaseCached(gpu);
			GpuMemory released = GpuMemory.read(gpu);
			System.out.println("memory after releaseCached: " + released.describe() + (TorchExt.loadedAlready()
				? "" : " (torchext not loaded: nothing released)"));
		}
		System.out.println(failures == 0 ? "GPU OOM probe: PASS" : "GPU OOM probe: FAIL (" + failures + ")");
		System.exit(failures == 0 ? 0 : 1);
	}

	private static int report(String what, EngineException e, DeviceChoice.Resolved target) {
		String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
		System.out.println(what + ": libtorch said: " + first);
		boolean ok = DeviceMemoryErrors.find(e) != null;
		System.out.printf(Locale.ROOT, "%s: recognised as out of memory: %s%n", what, ok ? "yes" : "NO (FAIL)");
		if (ok) System.out.println("the user would read: " + DeviceMemoryErrors.translate(e,
			() -> DeviceMemoryErrors.Work.frame(target, 2048, 2048, "image_resolution")).getMessage());
		return ok ? 0 : 1;
	}
}
