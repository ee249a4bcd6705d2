package org.rerender.diffusion.rerender;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.rerender.config.Period;
import org.rerender.diffusion.DdimCallback;
import org.rerender.diffusion.NoiseSource;
import org.rerender.diffusion.RecordedNoise;
import org.rerender.diffusion.constraints.FreeU;
import org.rerender.flow.BidirectionalFlow;
import org.rerender.flow.FlowField;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.testing.StepRecorder;
import org.rerender.testing.Fixtures;
import org.rerender.testing.TensorAssert;
import org.rerender.testing.TinyDiffusion;

/**
 * The Rerender reference set (fixtures README §9) as engine inputs: settings and windows read from the files,
 * recorded noises replayed per pass, and an observer that keeps every per-step tensor for comparison.
 */
final class RerenderFixture implements AutoCloseable {

	/** Settings with every constraint on (windows that still hold a step at 2 steps) and the given step count. */
	static KeyFrameSettings allOn(int ddimSteps) {
		return KeyFrameSettings.from(org.rerender.config.RerenderConfig.builder().prompt("x").ddimSteps(ddimSteps).x0Strength(0.75)
			.crossPeriod(new Period(0, 1)).warpPeriod(new Period(0, 0.5)).adaPeriod(new Period(0.5, 1)).maskPeriod(new Period(0.2, 0.9))
			.freeuArgs(1.1, 1.2, 0.9, 0.2).build());
	}
	static final String[] STEP_KEYS = StepRecorder.KEYS;

	final TinyDiffusion tiny;
	final SafetensorsFile main, iso, stores;
	final JsonObject settings;
	final NDManager manager;
	final KeyFrameEngine engine;
	final KeyFrameEngine.Prompts prompts;
	final int width, height;

	RerenderFixture() throws Exception {
		main = SafetensorsFile.open(Fixtures.file("rerender/rerender-main.safetensors"));
		iso = SafetensorsFile.open(Fixtures.file("rerender/rerender-isolated.safetensors"));
		stores = SafetensorsFile.open(Fixtures.file("rerender/rerender-stores.safetensors"));
		settings = JsonParser.parseString(main.metadata().get("settings")).getAsJsonObject();
		tiny = new TinyDiffusion();
		manager = tiny.weights.newSubManager();
		engine = new KeyFrameEngine(new KeyFrameEngine.Models(tiny.unet, tiny.controlNet, tiny.vae), manager, DataType.FLOAT32);
		prompts = new KeyFrameEngine.Prompts(TinyDiffusion.ref(main, manager, "in.context.cond"),
			TinyDiffusion.ref(main, manager, "in.context.uncond"));
		height = settings.get("H").getAsInt();
		width = settings.get("W").getAsInt();
	}

	Period period(String name) {
		JsonArray a = settings.getAsJsonArray(name);
		return new Period(a.get(0).getAsDouble(), a.get(1).getAsDouble());
	}

	FreeU freeU(boolean on) {
		if (!on) return FreeU.IDENTITY;
		float[] f = main.floats("in.freeu_args");
		JsonArray a = settings.getAsJsonArray("freeu_args");
		assertEquals(f.length, a.size());
		return new FreeU(a.get(0).getAsDouble(), a.get(1).getAsDouble(), a.get(2).getAsDouble(), a.get(3).getAsDouble());
	}

	/** Settings with the named constraints on (cross, warp, ada, mask), others off, FreeU as given. */
	KeyFrameSettings settings(boolean freeU, boolean loose, String... on) {
		java.util.Set<String> s = java.util.Set.of(on);
		return KeyFrameSettings.of(settings.get("steps").getAsInt(), settings.get("scale").getAsDouble(),
			settings.get("control_strength").getAsDouble(), settings.get("x0_strength").getAsDouble(),
			s.contains("cross") ? period("cross_period") : Period.OFF, s.contains("warp") ? period("warp_period") : Period.OFF,
			s.contains("ada") ? period("ada_period") : Period.OFF, s.contains("mask") ? period("mask_period") : Period.OFF,
			settings.get("mask_strength").getAsDouble(), settings.get("inner_strength").getAsDouble(),
			settings.get("smooth_boundary").getAsBoolean(), loose, freeU(freeU));
	}

