package org.rerender.model.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.model.io.TensorDType;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;
import org.rerender.model.unet.UNetCallContext;
import org.rerender.testing.TestDevice;
import org.rerender.testing.TinyDiffusion;

/**
 * The layout really is channels-last inside (strides read back through torchext's describe), and each op on the way
 * keeps it: GroupNorm(+SiLU), convolutions (also with the CPU's channel padding), residual adds, nearest upsampling,
 * concatenation along channels; with the switch off nothing is converted.
 */
class ChannelsLastLayoutTest {
	/** Channels-last strides of [N,C,H,W]: {HWC, 1, WC, C} (a size-1 axis may have any stride). */
	static boolean isChannelsLast(NDArray a) {
		return a.getShape().dimension() == 4 && dense(a, new int[] {1, 3, 2, 0});
	}

	static boolean isRowMajor(NDArray a) {
		int n = a.getShape().dimension();
		int[] order = new int[n];
		for (int i = 0; i < n; i++) order[i] = n - 1 - i;
		return dense(a, order);
	}

	/** Whether a's strides are those of a dense tensor whose axes run fastest to slowest in {@code order}. */
	private static boolean dense(NDArray a, int[] order) {
		long[] s = TorchExt.strides(a), d = a.getShape().getShape();
		long expect = 1;
		for (int i : order) {
			if (d[i] > 1 && s[i] != expect) return false;
			expect *= d[i];
		}
		return true;
	}

	private static void requireFusedOps() {
		assumeTrue(TorchExt.loaded(), "channels-last needs libRerenderTorchExt: " + TorchExt.status());
		assumeTrue(ChannelsLast.refusal(TestDevice.device()) == null, "refused: " + ChannelsLast.refusal(TestDevice.device()));
	}

	private static TinyDiffusion load(boolean on) throws Exception {
		return TinyDiffusion.withChannelsLast(on);
	}

	@Test
	void insideTheNetworksEverything4dIsChannelsLast() throws Exception {
		requireFusedOps();
		try (TinyDiffusion tiny = load(true); NDManager m = TestDevice.newManager()) {
			assertTrue(tiny.unet.channelsLast() && tiny.controlNet.channelsLast() && tiny.vae.channelsLast());
			for (var net : List.of(tiny.unet, tiny.controlNet, tiny.vae))
				for (Map.Entry<String, Param> e : net.namedParams().entrySet())
					if (e.getValue().shape().dimension() == 4) assertTrue(isChannelsLast(e.getValue().get()), e.getKey() + " " + java.util.Arrays.toString(TorchExt.strides(e.getValue().get())));
			List<String> seen = new ArrayList<>();
			UNetCallContext probe = UNetCallContext.NONE.withProbe((n, a) -> {
				if (a.getShape().dimension() != 4) return;
				seen.add(n);
				assertTrue(isChannelsLast(a), n + " strides " + java.util.Arrays.toString(TorchExt.strides(a)) + " shape " + a.getShape());
			});
			NDArray x = tiny.ref(m, "in.unet.x");
			assertTrue(isRowMajor(x));
			int[] t = tiny.reference.ints("in.unet.timesteps");
			NDArray context = tiny.ref(m, "in.unet.context");
			List<NDArray> control = tiny.controlNet.forward(x, tiny.ref(m, "in.control.hint"), t, context, null, probe);
			for (NDArray r : control) assertTrue(isChannelsLast(r), "residual " + java.util.Arrays.toString(TorchExt.strides(r)));
			NDArray eps = tiny.unet.forward(x, t, context, control, probe);
			assertTrue(isRowMajor(eps), "ε is given back row-major");
			assertTrue(seen.contains("middle_block") && seen.stream().anyMatch(n -> n.startsWith("input_block")) && seen.contains("guided_hint"), seen.toString());
			assertTrue(isRowMajor(tiny.vae.moments(tiny.ref(m, "in.vae.image"))));
			assertTrue(isRowMajor(tiny.vae.decode(tiny.ref(m, "in.vae.z"))));
		}
	}

