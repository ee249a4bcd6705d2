package org.rerender.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.RerenderException;
import org.rerender.testing.Fixtures;

class TorchCheckpointTest {

	@TempDir
	Path tmp;

	/** Reads a {@code name<TAB>dtype<TAB>shape} manifest. */
	static Map<String, long[]> manifest(Path file) throws IOException {
		Map<String, long[]> m = new LinkedHashMap<>();
		for (String line : Files.readAllLines(file)) {
			if (line.isBlank()) continue;
			String[] f = line.split("\t");
			m.put(f[0], f.length < 3 || f[2].isEmpty() ? new long[0]
				: Arrays.stream(f[2].split(",")).mapToLong(Long::parseLong).toArray());
		}
		return m;
	}

	@Test
	void tinyHedMatchesTheManifestNamesAndTheRawStorages() throws IOException {
		Path f = Fixtures.file("hed/tiny-hed.pth");
		Map<String, long[]> full = manifest(Fixtures.file("hed/controlnet-hed.keys.txt"));
		try (TorchCheckpoint c = TorchCheckpoint.open(f); ZipFile zip = new ZipFile(f.toFile())) {
			assertEquals(new ArrayList<>(full.keySet()), new ArrayList<>(c.tensors().keySet()));
			for (TensorInfo t : c.tensors().values()) {
				assertEquals(TensorDType.F32, t.dtype());
				assertEquals(full.get(t.name()).length, t.shape().length, t.name());
			}
			assertArrayEquals(new long[] {1, 3, 1, 1}, c.info("norm").shape());
			// Independent path: java.util.zip reads storage 1 (block1.convs.0.weight, contiguous, offset 0).
			float[] viaReader = c.floats("block1.convs.0.weight");
			float[] viaZip;
			try (InputStream in = zip.getInputStream(zip.getEntry("tiny-hed/data/1"))) {
				ByteBuffer b = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
				viaZip = new float[b.remaining() / 4];
				b.asFloatBuffer().get(viaZip);
			}
			assertArrayEquals(viaZip, viaReader);
		}
	}

	@Test
	void tinyGmflowUnwrapsTheModelEntry() throws IOException {
		Map<String, long[]> full = manifest(Fixtures.file("gmflow/gmflow.keys.txt"));
		// the tiny keys are the full manifest's minus the transformer blocks beyond the tiny layer count (README §8),
		// which another reference set may choose differently: it is read from the set's config
		JsonObject config = JsonParser.parseString(Files.readString(Fixtures.file("gmflow/tiny-gmflow-config.json"))).getAsJsonObject();
		int layers = config.getAsJsonObject("tiny").get("num_transformer_layers").getAsInt();
		// the upsampler keeps GMFlow's hard-coded 256 hidden channels unless the set says otherwise (tools/refgen)
		long hidden = config.has("tiny_upsampler_hidden") ? config.get("tiny_upsampler_hidden").getAsLong() : 256;
		List<String> expected = new ArrayList<>();
		for (String k : full.keySet()) {
			Matcher block = Pattern.compile("transformer\\.layers\\.(\\d+)\\..*").matcher(k);
			if (!block.matches() || Integer.parseInt(block.group(1)) < layers) expected.add(k);
		}
		assertTrue(layers >= 1 && expected.size() < full.size(), "tiny GMFlow has " + layers + " transformer blocks");
		try (TorchCheckpoint c = TorchCheckpoint.open(Fixtures.file("gmflow/tiny-gmflow.pth"))) {
			assertEquals(List.of("model"), c.topLevelKeys());
			assertEquals(expected, new ArrayList<>(c.entry("model").tensors().keySet()));
			assertEquals(expected, new ArrayList<>(c.stateDict().tensors().keySet()));
			assertTrue(c.tensors().containsKey("model.backbone.conv1.weight"));
			long[] up2 = full.get("upsampler.2.weight").clone();
			up2[1] = hidden;
			assertArrayEquals(up2, c.entry("model").info("upsampler.2.weight").shape());
		}
		try (TensorSource s = Checkpoints.open(Fixtures.file("gmflow/tiny-gmflow.pth"))) {
			assertEquals(expected, new ArrayList<>(s.tensors().keySet()));
		}
	}

