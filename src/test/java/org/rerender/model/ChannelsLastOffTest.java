package org.rerender.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.rerender.engine.Djl;
import org.rerender.model.nn.TorchExt;
import org.rerender.model.unet.UNetCallContext;
import org.rerender.testing.TestDevice;
import org.rerender.testing.TinyDiffusion;
import org.rerender.testing.TinyDiffusionExtension;
import org.rerender.testing.TorchExtSwitch;

/**
 * With {@code rerender.channelslast} off the tiny UNet, ControlNet and VAE give bit for bit what they gave before the
 * switch existed: SHA-256 digests of their outputs on the fixture inputs, recorded at commit 24462e2 (before any
 * channels-last code) in {@code channelslast-off-digests.properties}, per machine fingerprint (libtorch version, CPU
 * model, core count, fused ops on/off), since float results depend on the CPU's kernels. On a machine with no recorded
 * digests the test is skipped (it says so); {@code -Drerender.record.digests=true} records them into the source tree.
 */
@ExtendWith(TinyDiffusionExtension.class)
class ChannelsLastOffTest {
	static TinyDiffusion tiny; // loaded by TinyDiffusionExtension
	private static final String FILE = "channelslast-off-digests.properties";

	@Test
	void switchOffIsBitIdenticalToBefore() throws IOException {
		String old = System.getProperty("rerender.channelslast");
		System.setProperty("rerender.channelslast", "false");
		try {
			for (boolean ext : new boolean[] {true, false}) {
				if (ext && !TorchExt.loaded()) continue;
				TorchExtSwitch.with(ext, () -> check(fingerprint(ext)));
			}
		}
		finally {
			if (old == null) System.clearProperty("rerender.channelslast");
			else System.setProperty("rerender.channelslast", old);
		}
	}

	private static void check(String fingerprint) throws IOException {
		Map<String, String> got = digests();
		Properties recorded = new Properties();
		boolean record = Boolean.getBoolean("rerender.record.digests");
		Path src = Path.of("src/test/resources/org/rerender/model", FILE);
		try (InputStream in = record && Files.exists(src) ? Files.newInputStream(src) : ChannelsLastOffTest.class.getResourceAsStream(FILE)) {
			if (in != null) recorded.load(in);
		}
		if (record) {
			got.forEach((k, v) -> recorded.setProperty(fingerprint + "|" + k, v));
			Files.createDirectories(src.getParent());
			Map<String, String> sorted = new TreeMap<>();
			recorded.forEach((k, v) -> sorted.put((String) k, (String) v));
			try (Writer w = Files.newBufferedWriter(src, StandardCharsets.UTF_8)) {
				w.write("# ChannelsLastOffTest: sha256 of tiny-model outputs, switch off, per machine fingerprint\n");
				for (Map.Entry<String, String> e : sorted.entrySet())
					w.write(e.getKey().replace(" ", "\\ ").replace(":", "\\:").replace("=", "\\=") + "=" + e.getValue() + "\n");
			}
			System.out.println("recorded " + got.size() + " digests for " + fingerprint + " in " + src);
			return;
		}
		boolean known = recorded.stringPropertyNames().stream().anyMatch(k -> k.startsWith(fingerprint + "|"));
		assumeTrue(known, "no digests recorded for this machine (" + fingerprint + "); record with -Drerender.record.digests=true at a commit before the change");
		for (Map.Entry<String, String> e : got.entrySet())
			assertEquals(recorded.getProperty(fingerprint + "|" + e.getKey()), e.getValue(), e.getKey() + " on " + fingerprint);
		System.out.println(got.size() + " outputs bit-identical to the recorded ones (" + fingerprint + ")");
	}

	/** Every output a parity test reads, by name, as the SHA-256 of its F32 values. */
	private static Map<String, String> digests() {
		Map<String, String> out = new LinkedHashMap<>();
		try (NDManager m = TestDevice.newManager()) {
			NDArray x = tiny.ref(m, "in.unet.x");
			int[] t = tiny.reference.ints("in.unet.timesteps");
			NDArray context = tiny.ref(m, "in.unet.context");
			UNetCallContext probe = UNetCallContext.NONE.withProbe((n, a) -> out.put("unet." + n, sha(a)));
			out.put("unet.eps", sha(tiny.unet.forward(x, t, context, null, probe)));
			NDArray hint = tiny.ref(m, "in.control.hint");
			List<NDArray> control = tiny.controlNet.forward(x, hint, t, context, tiny.reference.floats("in.control.scales"),
				UNetCallContext.NONE);
			for (int i = 0; i < control.size(); i++) out.put("control." + i, sha(control.get(i)));
			out.put("control.eps", sha(tiny.unet.forward(x, t, context, control, UNetCallContext.NONE)));
			NDArray image = tiny.ref(m, "in.vae.image");
			out.put("vae.moments", sha(tiny.vae.moments(image)));
			out.put("vae.decoded", sha(tiny.vae.decode(tiny.ref(m, "in.vae.z"))));
		}
		return out;
	}

	private static String sha(NDArray a) {
		float[] f = a.toFloatArray();
		ByteBuffer b = ByteBuffer.allocate(4 * f.length).order(ByteOrder.LITTLE_ENDIAN);
		b.asFloatBuffer().put(f);
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.array())).substring(0, 32);
		}
		catch (NoSuchAlgorithmException e) {
			throw new IllegalStateException(e);
		}
	}

	/** What the float results depend on here: libtorch, the CPU and its core count, fused ops or composed. */
	static String fingerprint(boolean torchext) {
		String cpu = "unknown-cpu";
		try (Reader r = Files.newBufferedReader(Path.of("/proc/cpuinfo"))) {
			cpu = new java.io.BufferedReader(r).lines().filter(l -> l.startsWith("model name")).findFirst()
				.map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse(cpu);
		}
		catch (IOException e) {
			// keep unknown-cpu
		}
		return "libtorch " + Djl.engine().getVersion() + ", " + cpu.replace('|', '/') + ", " + Runtime.getRuntime().availableProcessors()
			+ " cores, " + TestDevice.device() + ", " + (torchext ? "torchext" : "composed");
	}
}