	@Test
	void switchedOffNothingIsConverted() throws Exception {
		assumeTrue(TorchExt.loaded(), TorchExt.status());
		try (TinyDiffusion tiny = load(false); NDManager m = TestDevice.newManager()) {
			assertFalse(tiny.unet.channelsLast() || tiny.controlNet.channelsLast() || tiny.vae.channelsLast());
			for (var net : List.of(tiny.unet, tiny.controlNet, tiny.vae))
				for (Map.Entry<String, Param> e : net.namedParams().entrySet())
					assertTrue(isRowMajor(e.getValue().get()), e.getKey());
			List<String> seen = new ArrayList<>();
			UNetCallContext probe = UNetCallContext.NONE.withProbe((n, a) -> {
				if (a.getShape().dimension() == 4 && a.getShape().get(2) * a.getShape().get(3) > 1) {
					seen.add(n);
					assertTrue(isRowMajor(a), n);
				}
			});
			tiny.unet.forward(tiny.ref(m, "in.unet.x"), tiny.reference.ints("in.unet.timesteps"), tiny.ref(m, "in.unet.context"), null, probe);
			assertFalse(seen.isEmpty());
		}
	}

	/**
	 * Off, every GroupNorm of UNet, ControlNet and VAE gets a row-major input and may not take the NHWC kernel: a
	 * changed operand order somewhere (e.g. a residual add whose first operand is channels-last) would otherwise make
	 * default runs channels-last without anyone asking.
	 */
	@Test
	void switchedOffGroupNormInputsAreRowMajor() throws Exception {
		assumeTrue(TorchExt.loaded(), TorchExt.status());
		try (TinyDiffusion tiny = load(false); NDManager m = TestDevice.newManager()) {
			for (var net : List.of(tiny.unet, tiny.controlNet, tiny.vae))
				net.visit(mod -> {
					if (mod instanceof GroupNorm g) assertFalse(g.channelsLast(), "GroupNorm of an unconverted network allows NHWC");
				});
			List<String> bad = new ArrayList<>();
			int[] seen = {0};
			GroupNorm.inputProbe = (g, a) -> {
				seen[0]++;
				if (a.getShape().dimension() == 4 && a.getShape().get(2) * a.getShape().get(3) > 1 && !isRowMajor(a))
					bad.add(a.getShape() + " strides " + java.util.Arrays.toString(TorchExt.strides(a)));
			};
			try {
				NDArray x = tiny.ref(m, "in.unet.x"), context = tiny.ref(m, "in.unet.context");
				int[] t = tiny.reference.ints("in.unet.timesteps");
				List<NDArray> control = tiny.controlNet.forward(x, tiny.ref(m, "in.control.hint"), t, context, null, UNetCallContext.NONE);
				tiny.unet.forward(x, t, context, control, UNetCallContext.NONE);
				tiny.vae.moments(tiny.ref(m, "in.vae.image"));
				tiny.vae.decode(tiny.ref(m, "in.vae.z"));
			}
			finally {
				GroupNorm.inputProbe = null;
			}
			assertTrue(seen[0] > 0, "no GroupNorm ran");
			assertTrue(bad.isEmpty(), "GroupNorm inputs not row-major with the switch off: " + bad);
		}
	}

