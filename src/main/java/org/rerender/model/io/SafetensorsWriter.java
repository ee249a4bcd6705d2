package org.rerender.model.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rerender.engine.RerenderException;

/**
 * Writes a safetensors file (used to persist the anchor frame's per-step state in the work folder).
 * The file is written to a temporary name and renamed, so a crash never leaves a half-written file.
 */
public final class SafetensorsWriter {

	private record Item(String name, TensorDType dtype, long[] shape, byte[] data) {}

	private final List<Item> items = new ArrayList<>();
	private final Map<String, String> metadata = new LinkedHashMap<>();

	public SafetensorsWriter metadata(String key, String value) {
		metadata.put(key, value);
		return this;
	}

	public SafetensorsWriter addF32(String name, long[] shape, float[] values) {
		ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
		b.asFloatBuffer().put(values);
		return add(name, TensorDType.F32, shape, b.array());
	}

	public SafetensorsWriter addI32(String name, long[] shape, int[] values) {
		ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
		b.asIntBuffer().put(values);
		return add(name, TensorDType.I32, shape, b.array());
	}

	/** Adds raw little-endian bytes of the given type. */
	public SafetensorsWriter add(String name, TensorDType dtype, long[] shape, byte[] littleEndianData) {
		long n = 1;
		for (long d : shape) n *= d;
		if (n * dtype.bytes() != littleEndianData.length)
			throw new IllegalArgumentException("Tensor '" + name + "': " + littleEndianData.length + " bytes for shape of " + n + " " + dtype);
		for (Item i : items)
			if (i.name.equals(name)) throw new IllegalArgumentException("Duplicate tensor name '" + name + "'");
		items.add(new Item(name, dtype, shape.clone(), littleEndianData));
		return this;
	}

	public void write(Path file) {
		JsonObject header = new JsonObject();
		if (!metadata.isEmpty()) {
			JsonObject meta = new JsonObject();
			metadata.forEach(meta::addProperty);
			header.add("__metadata__", meta);
		}
		long offset = 0;
		for (Item i : items) {
			JsonObject t = new JsonObject();
			t.addProperty("dtype", i.dtype.name());
			JsonArray shape = new JsonArray();
			for (long d : i.shape) shape.add(d);
			t.add("shape", shape);
			JsonArray offs = new JsonArray();
			offs.add(offset);
			offs.add(offset + i.data.length);
			t.add("data_offsets", offs);
			header.add(i.name, t);
			offset += i.data.length;
		}
		byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
		int padded = (h.length + 7) / 8 * 8;
		byte[] hp = new byte[padded];
		System.arraycopy(h, 0, hp, 0, h.length);
		for (int i = h.length; i < padded; i++) hp[i] = ' ';
		Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
		try {
			Files.createDirectories(file.toAbsolutePath().getParent());
			try (OutputStream out = Files.newOutputStream(tmp)) {
				out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
				out.write(hp);
				for (Item i : items) out.write(i.data);
			}
			Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
		}
		catch (IOException e) {
			try {
				Files.deleteIfExists(tmp);
			}
			catch (IOException ignored) {
				// the original error matters more
			}
			throw new RerenderException("Cannot write " + file + ": " + e.getMessage(), e);
		}
	}
}
