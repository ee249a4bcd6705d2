package org.rerender.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.model.nn.ChannelsLast;
import org.rerender.model.nn.TorchExt;
import org.rerender.testing.TestDevice;
import org.rerender.testing.TinyDiffusion;
import org.rerender.testing.TinyOutputs;

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
		tiny = TinyDiffusion.withChannelsLast(true);
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

	@Test
	void unetBlocksAndEps() {
		try (NDManager m = TestDevice.newManager()) {
			TinyOutputs.compareAll(tiny, "channels-last", "out.unet.", TinyOutputs.unet(tiny, m), ATOL, RTOL);
		}
	}

	@Test
	void controlResidualsAndControlledEps() {
		try (NDManager m = TestDevice.newManager()) {
			Map<String, float[]> got = TinyOutputs.controlNet(tiny, m, new ArrayList<>());
			got.put("eps", TinyOutputs.controlledEps(tiny, m, tiny.reference.floats("in.control.scales")));
			TinyOutputs.compareAll(tiny, "channels-last", "out.control.", got, ATOL, RTOL);
		}
	}

	@Test
	void vaeEncodeAndDecode() {
		try (NDManager m = TestDevice.newManager()) {
			TinyOutputs.compareAll(tiny, "channels-last", "out.vae.", TinyOutputs.vae(tiny, m), 1e-4, 1e-4);
		}
	}
}
