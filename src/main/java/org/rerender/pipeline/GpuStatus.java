package org.rerender.pipeline;

import ai.djl.engine.Engine;
import java.util.Locale;
import org.rerender.engine.DeviceChoice;
import org.rerender.engine.Djl;
import org.rerender.engine.GpuMemory;
import org.rerender.model.nn.TorchExt;

/**
 * What the engine would run on: libtorch version, whether its natives have CUDA, the GPUs CUDA sees, the device a
 * choice resolves to with its precision (and why {@code auto} took the CPU), the device's memory, and whether the
 * fused native ops (torchext) are used or why not. One implementation for {@code bin/rerender gpu-status} and
 * {@code Plugins > Rerender > GPU Status}.
 *
 * @param memory the chosen GPU's memory, or null on the CPU
 * @param fusedOps {@code "torchext"} or {@code "composed DJL ops (why)"}
 */
public record GpuStatus(String libtorch, boolean cudaNatives, int gpus, DeviceChoice.Resolved device, GpuMemory memory,
	String fusedOps)
{
	/**
	 * Loads the PyTorch engine and resolves {@code spec} ({@code auto}, {@code cpu}, {@code cuda}, {@code cuda:N}).
	 * @throws org.rerender.engine.RerenderException for an unknown spec or an explicit GPU that cannot work
	 */
	public static GpuStatus probe(String spec) {
		return probe(spec, false);
	}

	/** As {@link #probe(String)}; {@code holdingGpu}: as {@link DeviceChoice#resolve(Engine, boolean)}. */
	public static GpuStatus probe(String spec, boolean holdingGpu) {
		DeviceChoice choice = DeviceChoice.parse(spec);
		Engine engine = Djl.engine();
		boolean cuda = engine.hasCapability("CUDA");
		int count = cuda ? engine.getGpuCount() : 0;
		DeviceChoice.Resolved r = choice.resolve(engine, holdingGpu);
		GpuMemory memory = r.device().isGpu() ? GpuMemory.read(r.device()) : null;
		String fused = TorchExt.active() ? "torchext" : "composed DJL ops (" + TorchExt.status() + ")";
		return new GpuStatus(engine.getVersion(), cuda, count, r, memory, fused);
	}

	/** One line: {@code libtorch V, CUDA natives: yes|no, GPUs: N; device: D, P[ (why)][, memory U/T GiB used]; fused ops: F}. */
	public String line() {
		return String.format(Locale.ROOT, "libtorch %s, CUDA natives: %s, GPUs: %d; device: %s%s; fused ops: %s", libtorch,
			cudaNatives ? "yes" : "no", gpus, device.describe(), memory == null ? "" : ", memory " + memory.describe(), fusedOps);
	}
}