	/** A transposed view with a storage offset, an F16 tensor, a Parameter and a nested dict. */
	@Test
	void stridedOffsetViewsAreMaterialisedContiguously() throws IOException {
		float[] storage = {100, 0, 1, 2, 3, 4, 5};
		ByteBuffer half = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3c00).putShort((short) 0xc000);
		PickleWriter q = new PickleWriter().proto(2).emptyDict().mark();
		q.str("epoch").integer(7);
		q.str("state_dict").emptyDict().mark();
		q.str("t").tensor("FloatStorage", "0", 7, 1, new long[] {2, 3}, new long[] {1, 2});
		q.str("c").tensor("FloatStorage", "0", 7, 3, new long[] {3}, new long[] {1});
		q.str("h").tensor("HalfStorage", "1", 2, 0, new long[] {2}, new long[] {1});
		q.str("sub").emptyDict().str("w").global("torch._utils", "_rebuild_parameter").mark()
			.tensor("FloatStorage", "0", 7, 0, new long[] {1, 1}, new long[] {1, 1}).op(0x88)
			.global("collections", "OrderedDict").op(')').reduce().tuple().reduce().setitem();
		q.op('u').op('u').stop();
		Path f = PickleWriter.torchZip(tmp.resolve("strided.pth"), q.bytes(),
			Map.of("0", PickleWriter.floats(storage), "1", half.array()));
		try (TorchCheckpoint c = TorchCheckpoint.open(f)) {
			assertEquals(List.of("epoch", "state_dict"), c.topLevelKeys());
			TorchCheckpoint sd = c.stateDict();
			assertEquals(List.of("t", "c", "h", "sub.w"), new ArrayList<>(sd.tensors().keySet()));
			assertArrayEquals(new float[] {0, 2, 4, 1, 3, 5}, sd.floats("t"));
			assertArrayEquals(new long[] {2, 3}, sd.info("t").shape());
			assertArrayEquals(new float[] {2, 3, 4}, sd.floats("c"));
			assertArrayEquals(new float[] {1, -2}, sd.floats("h"));
			assertEquals(TensorDType.F16, sd.info("h").dtype());
			assertArrayEquals(new float[] {100}, sd.floats("sub.w"));
			assertArrayEquals(new float[] {0, 2, 4, 1, 3, 5}, c.floats("state_dict.t"));
		}
	}

	@Test
	void protocolFourOpcodesAreAccepted() throws IOException {
		PickleWriter p = new PickleWriter().proto(4).op(0x95);
		for (int i = 0; i < 8; i++) p.op(0); // FRAME length (ignored)
		p.op('}').op(0x94).op('(').shortStr("w").op(0x94);
		p.shortStr("torch._utils").shortStr("_rebuild_tensor_v2").op(0x93).op(0x94).op('(');
		p.op('(').shortStr("storage").shortStr("torch").shortStr("FloatStorage").op(0x93).shortStr("0").shortStr("cpu").integer(2)
			.op('t').op('Q').integer(0).integer(2).op(0x85).integer(1).op(0x85).op(0x89)
			.shortStr("collections").shortStr("OrderedDict").op(0x93).op(')').reduce().op('t').reduce();
		p.op('u').stop();
		Path f = PickleWriter.torchZip(tmp.resolve("p4.pth"), p.bytes(), Map.of("0", PickleWriter.floats(7, 8)));
		try (TensorSource s = Checkpoints.open(f)) {
			assertArrayEquals(new float[] {7, 8}, s.floats("w"));
		}
	}

	private RerenderException refused(byte[] pickle) throws IOException {
		Path f = PickleWriter.torchZip(tmp.resolve("evil.pth"), pickle, Map.of());
		return assertThrows(RerenderException.class, () -> Checkpoints.open(f).close());
	}

	@Test
	void osSystemGlobalIsRefusedByName() throws IOException {
		Path marker = tmp.resolve("pwned");
		byte[] evil = new PickleWriter().proto(2).global("os", "system").mark().str("touch " + marker).tuple().reduce()
			.stop().bytes();
		RerenderException e = refused(evil);
		assertTrue(e.getMessage().contains("os.system"), e.getMessage());
		assertFalse(Files.exists(marker));
	}

	@Test
	void stackGlobalEvalIsRefused() throws IOException {
		byte[] evil = new PickleWriter().proto(4).shortStr("builtins").shortStr("eval").op(0x93)
			.mark().shortStr("1+1").tuple().reduce().stop().bytes();
		assertTrue(refused(evil).getMessage().contains("builtins.eval"));
	}

	@Test
	void reduceOfAnUnknownClassIsRefused() throws IOException {
		// what pickle writes for an object whose __reduce__ returns (__main__.Payload, ())
		byte[] evil = new PickleWriter().proto(2).op('}').str("x").global("__main__", "Payload").op(')').reduce()
			.setitem().stop().bytes();
		assertTrue(refused(evil).getMessage().contains("__main__.Payload"));
	}

	@Test
	void objectBuildingOpcodesAreRefused() throws IOException {
		// NEWOBJ on an (allowed) global: still refused, nothing is instantiated
		byte[] evil = new PickleWriter().proto(2).global("collections", "OrderedDict").op(')').op(0x81).stop().bytes();
		assertTrue(refused(evil).getMessage().contains("NEWOBJ"));
		// a whitelisted storage type called as a function
		byte[] call = new PickleWriter().proto(2).global("torch", "FloatStorage").op(')').reduce().stop().bytes();
		assertTrue(refused(call).getMessage().contains("torch.FloatStorage"));
	}

	@Test
	void truncatedPickleIsAnError() throws IOException {
		byte[] ok = new PickleWriter().proto(2).op('}').str("abc").integer(1).setitem().stop().bytes();
		RerenderException e = refused(Arrays.copyOf(ok, ok.length - 4));
		assertTrue(e.getMessage().contains("truncated") || e.getMessage().contains("malformed"), e.getMessage());
	}

	@Test
	void truncatedZipNonZipLegacyAndEmptyFilesGiveClearErrors() throws IOException {
		byte[] hed = Files.readAllBytes(Fixtures.file("hed/tiny-hed.pth"));
		Path cut = Files.write(tmp.resolve("cut.pth"), Arrays.copyOf(hed, hed.length / 2));
		RerenderException e = assertThrows(RerenderException.class, () -> Checkpoints.open(cut));
		assertTrue(e.getMessage().contains("truncated"), e.getMessage());

		Path junk = Files.writeString(tmp.resolve("junk.ckpt"), "<html>404 not found</html>");
		e = assertThrows(RerenderException.class, () -> Checkpoints.open(junk));
		assertTrue(e.getMessage().contains("neither"), e.getMessage());

		byte[] legacy = {(byte) 0x80, 2, (byte) 0x8a, 10, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a,
			(byte) 0xa8, 0x50, 0x19, 0x2e};
		Path old = Files.write(tmp.resolve("old.pth"), legacy);
		e = assertThrows(RerenderException.class, () -> Checkpoints.open(old));
		assertTrue(e.getMessage().contains("legacy"), e.getMessage());

		Path empty = Files.write(tmp.resolve("empty.ckpt"), new byte[0]);
		e = assertThrows(RerenderException.class, () -> Checkpoints.open(empty));
		assertTrue(e.getMessage().contains("empty"), e.getMessage());

		e = assertThrows(RerenderException.class, () -> Checkpoints.open(tmp.resolve("missing.ckpt")));
		assertTrue(e.getMessage().startsWith("File not found"), e.getMessage());
	}

	@Test
	void safetensorsIsDetectedByContent() {
		try (TensorSource s = Checkpoints.open(Fixtures.file("tiny-controlnet.safetensors"))) {
			assertInstanceOf(SafetensorsFile.class, s);
			assertTrue(s.tensors().keySet().stream().allMatch(k -> k.startsWith("control_model.")));
		}
	}

	@Test
	void missingStorageRecordIsReported() throws IOException {
		PickleWriter p = new PickleWriter().proto(2).op('}').str("w")
			.tensor("FloatStorage", "9", 2, 0, new long[] {2}, new long[] {1}).setitem().stop();
		Path f = PickleWriter.torchZip(tmp.resolve("nostorage.pth"), p.bytes(), Map.of("0", PickleWriter.floats(1, 2)));
		RerenderException e = assertThrows(RerenderException.class, () -> Checkpoints.open(f));
		assertTrue(e.getMessage().contains("'w'"), e.getMessage());
	}

	/** A safetensors header of 1152 bytes starts with 0x80 0x04, like a pickle: content detection must not be fooled. */
	@Test
	void safetensorsWhoseLengthLooksLikeAPickleIsStillSafetensors() throws IOException {
		StringBuilder h = new StringBuilder("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}");
		while (h.length() < 1152) h.append(' ');
		byte[] hb = h.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
		ByteBuffer b = ByteBuffer.allocate(8 + hb.length + 4).order(ByteOrder.LITTLE_ENDIAN);
		b.putLong(hb.length).put(hb).putFloat(2.5f);
		Path f = Files.write(tmp.resolve("x.bin"), b.array());
		assertEquals(Checkpoints.Format.SAFETENSORS, Checkpoints.detect(f));
		try (TensorSource s = Checkpoints.open(f)) {
			assertArrayEquals(new float[] {2.5f}, s.floats("w"));
		}
	}

	/** 70,000 records force the ZIP64 end-of-central-directory form. */
	@Test
	void zip64ArchivesAreRead() throws IOException {
		PickleWriter p = new PickleWriter().proto(2).op('}').str("w")
			.tensor("FloatStorage", "69999", 2, 0, new long[] {2}, new long[] {1}).setitem().stop();
		Map<String, byte[]> storages = new LinkedHashMap<>();
		for (int i = 0; i < 70_000; i++) storages.put(Integer.toString(i), i == 69_999 ? PickleWriter.floats(3, 4) : new byte[0]);
		Path f = PickleWriter.torchZip(tmp.resolve("z64.pth"), p.bytes(), storages);
		try (TensorSource s = Checkpoints.open(f)) {
			assertArrayEquals(new float[] {3, 4}, s.floats("w"));
		}
	}

	/** {'model': {...}, 'optimizer': {'state': {0: {'exp_avg': t}}}, 'step': 5}: int keys are skipped, 'model' is chosen. */
	@Test
	void modelIsChosenBesideOptimizerState() throws IOException {
		PickleWriter p = new PickleWriter().proto(2).op('}').mark();
		p.str("model").op('}').str("w").tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1}).setitem();
		p.str("optimizer").op('}').str("state").op('}').integer(0).op('}').str("exp_avg")
			.tensor("FloatStorage", "1", 2, 0, new long[] {2}, new long[] {1}).setitem().setitem().setitem();
		p.str("step").integer(5);
		p.op('u').stop();
		Path f = PickleWriter.torchZip(tmp.resolve("opt.pth"), p.bytes(),
			Map.of("0", PickleWriter.floats(1, 2), "1", PickleWriter.floats(3, 4)));
		try (TensorSource s = Checkpoints.open(f)) {
			assertEquals(List.of("w"), new ArrayList<>(s.tensors().keySet()));
			assertArrayEquals(new float[] {1, 2}, s.floats("w"));
		}
	}

	/** d = {}; d['self'] = d — a cycle must give an error, not a stack overflow. */
	@Test
	void selfReferencingDictionaryIsAnError() throws IOException {
		byte[] cyclic = new PickleWriter().proto(2).op('}').op('q').op(0).str("self").op('h').op(0).setitem().stop().bytes();
		RerenderException e = refused(cyclic);
		assertTrue(e.getMessage().contains("nested"), e.getMessage());
		// a list used as a dict key is refused outright
		byte[] listKey = new PickleWriter().proto(2).op('}').op(']').integer(1).setitem().stop().bytes();
		assertTrue(refused(listKey).getMessage().contains("dict key"));
	}
}