	KeyFrameEngine.FrameInput frame(int k) {
		long[] s = main.info("in.frame" + k).shape();
		Rgb8Image rgb = new Rgb8Image((int) s[1], (int) s[0], main.bytes("in.frame" + k));
		FloatImage hint;
		try (NDManager m = manager.newSubManager()) {
			hint = Latents.toImage(TinyDiffusion.ref(main, m, "in.hint.frame" + k));
		}
		return KeyFrameEngine.FrameInput.of(rgb, hint);
	}

	KeyFrameEngine.Flows flows() {
		BidirectionalFlow f = new BidirectionalFlow(FlowField.fromPlanar(width, height, main.floats("in.flow.fwd")),
			FlowField.fromPlanar(width, height, main.floats("in.flow.bwd")));
		return new KeyFrameEngine.Flows(f, f);
	}

	RecordedNoise.Draw draw(String name) {
		return new RecordedNoise.Draw(name, main.floats(name), new Shape(main.info(name).shape()));
	}

	List<RecordedNoise.Draw> rows(String name) {
		long[] sh = main.info(name).shape();
		float[] all = main.floats(name);
		int n = (int) sh[0];
		if (n == 0) return List.of(); // an empty mask window: pass 2 draws no q_sample(xtrg) noise
		int per = all.length / n;
		long[] rest = java.util.Arrays.copyOfRange(sh, 1, sh.length);
		List<RecordedNoise.Draw> out = new ArrayList<>();
		for (int i = 0; i < n; i++)
			out.add(new RecordedNoise.Draw(name + "[" + i + "]", java.util.Arrays.copyOfRange(all, i * per, (i + 1) * per), new Shape(rest)));
		return out;
	}

	/** Replays the recorded noises: each pass x_T, SDEdit (and the mask-step draws for pass 2). */
	final class Noise implements NoiseStreams {
		final Deque<RecordedNoise> passes = new ArrayDeque<>();
		final RecordedNoise encoder;

		Noise(List<String> encoderDraws, boolean... maskPasses) {
			// in draw order: x_T, then per step the SDEdit noise (at in.sdedit_step; -1 = never, no tensor) before
			// that step's mask-blend noise. A mask step before the SDEdit step shifts pass 2's SDEdit draw, recorded
			// as in.noise.sdedit_pass2
			int steps = main.ints("in.steps")[0], sdedit = main.ints("in.sdedit_step")[0];
			TreeSet<Integer> maskSteps = window("mask");
			for (boolean mask : maskPasses) {
				List<RecordedNoise.Draw> d = new ArrayList<>(List.of(draw("in.noise.x_T")));
				java.util.Iterator<RecordedNoise.Draw> xtrg = (mask ? rows("in.noise.xtrg") : List.<RecordedNoise.Draw>of()).iterator();
				for (int i = 0; i < steps; i++) {
					if (i == sdedit)
						d.add(draw(mask && main.tensors().containsKey("in.noise.sdedit_pass2") ? "in.noise.sdedit_pass2" : "in.noise.sdedit"));
					if (mask && maskSteps.contains(i)) d.add(xtrg.next());
				}
				if (xtrg.hasNext()) throw new AssertionError("in.noise.xtrg has more rows than in.window.mask");
				passes.add(new RecordedNoise(d));
			}
			List<RecordedNoise.Draw> e = new ArrayList<>();
			for (String n : encoderDraws) e.add(draw(n));
			encoder = new RecordedNoise(e);
		}

		@Override
		public NoiseSource samplingPass() {
			RecordedNoise r = passes.pollFirst();
			if (r == null) throw new AssertionError("more sampling passes than expected");
			return r;
		}

		@Override
		public NoiseSource encoder() {
			return encoder;
		}
	}

	/** Records every per-step tensor of every pass and every intermediate. */
	static final class Recorder implements KeyFrameObserver {
		final Map<String, Map<String, List<float[]>>> passes = new HashMap<>();
		final Map<String, float[]> latents = new HashMap<>();
		final Map<String, FloatImage> images = new HashMap<>();

