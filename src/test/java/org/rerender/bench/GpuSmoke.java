package org.rerender.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.util.cuda.CudaUtils;

import java.lang.management.MemoryUsage;
import java.util.Locale;

import org.rerender.engine.Djl;

/**
 * GPU smoke test of DJL's PyTorch engine (run by {@code bench/gpu/run.sh} on the GPU machine, not by Maven):
 * matmul, conv2d and softmax on {@code cuda:N} in F32 and F16 against the CPU's F32 result, the JNI cost of one
 * tiny op on CPU and GPU, and the F16 GEMM rate reached through DJL. Exits non-zero if a check fails.
 *
 * <pre>java -cp ... org.rerender.bench.GpuSmoke [cuda:0]</pre>
 */
public final class GpuSmoke {
	private GpuSmoke() {}

	public static void main(String[] args) {
		Device gpu = BenchDevices.parse(args.length > 0 ? args[0] : "cuda:0");
		Engine engine = Djl.engine();
		System.out.printf(Locale.ROOT, "engine %s %s, CUDA capability %s, CudaUtils GPUs %d%n", engine.getEngineName(),
			engine.getVersion(), engine.hasCapability("CUDA"), CudaUtils.getGpuCount());
		int failures = 0;
		try (NDManager cpu = Djl.newCpuManager()) {
			engine.setRandomSeed(1);
			NDArray a = cpu.randomNormal(new Shape(384, 768)), b = cpu.randomNormal(new Shape(768, 320));
			NDArray x = cpu.randomNormal(new Shape(2, 64, 32, 32)), w = cpu.randomNormal(0, 0.05f, new Shape(96, 64, 3, 3), DataType.FLOAT32);
			NDArray bias = cpu.randomNormal(new Shape(96));
			NDArray s = cpu.randomNormal(0, 4, new Shape(8, 77, 77), DataType.FLOAT32);
			NDArray mmRef = a.matMul(b), convRef = conv(x, w, bias), smRef = s.softmax(-1);
			for (DataType dt : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
				// F32 on CUDA: matmul is exact F32 in PyTorch's default, cuDNN convolutions may use TF32 (~3e-4).
				double tol = dt == DataType.FLOAT32 ? 2e-3 : 6e-3;
				failures += check("matmul", dt, tol, mmRef, on(a, gpu, dt).matMul(on(b, gpu, dt)));
				failures += check("conv2d 3x3", dt, tol, convRef, conv(on(x, gpu, dt), on(w, gpu, dt), on(bias, gpu, dt)));
				failures += check("softmax", dt, tol, smRef, on(s, gpu, dt).softmax(-1));
			}
			System.out.printf(Locale.ROOT, "JNI cost of one tiny op (add + free), CPU: %.2f us%n", perOpMicros(cpu, Device.cpu()));
			System.out.printf(Locale.ROOT, "JNI cost of one tiny op (add + free), %s: %.2f us%n", gpu, perOpMicros(cpu, gpu));
			if (gpu.isGpu()) {
				System.out.printf(Locale.ROOT, "F16 GEMM 8192^3 through DJL on %s: %.0f TFLOP/s%n", gpu, gemmTflops(cpu, gpu));
				try {
					MemoryUsage mu = CudaUtils.getGpuMemory(gpu);
					System.out.printf(Locale.ROOT, "cudaMemGetInfo (device-wide): used %.2f GiB of %.2f GiB%n", mu.getUsed() / GIB,
						mu.getMax() / GIB);
				}
				catch (RuntimeException | LinkageError e) {
					System.out.println("cudaMemGetInfo through DJL's CudaUtils failed: " + e);
				}
			}
		}
		System.out.println(failures == 0 ? "GPU smoke: PASS" : "GPU smoke: FAIL (" + failures + ")");
		System.exit(failures == 0 ? 0 : 1);
	}

	static final double GIB = 1024.0 * 1024 * 1024;

	private static NDArray on(NDArray a, Device d, DataType dt) {
		return a.toDevice(d, true).toType(dt, false);
	}

	private static NDArray conv(NDArray x, NDArray w, NDArray b) {
		return x.getNDArrayInternal().convolution(x, w, b, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1).singletonOrThrow();
	}

	private static int check(String what, DataType dt, double tol, NDArray ref, NDArray got) {
		NDArray g = got.toDevice(Device.cpu(), true).toType(DataType.FLOAT32, false);
		double err = g.sub(ref).norm().getFloat() / ref.norm().getFloat();
		boolean finite = !g.isNaN().any().getBoolean() && !g.isInfinite().any().getBoolean();
		boolean ok = finite && err <= tol;
		System.out.printf(Locale.ROOT, "%-10s %-8s on %-6s rel.err %.2e (tol %.0e) %s%n", what, dt, got.getDevice(), err, tol,
			ok ? "ok" : "FAIL");
		return ok ? 0 : 1;
	}

	/** Microseconds per (tiny add + free), i.e. the per-op cost of the op-by-op path when the op itself is free. */
	static double perOpMicros(NDManager m, Device d) {
		NDArray t = m.ones(new Shape(16)).toDevice(d, true);
		int n = 20000;
		for (int rep = 0; rep < 2; rep++) {
			long t0 = System.nanoTime();
			for (int i = 0; i < n; i++) t.add(1f).close();
			t.sum().getFloat(); // synchronises the device
			if (rep == 1) return (System.nanoTime() - t0) / 1e3 / n;
		}
		throw new AssertionError();
	}

	static double gemmTflops(NDManager m, Device d) {
		int n = 8192;
		try (NDManager g = m.newSubManager(d)) {
			NDArray a = g.randomNormal(0, 1, new Shape(n, n), DataType.FLOAT16), b = g.randomNormal(0, 1, new Shape(n, n), DataType.FLOAT16);
			for (int i = 0; i < 3; i++) a.matMul(b).close();
			a.get(0, 0).getFloat(); // sync
			int reps = 20;
			long t0 = System.nanoTime();
			NDArray last = null;
			for (int i = 0; i < reps; i++) {
				if (last != null) last.close();
				last = a.matMul(b);
			}
			last.get(0, 0).toType(DataType.FLOAT32, false).getFloat();
			return reps * 2.0 * n * n * n / ((System.nanoTime() - t0) / 1e9) / 1e12;
		}
	}
}
