package org.rerender.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rerender.diffusion.ControlledDenoiser;
import org.rerender.model.nn.ContextKeyValues;
import org.rerender.model.nn.CrossAttention;
import org.rerender.model.nn.TorchExt;
import org.rerender.model.unet.Branch;
import org.rerender.testing.ProfiledOps;
import org.rerender.testing.TensorAssert;
import org.rerender.testing.TestDevice;
import org.rerender.testing.TinyDiffusion;
import org.rerender.testing.TinyOutputs;

/**
 * The tiny UNet and ControlNet with packed attention projections ({@value CrossAttention#PROPERTY}, the default)
 * against the same weights loaded with separate ones: every probed block, residual and ε, with the fused ops on and off;
 * and one CFG-batched denoiser call, its top-level ATen ops and the kept text-context keys/values.
 */
class FusedProjectionsTinyTest {
	/** A packed GEMM may sum in another order than three separate ones: F32 rounding, far inside the parity tolerances. */
	static final double ATOL = 1e-5, RTOL = 1e-5;
	static TinyDiffusion fused, separate;

	@BeforeAll
	static void load() throws Exception {
		fused = TinyDiffusion.withProperty(CrossAttention.PROPERTY, true);
		separate = TinyDiffusion.withProperty(CrossAttention.PROPERTY, false);
	}

	@AfterAll
	static void close() {
		if (fused != null) fused.close();
		if (separate != null) separate.close();
	}

	@ParameterizedTest
	@ValueSource(booleans = {true, false})
	void packedNetworksEqualSeparateOnes(boolean torchExt) {
		String old = System.getProperty(TorchExt.PROPERTY);
		System.setProperty(TorchExt.PROPERTY, Boolean.toString(torchExt));
		try (NDManager m = TestDevice.newManager()) {
			Map<String, float[]> a = new TreeMap<>(TinyOutputs.unet(fused, m)), b = TinyOutputs.unet(separate, m);
			Map<String, float[]> ca = TinyOutputs.controlNet(fused, m, new ArrayList<>()), cb = TinyOutputs.controlNet(separate, m, new ArrayList<>());
			ca.forEach((k, v) -> a.put("control " + k, v));
			cb.forEach((k, v) -> b.put("control " + k, v));
			float[] scales = fused.reference.floats("in.control.scales");
			a.put("controlled eps", TinyOutputs.controlledEps(fused, m, scales));
			b.put("controlled eps", TinyOutputs.controlledEps(separate, m, scales));
			double worst = 0;
			boolean bitwise = true;
			for (var e : a.entrySet()) {
				float[] want = b.get(e.getKey());
				worst = Math.max(worst, TensorAssert.assertClose(e.getKey(), e.getValue(), want, ATOL, RTOL));
				bitwise &= java.util.Arrays.equals(e.getValue(), want);
			}
			System.out.printf(Locale.ROOT, "# packed vs separate projections (torchext %s): %d tensors, max abs difference %.3g (%s)%n",
				torchExt ? "on" : "off", a.size(), worst, bitwise ? "bit for bit" : "not bit for bit");
		}
		finally {
			if (old == null) System.clearProperty(TorchExt.PROPERTY);
			else System.setProperty(TorchExt.PROPERTY, old);
		}
	}

	@Test
	void batchedCallKeepsTheTextKeysValuesAndIssuesFewerOps() {
		long[] ops = new long[2];
		float[][] eps = new float[2][];
		TinyDiffusion[] nets = {separate, fused};
		int crossLayers = -1;
		for (int i = 0; i < 2; i++) {
			TinyDiffusion t = nets[i];
			try (NDManager m = TestDevice.newManager()) {
				ControlledDenoiser d = new ControlledDenoiser(m, t.unet, t.controlNet, t.ref(m, "in.ddim.cond_context"),
					t.ref(m, "in.ddim.uncond_context"), t.ref(m, "in.ddim.hint"), null, null);
				NDArray x = t.ref(m, "in.ddim.x_T");
				try (NDManager c = m.newSubManager()) {
					d.epsBatched(x, 500, 0); // first call: computes and keeps the K/V
				}
				ContextKeyValues kv = d.contextKeyValues();
				if (i == 1) {
					crossLayers = kv.size();
					assertTrue(crossLayers > 0, "batched call kept its K/V");
					assertEquals(crossLayers, kv.misses());
				} else assertEquals(0, kv.size(), "separate projections keep nothing");
				try (NDManager c = m.newSubManager()) {
					NDArray xc = x.duplicate();
					xc.attach(c);
					NDArray[] out = new NDArray[1];
					ops[i] = ProfiledOps.during(() -> out[0] = d.epsBatched(xc, 500, 1));
					eps[i] = out[0].toFloatArray();
				}
				if (i == 1) {
					assertEquals(crossLayers, kv.hits(), "the second call reads every cross-attention layer's K/V");
					assertEquals(crossLayers, kv.misses());
					// separate CFG: each branch's context gets its own entries
					try (NDManager c = m.newSubManager()) {
						d.eps(x, 500, Branch.COND, 2);
						d.eps(x, 500, Branch.UNCOND, 2);
						d.eps(x, 500, Branch.COND, 3);
					}
					assertEquals(3 * crossLayers, kv.size());
					assertEquals(3 * crossLayers, kv.misses());
				}
			}
		}
		TensorAssert.assertClose("batched eps, packed vs separate", eps[1], eps[0], ATOL, RTOL);
		System.out.printf(Locale.ROOT, "# tiny UNet+ControlNet, CFG-batched call (torchext %s): top-level ATen ops %d separate, %d packed + kept K/V "
			+ "(%d cross-attention layers)%n", TorchExt.active() ? "on" : "off", ops[0], ops[1], crossLayers);
		assertTrue(ops[1] < ops[0], ops[1] + " ops packed, " + ops[0] + " separate");
	}
}