		@Override
		public DdimCallback pass(String name) {
			StepRecorder recorder = new StepRecorder();
			passes.put(name, recorder.steps);
			return recorder;
		}

		@Override
		public void latent(String name, NDArray value) {
			latents.put(name, value.toFloatArray());
		}

		@Override
		public void image(String name, FloatImage value) {
			images.put(name, value.copy());
		}
	}

	/** Compares a pass's per-step tensors and its decoded image against run {@code ref} of {@code file}. */
	static void comparePass(SafetensorsFile file, String ref, Map<String, List<float[]>> got, FloatImage decoded) {
		double[][] tol = {{5e-4, 1e-4}, {1e-4, 1e-4}, {1e-4, 1e-4}, {2e-3, 1e-4}, {2e-3, 1e-4}, {5e-4, 1e-4}, {5e-4, 1e-4}};
		for (int k = 0; k < STEP_KEYS.length; k++) {
			String name = ref + "." + STEP_KEYS[k];
			float[] all = file.floats(name);
			List<float[]> rows = got.get(STEP_KEYS[k]);
			int per = all.length / rows.size();
			assertEquals(all.length, (long) per * rows.size(), name + ": step count");
			double max = 0;
			for (int i = 0; i < rows.size(); i++)
				max = Math.max(max, TensorAssert.assertClose(name + "[step " + i + "]", rows.get(i),
					java.util.Arrays.copyOfRange(all, i * per, (i + 1) * per), tol[k][0], tol[k][1]));
			log(name, max);
		}
		log(ref + ".decoded", TensorAssert.assertClose(ref + ".decoded", chw(decoded), file.floats(ref + ".decoded"), 2e-4, 1e-4));
	}

	/** An HWC image as planar CHW floats (the reference layout). */
	static float[] chw(FloatImage img) {
		int c = img.channels(), n = img.width() * img.height();
		float[] d = img.data(), out = new float[d.length];
		for (int i = 0; i < n; i++)
			for (int k = 0; k < c; k++) out[k * n + i] = d[c * i + k];
		return out;
	}

	static void log(String name, double max) {
		System.out.printf("%-44s max|diff| %.3g%n", name, max);
	}

	/** Asserts that reference runs {@code a} and {@code b} of {@code file} are bitwise equal (every per-step tensor, decoded). */
	void assertSameRun(SafetensorsFile file, String a, String b) {
		for (String k : STEP_KEYS)
			org.junit.jupiter.api.Assertions.assertArrayEquals(file.floats(a + "." + k), file.floats(b + "." + k), a + " vs " + b + "." + k);
		org.junit.jupiter.api.Assertions.assertArrayEquals(file.floats(a + ".decoded"), file.floats(b + ".decoded"), a + " vs " + b + ".decoded");
	}

	/**
	 * Pass 2 when the set's mask window is empty: the original's pass 2 ({@code pass2}) repeats its pass 1
	 * ({@code pass1}) bit for bit, and the engine runs pass 1 only, so its pass 1 and final image must match
	 * {@code pass2}. Returns whether the window was empty (and so checked); with a mask step it checks nothing.
	 */
	boolean checkedAsSinglePass(SafetensorsFile file, String pass1, String pass2, Recorder rec, FloatImage decoded) {
		if (!window("mask").isEmpty()) return false;
		assertSameRun(file, pass1, pass2);
		org.junit.jupiter.api.Assertions.assertNull(rec.passes.get("pass2"), "an empty mask window runs a single pass");
		comparePass(file, pass2, rec.passes.get("pass1"), decoded);
		return true;
	}

	/** Steps of a window as stored in {@code in.window.NAME}. */
	TreeSet<Integer> window(String name) {
		TreeSet<Integer> s = new TreeSet<>();
		for (int i : main.ints("in.window." + name)) s.add(i);
		return s;
	}

	@Override
	public void close() {
		manager.close();
		tiny.close();
		main.close();
		iso.close();
		stores.close();
	}
}