	@Test
	void eachOpKeepsChannelsLast() {
		requireFusedOps();
		try (NDManager m = Djl.newManager(TestDevice.device())) {
			NDArray x = m.arange(2 * 64 * 6 * 5).toType(DataType.FLOAT32, false).reshape(2, 64, 6, 5).mul(0.37f).sin();
			NDArray xl = TorchExt.toChannelsLast(x);
			assertTrue(isChannelsLast(xl) && isRowMajor(x));
			assertEquals(0f, xl.sub(x).abs().max().getFloat());
			GroupNorm gn = new GroupNorm(64, 1e-5f);
			WeightLoader.randomize(gn, m, DataType.FLOAT32);
			gn.convertToChannelsLast(); // as in a converted network: on CUDA the channels-last input takes our NHWC kernel
			for (boolean silu : new boolean[] {false, true}) {
				NDArray a = silu ? gn.forwardSilu(xl) : gn.forward(xl), b = silu ? gn.forwardSilu(x) : gn.forward(x);
				assertTrue(isChannelsLast(a), "GroupNorm" + (silu ? "+SiLU" : "") + " " + java.util.Arrays.toString(TorchExt.strides(a)));
				assertTrue(a.sub(b).abs().max().getFloat() < 1e-5f);
			}
			assertTrue(isChannelsLast(xl.add(xl.mul(2f))), "residual add");
			assertTrue(isChannelsLast(Functional.silu(xl)), "SiLU");
			NDArray up = Functional.upsampleNearest2x(xl);
			assertTrue(isChannelsLast(up), "upsample nearest " + java.util.Arrays.toString(TorchExt.strides(up)));
			assertEquals(0f, up.sub(Functional.upsampleNearest2x(x)).abs().max().getFloat());
			assertTrue(isChannelsLast(NDArrays.concat(new NDList(xl, xl.neg()), 1)), "cat along channels");
			// a 3×3 conv on 20 channels: on the CPU the channel-padding workaround runs
			for (long c : new long[] {20, 64}) {
				Conv2d plain = Conv2d.k3(c, 24), cl = Conv2d.k3(c, 24);
				WeightLoader.randomize(plain, m, DataType.FLOAT32);
				for (Map.Entry<String, Param> e : plain.namedParams().entrySet())
					cl.namedParams().get(e.getKey()).set(e.getValue().get().duplicate());
				cl.convertToChannelsLast();
				assertTrue(cl.channelsLast() && isChannelsLast(cl.namedParams().get("weight").get()));
				NDArray in = x.get(":, 0:" + c), inl = TorchExt.toChannelsLast(in);
				NDArray out = cl.forward(inl), ref = plain.forward(in);
				assertNotNull(out);
				assertTrue(isChannelsLast(out), "conv " + c + " channels " + java.util.Arrays.toString(TorchExt.strides(out)));
				assertTrue(out.sub(ref).abs().max().getFloat() < 1e-4f, "conv " + c + " channels differs");
			}
		}
	}

	@Test
	void tokensAreAFreeViewOfChannelsLast() {
		requireFusedOps();
		try (NDManager m = Djl.newManager(TestDevice.device())) {
			NDArray x = m.arange(2 * 8 * 3 * 4).toType(DataType.FLOAT32, false).reshape(2, 8, 3, 4);
			NDArray xl = TorchExt.toChannelsLast(x);
			NDArray t = ChannelsLast.toTokens(xl, true);
			assertArrayEquals(new long[] {3 * 4 * 8, 8, 1}, TorchExt.strides(t), "[B,HW,C] of channels-last is contiguous as is");
			assertEquals(0f, t.sub(ChannelsLast.toTokens(x, false)).abs().max().getFloat());
			NDArray back = ChannelsLast.fromTokens(t, 2, 8, 3, 4, true);
			assertTrue(isChannelsLast(back));
			assertEquals(0f, back.sub(x).abs().max().getFloat());
			assertTrue(isRowMajor(ChannelsLast.fromTokens(ChannelsLast.toTokens(x, false), 2, 8, 3, 4, false)));
		}
	}

	/**
	 * enter/exit follow the network's own state, decided when it was loaded: switching the properties afterwards
	 * changes neither a converted network's layout nor an unconverted one's (which gets its input back as is).
	 */
	@Test
	void enterAndExitFollowTheNetworkNotTheProperties() {
		requireFusedOps();
		String oldExt = System.getProperty(TorchExt.PROPERTY), oldCl = System.getProperty(ChannelsLast.PROPERTY);
		try (NDManager m = Djl.newManager(TestDevice.device())) {
			NDArray x = m.arange(2 * 8 * 3 * 4).toType(DataType.FLOAT32, false).reshape(2, 8, 3, 4);
			Conv2d converted = Conv2d.k1(8, 8), plain = Conv2d.k1(8, 8);
			WeightLoader.randomize(converted, m, DataType.FLOAT32);
			converted.convertToChannelsLast();
			System.setProperty(TorchExt.PROPERTY, "false");
			System.setProperty(ChannelsLast.PROPERTY, "false");
			NDArray in = ChannelsLast.enter(converted, x);
			assertTrue(isChannelsLast(in), "converted network: channels-last input whatever the properties say now");
			assertEquals(0f, in.sub(x).abs().max().getFloat());
			NDArray out = ChannelsLast.exit(converted, in);
			assertTrue(isRowMajor(out));
			assertEquals(0f, out.sub(x).abs().max().getFloat());
			System.setProperty(ChannelsLast.PROPERTY, "true");
			System.clearProperty(TorchExt.PROPERTY);
			assertTrue(ChannelsLast.enter(plain, x) == x && ChannelsLast.exit(plain, x) == x, "unconverted network: x as is");
		}
		finally {
			restore(TorchExt.PROPERTY, oldExt);
			restore(ChannelsLast.PROPERTY, oldCl);
		}
	}

