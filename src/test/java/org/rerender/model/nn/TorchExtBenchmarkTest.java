package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.testing.Tags;
import org.rerender.testing.ProcStatus;

/**
 * The full-size SD 1.5 shapes of the ops {@link TorchExt} fuses, on the CPU (F32), fused against composed: ms per call
 * (median of 5 after a warm-up) and the peak RSS the call adds (high-water mark reset through
 * {@code /proc/self/clear_refs} before each variant). Prints a table; asserts nothing about speed.
 */
@Tag(Tags.BENCH)
class TorchExtBenchmarkTest {
	private final List<String> rows = new ArrayList<>();

	/** Inputs of {@code shapes} made in a sub-manager per call (results and intermediates attach to it and go with it). */
	private void measure(String what, NDManager m, Shape[] shapes, Function<NDArray[], NDArray> fused, Function<NDArray[], NDArray> composed)
		throws IOException {
		StringBuilder row = new StringBuilder("| " + what);
		for (Function<NDArray[], NDArray> f : List.of(fused, composed)) {
			double[] ms = new double[5];
			long peakKb = 0;
			for (int i = -1; i < ms.length; i++) { // -1: warm-up
				try (NDManager s = m.newSubManager()) {
					NDArray[] in = new NDArray[shapes.length];
					for (int j = 0; j < in.length; j++) in[j] = s.randomNormal(shapes[j]);
					Files.writeString(Path.of("/proc/self/clear_refs"), "5"); // reset VmHWM to the current RSS
					long base = ProcStatus.kib("VmRSS");
					long t0 = System.nanoTime();
					f.apply(in).toFloatArray(); // toFloatArray: the work is complete (also on asynchronous devices)
					if (i >= 0) ms[i] = (System.nanoTime() - t0) / 1e6;
					if (i >= 0) peakKb = Math.max(peakKb, ProcStatus.kib("VmHWM") - base);
				}
			}
			java.util.Arrays.sort(ms);
			row.append(String.format(Locale.ROOT, " | %.1f | %d", ms[ms.length / 2], peakKb / 1024));
		}
		rows.add(row.append(" |").toString());
	}

	@Test
	void fullSizeShapes() throws IOException {
		Assumptions.assumeTrue(TorchExt.active(), "torchext not loaded: " + TorchExt.status());
		try (NDManager m = Djl.newCpuManager()) {
			// UNet level 1 at 512×512 (latent 64×64), CFG batch 2: 320 channels, 8 heads of 40, 4096 tokens, 77 context
			Shape act = new Shape(2, 320, 64, 64), c = new Shape(320), tokens = new Shape(2, 4096, 320), ctx = new Shape(2, 77, 320);
			measure("GroupNorm+SiLU [2,320,64,64]", m, new Shape[] {act, c, c}, a -> TorchExt.groupNorm(a[0], a[1], a[2], 32, 1e-5f, true, false),
				a -> GroupNorm.composed(a[0], a[1].reshape(320, 1, 1), a[2].reshape(320, 1, 1), 32, 1e-5f, true));
			measure("self-attention [2,4096,8×40]", m, new Shape[] {tokens, tokens, tokens}, a -> TorchExt.attention(a[0], a[1], a[2], 8),
				a -> Attention.composed(a[0], a[1], a[2], 8, Attention.DEFAULT_MAX_SCORE_ELEMENTS));
			measure("cross-attention [2,4096,8×40] × 77", m, new Shape[] {tokens, ctx, ctx}, a -> TorchExt.attention(a[0], a[1], a[2], 8),
				a -> Attention.composed(a[0], a[1], a[2], 8, Attention.DEFAULT_MAX_SCORE_ELEMENTS));
			measure("GEGLU [2,4096,2×1280]", m, new Shape[] {new Shape(2, 4096, 2 * 1280)}, a -> TorchExt.geglu(a[0]),
				a -> Functional.composedGeglu(a[0]));
		}
		System.out.println();
		System.out.println("torchext vs composed DJL ops, F32 CPU, OMP_NUM_THREADS=" + System.getenv("OMP_NUM_THREADS") + "; " + TorchExt.status());
		System.out.println("| op (SD 1.5 shapes, 512×512, CFG batch 2) | fused ms | fused peak +MiB | composed ms | composed peak +MiB |");
		System.out.println("| --- | ---: | ---: | ---: | ---: |");
		rows.forEach(System.out::println);
	}
}
