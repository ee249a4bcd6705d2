package org.rerender.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rerender.model.unet.UNetCallContext;
import org.rerender.model.vae.AutoencoderKL;

/**
 * The tiny networks' outputs on the fixture inputs, keyed as the reference names them after their prefix
 * ({@code out.unet.}, {@code out.control.}, {@code out.vae.}; fixtures README §3, §5), and the comparison of all of
 * them: one copy for every parity test that runs the tiny models (NCHW, channels-last).
 */
public final class TinyOutputs {
	private TinyOutputs() {}

	/** Every probed UNet block and {@code eps} for {@code in.unet.*}. */
	public static Map<String, float[]> unet(TinyDiffusion tiny, NDManager m) {
		Map<String, float[]> got = new HashMap<>();
		UNetCallContext ctx = UNetCallContext.NONE.withProbe((n, a) -> got.put(n, a.toFloatArray()));
		NDArray eps = tiny.unet.forward(tiny.ref(m, "in.unet.x"), tiny.reference.ints("in.unet.timesteps"), tiny.ref(m, "in.unet.context"),
			null, ctx);
		got.put("eps", eps.toFloatArray());
		return got;
	}

	/** The ControlNet's probes, its unscaled residuals ({@code out.NN}) and {@code raw}, filled with them, for in.control.*. */
	public static Map<String, float[]> controlNet(TinyDiffusion tiny, NDManager m, List<NDArray> raw) {
		Map<String, float[]> got = new HashMap<>();
		UNetCallContext ctx = UNetCallContext.NONE.withProbe((n, a) -> got.put(n, a.toFloatArray()));
		// out.control.out.* are the residuals before scaling (fixtures README §3); out.control.eps uses in.control.scales
		raw.addAll(tiny.controlNet.forward(tiny.ref(m, "in.unet.x"), tiny.ref(m, "in.control.hint"), tiny.reference.ints("in.unet.timesteps"),
			tiny.ref(m, "in.unet.context"), null, ctx));
		// one residual per out.control.out.* (13 in SD 1.5: 12 zero convs + middle_block_out)
		long residuals = tiny.reference.tensors().keySet().stream().filter(k -> k.startsWith("out.control.out.")).count();
		assertEquals(residuals, raw.size());
		for (int i = 0; i < raw.size(); i++) got.put(String.format("out.%02d", i), raw.get(i).toFloatArray());
		return got;
	}

	/** The UNet's eps with the ControlNet's residuals scaled by {@code scales} (out.control.eps with in.control.scales). */
	public static float[] controlledEps(TinyDiffusion tiny, NDManager m, float[] scales) {
		NDArray x = tiny.ref(m, "in.unet.x"), context = tiny.ref(m, "in.unet.context");
		int[] t = tiny.reference.ints("in.unet.timesteps");
		List<NDArray> control = tiny.controlNet.forward(x, tiny.ref(m, "in.control.hint"), t, context, scales, UNetCallContext.NONE);
		return tiny.unet.forward(x, t, context, control, UNetCallContext.NONE).toFloatArray();
	}

	/** {@code moments, mean, logvar} of in.vae.image and {@code decoded} of in.vae.z. */
	public static Map<String, float[]> vae(TinyDiffusion tiny, NDManager m) {
		Map<String, float[]> got = new HashMap<>();
		NDArray image = tiny.ref(m, "in.vae.image");
		got.put("moments", tiny.vae.moments(image).toFloatArray());
		AutoencoderKL.Posterior p = tiny.vae.encode(image);
		got.put("mean", p.mean().toFloatArray());
		got.put("logvar", p.logvar().toFloatArray());
		got.put("decoded", tiny.vae.decode(tiny.ref(m, "in.vae.z")).toFloatArray());
		return got;
	}

	/** Every reference tensor named {@code prefix*} against {@code got} (keyed without the prefix); prints each difference. */
	public static void compareAll(TinyDiffusion tiny, String label, String prefix, Map<String, float[]> got, double atol, double rtol) {
		List<String> names = new ArrayList<>();
		for (String k : tiny.reference.tensors().keySet())
			if (k.startsWith(prefix)) names.add(k);
		assertFalse(names.isEmpty(), "no " + prefix + "* tensors in the reference file");
		for (String k : names) {
			float[] actual = got.get(k.substring(prefix.length()));
			assertTrue(actual != null, "no output produced for " + k);
			double d = TensorAssert.assertClose(label.isEmpty() ? k : k + " (" + label + ")", actual, tiny.reference.floats(k), atol, rtol);
			System.out.printf("%s%-28s max|diff| %.3g%n", label.isEmpty() ? "" : label + " ", k, d);
		}
	}
}
