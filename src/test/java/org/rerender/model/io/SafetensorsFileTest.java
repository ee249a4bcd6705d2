package org.rerender.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Djl;
import org.rerender.engine.RerenderException;
import org.rerender.testing.Fixtures;

class SafetensorsFileTest {

	@TempDir
	Path tmp;

	/** Writes a safetensors file with the given header and data. */
	static Path write(Path file, String headerJson, byte[] data) throws IOException {
		byte[] h = headerJson.getBytes(StandardCharsets.UTF_8);
		ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
		b.putLong(h.length).put(h).put(data);
		Files.write(file, b.array());
		return file;
	}

	@Test
	void readsF32F16AndBf16AsFloats() throws IOException {
		ByteBuffer d = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
		d.putFloat(1.5f).putFloat(-2f); // F32 [2]
		d.putShort((short) 0x3c00).putShort((short) 0xc000); // F16 [1, -2]
		d.putShort((short) 0x3fc0).putShort((short) 0x4040); // BF16 [1.5, 3]
		Path f = write(tmp.resolve("t.safetensors"),
			"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
				+ "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]},"
				+ "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[12,16]},"
				+ "\"__metadata__\":{\"k\":\"v\"}}",
			d.array());
		try (SafetensorsFile s = SafetensorsFile.open(f)) {
			assertArrayEquals(new float[] {1.5f, -2f}, s.floats("a"));
			assertArrayEquals(new float[] {1f, -2f}, s.floats("h"));
			assertArrayEquals(new float[] {1.5f, 3f}, s.floats("b"));
			assertEquals("v", s.metadata().get("k"));
			try (NDManager m = Djl.newCpuManager()) {
				NDArray bf = s.toNDArray(m, "b", DataType.FLOAT32);
				assertEquals(DataType.FLOAT32, bf.getDataType());
				assertArrayEquals(new float[] {1.5f, 3f}, bf.toFloatArray());
				assertArrayEquals(new float[] {1f, -2f}, s.toNDArray(m, "h", DataType.FLOAT32).toFloatArray());
			}
		}
	}

	@Test
	void truncatedFileIsReportedByTensorName() throws IOException {
		Path f = write(tmp.resolve("trunc.safetensors"),
			"{\"weight\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]);
		RerenderException e = assertThrows(RerenderException.class, () -> SafetensorsFile.open(f));
		assertTrue(e.getMessage().contains("weight"), e.getMessage());
	}

	@Test
	void garbageIsNotASafetensorsFile() throws IOException {
		Path f = tmp.resolve("garbage.safetensors");
		Files.write(f, "this is not a checkpoint at all".getBytes(StandardCharsets.UTF_8));
		RerenderException e = assertThrows(RerenderException.class, () -> SafetensorsFile.open(f));
		assertTrue(e.getMessage().startsWith("Not a valid safetensors file"), e.getMessage());
	}

	@Test
	void readsTheTinyCheckpointAndPrefixViews() {
		try (SafetensorsFile s = SafetensorsFile.open(Fixtures.file("tiny-sd15.safetensors"))) {
			TensorSource clip = s.withPrefix("cond_stage_model.transformer.text_model.");
			TensorInfo ids = clip.info("embeddings.position_ids");
			assertEquals(TensorDType.I64, ids.dtype());
			int[] pos = clip.ints("embeddings.position_ids");
			assertEquals(76, pos[76]);
			assertTrue(s.tensors().size() > 100);
		}
	}
}