	private static void restore(String key, String value) {
		if (value == null) System.clearProperty(key);
		else System.setProperty(key, value);
	}

	/**
	 * A converted weight owns its memory. Loaded weights are views of their source's bytes (a mapped file, kept mapped
	 * only by the loaded NDArray), and libtorch's contiguous(ChannelsLast) returns an [O,I,1,1] weight itself: the
	 * conversion once closed the loaded NDArray and kept that alias, so after a GC unmapped the file the 1×1
	 * convolutions read freed memory (a SIGSEGV in MKL's sgemm on a later call). Here the source is a direct buffer
	 * whose weight bytes are zeroed after the conversion: the output must not change.
	 */
	@Test
	void aConvertedWeightDoesNotAliasItsSource() {
		requireFusedOps();
		for (int k : new int[] {1, 3}) {
			int in = 4, out = 3;
			Map<String, ByteBuffer> bytes = new LinkedHashMap<>();
			Map<String, TensorInfo> infos = new LinkedHashMap<>();
			long[][] shapes = {{out, in, k, k}, {out}};
			String[] names = {"weight", "bias"};
			for (int t = 0; t < 2; t++) {
				long n = 1;
				for (long d : shapes[t]) n *= d;
				ByteBuffer b = ByteBuffer.allocateDirect((int) n * 4).order(ByteOrder.LITTLE_ENDIAN);
				for (int j = 0; j < n; j++) b.putFloat(0.25f * ((j * 7 + t) % 11) - 1f);
				b.flip();
				bytes.put(names[t], b);
				infos.put(names[t], new TensorInfo(names[t], TensorDType.F32, shapes[t]));
			}
			TensorSource src = new TensorSource() {
				@Override
				public Map<String, TensorInfo> tensors() {
					return infos;
				}

				@Override
				public ByteBuffer rawData(String name) {
					return bytes.get(name).duplicate().order(ByteOrder.LITTLE_ENDIAN);
				}

				@Override
				public void close() {}
			};
			String old = System.getProperty(ChannelsLast.PROPERTY);
			System.setProperty(ChannelsLast.PROPERTY, "true");
			try (NDManager m = TestDevice.newManager()) {
				Conv2d conv = new Conv2d(in, out, k, 1, k / 2);
				WeightLoader.load(conv, src, m, DataType.FLOAT32, "test conv");
				assertTrue(ChannelsLast.apply(conv, "test conv"));
				assertTrue(isChannelsLast(conv.namedParams().get("weight").get()));
				NDArray x = m.randomNormal(new ai.djl.ndarray.types.Shape(1, in, 5, 6));
				float[] before = conv.forward(ChannelsLast.enter(conv, x)).toFloatArray();
				ByteBuffer w = bytes.get("weight"); // the bias stays a view of its source, as unconverted weights do
				for (int j = 0; j < w.capacity(); j++) w.put(j, (byte) 0);
				assertArrayEquals(before, conv.forward(ChannelsLast.enter(conv, x)).toFloatArray(), k + "x" + k + " weight aliases its source");
			}
			finally {
				if (old == null) System.clearProperty(ChannelsLast.PROPERTY);
				else System.setProperty(ChannelsLast.PROPERTY, old);
			}
		}
	}
}
