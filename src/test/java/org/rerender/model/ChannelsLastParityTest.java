package org.rerender.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.model.nn.ChannelsLast;
import org.rerender.model.nn.TorchExt;
import org.rerender.model.unet.UNetCallContext;
import org.rerender.model.vae.AutoencoderKL;
import org.rerender.testing.TensorAssert;
import org.rerender.testing.TestDevice;
import org.rerender.testing.TinyDiffusion;

/**
 * The tiny UNet, ControlNet and VAE loaded with {@code rerender.channelslast=true} against every {@code out.unet.*},
 * {@code out.control.*} and {@code out.vae.*} reference tensor, within the tolerances of UNetParityTest and
 * VaeParityTest (fixtures README §3, §5). Sizes and settings come from the fixture files. Needs the fused ops
 * (channels-last is refused without them: then this only checks that the refusal left the networks NCHW).
 */
class ChannelsLastParityTest {
	static final double ATOL = 1e-4, RTOL = 1e-4;
	static TinyDiffusion tiny;

	@BeforeAll
	static void load() throws Exception {
		String old = System.getProperty(ChannelsLast.PROPERTY);
		System.setProperty(ChannelsLast.PROPERTY, "true");
		try {
			tiny = new TinyDiffusion();
		}
		finally {
			if (old == null) System.clearProperty(ChannelsLast.PROPERTY);
			else System.setProperty(ChannelsLast.PROPERTY, old);
		}
	}

	@AfterAll
	static void close() {
		if (tiny != null) tiny.close();
	}

	@Test
	void networksAreChannelsLastWhenTheFusedOpsAreThere() {
		boolean expected = ChannelsLast.refusal(TestDevice.device()) == null;
		assertEquals(TorchExt.loaded() && expected, tiny.unet.channelsLast(), "UNet: " + ChannelsLast.refusal(TestDevice.device()));
		assertEquals(tiny.unet.channelsLast(), tiny.controlNet.channelsLast());
		assertEquals(tiny.unet.channelsLast(), tiny.vae.channelsLast());
	}

	private static void compareAll(String prefix, Map<String, float[]> got, double atol, double rtol) {
		List<String> names = new ArrayList<>();
		for (String k : tiny.reference.tensors().keySet())
			if (k.startsWith(prefix)) names.add(k);
		assertFalse(names.isEmpty(), "no " + prefix + "* tensors in the reference file");
		for (String k : names) {
			float[] actual = got.get(k.substring(prefix.length()));
			assertTrue(actual != null, "no output produced for " + k);
			double d = TensorAssert.assertClose(k + " (channels-last)", actual, tiny.reference.floats(k), atol, rtol);
			System.out.printf("channels-last %-28s max|diff| %.3g%n", k, d);
		}
	}

	@Test
	void unetBlocksAndEps() {
		try (NDManager m = TestDevice.newManager()) {
			Map<String, float[]> got = new HashMap<>();
			UNetCallContext ctx = UNetCallContext.NONE.withProbe((n, a) -> got.put(n, a.toFloatArray()));
			NDArray eps = tiny.unet.forward(tiny.ref(m, "in.unet.x"), tiny.reference.ints("in.unet.timesteps"),
				tiny.ref(m, "in.unet.context"), null, ctx);
			got.put("eps", eps.toFloatArray());
			compareAll("out.unet.", got, ATOL, RTOL);
		}
	}

	@Test
	void controlResidualsAndControlledEps() {
		try (NDManager m = TestDevice.newManager()) {
			Map<String, float[]> got = new HashMap<>();
			NDArray x = tiny.ref(m, "in.unet.x");
			int[] t = tiny.reference.ints("in.unet.timesteps");
			NDArray context = tiny.ref(m, "in.unet.context");
			NDArray hint = tiny.ref(m, "in.control.hint");
			List<NDArray> raw = tiny.controlNet.forward(x, hint, t, context, null,
				UNetCallContext.NONE.withProbe((n, a) -> got.put(n, a.toFloatArray())));
			long residuals = tiny.reference.tensors().keySet().stream().filter(k -> k.startsWith("out.control.out.")).count();
			assertEquals(residuals, raw.size());
			for (int i = 0; i < raw.size(); i++) got.put(String.format("out.%02d", i), raw.get(i).toFloatArray());
			List<NDArray> control = tiny.controlNet.forward(x, hint, t, context, tiny.reference.floats("in.control.scales"), UNetCallContext.NONE);
			got.put("eps", tiny.unet.forward(x, t, context, control, UNetCallContext.NONE).toFloatArray());
			compareAll("out.control.", got, ATOL, RTOL);
		}
	}

	@Test
	void vaeEncodeAndDecode() {
		try (NDManager m = TestDevice.newManager()) {
			Map<String, float[]> got = new HashMap<>();
			NDArray image = tiny.ref(m, "in.vae.image");
			got.put("moments", tiny.vae.moments(image).toFloatArray());
			AutoencoderKL.Posterior p = tiny.vae.encode(image);
			got.put("mean", p.mean().toFloatArray());
			got.put("logvar", p.logvar().toFloatArray());
			got.put("decoded", tiny.vae.decode(tiny.ref(m, "in.vae.z")).toFloatArray());
			compareAll("out.vae.", got, 1e-4, 1e-4);
		}
	}
}
