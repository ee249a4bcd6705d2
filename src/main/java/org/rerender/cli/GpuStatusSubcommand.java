package org.rerender.cli;

import org.rerender.pipeline.GpuStatus;

/** {@code rerender gpu-status [--device auto|cpu|cuda:N]}: which device and precision the engine would use. */
public final class GpuStatusSubcommand implements Subcommand {
	@Override
	public String name() {
		return "gpu-status";
	}

	@Override
	public String summary() {
		return "Show the device, GPU memory and precision the engine would use";
	}

	@Override
	public String help() {
		return "Usage: rerender gpu-status [--device auto|cpu|cuda|cuda:N]\n"
			+ "Loads the PyTorch engine and prints one line: libtorch version, whether its natives have CUDA, the GPUs\n"
			+ "CUDA sees, the chosen device with its memory (used/total, device-wide) and precision (F16 on CUDA,\n"
			+ "F32 on the CPU), and whether the fused native ops (torchext) are used or why not. With auto and no usable\n"
			+ "GPU (no CUDA natives, no GPU, too little free memory) it says why the CPU was chosen. README, section GPU,\n"
			+ "says how to give DJL CUDA natives. In Fiji: Plugins > Rerender > GPU Status.";
	}

	@Override
	public int run(String[] args) throws Exception {
		String spec = "auto";
		for (int i = 0; i < args.length; i++) {
			if (args[i].equals("--device") && i + 1 < args.length) spec = args[++i];
			else throw new UsageException("Unknown option " + args[i] + "\n" + help());
		}
		System.out.println(GpuStatus.probe(spec).line());
		return 0;
	}
}
