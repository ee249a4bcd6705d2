package org.rerender.model.io;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.rerender.engine.RerenderException;

/**
 * Reader for the safetensors format: an 8-byte little-endian header length, a JSON header
 * and raw little-endian data. Each tensor is memory-mapped on demand, so files of any size
 * (real SD checkpoints are 2–7 GB; DJL's own reader fails above 2 GiB) open instantly and
 * only the tensors actually used are paged in.
 */
public final class SafetensorsFile implements TensorSource {

	private static final long MAX_HEADER = 100L << 20;

	private final Path path;
	private final FileChannel channel;
	private final long dataStart;
	private final Map<String, Entry> entries;
	private final Map<String, String> metadata;

	private record Entry(TensorInfo info, long begin, long end) {}

	private SafetensorsFile(Path path, FileChannel channel, long dataStart, Map<String, Entry> entries,
		Map<String, String> metadata)
	{
		this.path = path;
		this.channel = channel;
		this.dataStart = dataStart;
		this.entries = entries;
		this.metadata = metadata;
	}

	/** Opens and validates the header; the data stay on disk until read. */
	public static SafetensorsFile open(Path path) {
		FileChannel ch = ReadChannels.open(path);
		try {
			long size = ch.size();
			if (size < 8) throw corrupt(path, "file is only " + size + " bytes");
			ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
			readFully(ch, lenBuf, 0);
			long headerLen = lenBuf.getLong(0);
			if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size)
				throw corrupt(path, "header length " + headerLen + " does not fit a file of " + size + " bytes");
			ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
			readFully(ch, hb, 8);
			String json = new String(hb.array(), StandardCharsets.UTF_8);
			JsonObject header;
			try {
				header = JsonParser.parseString(json).getAsJsonObject();
			}
			catch (RuntimeException e) {
				throw corrupt(path, "header is not valid JSON");
			}
			long dataStart = 8 + headerLen;
			long dataSize = size - dataStart;
			Map<String, Entry> entries = new LinkedHashMap<>();
			Map<String, String> meta = new LinkedHashMap<>();
			for (Map.Entry<String, JsonElement> e : header.entrySet()) {
				if (e.getKey().equals("__metadata__")) {
					for (Map.Entry<String, JsonElement> m : e.getValue().getAsJsonObject().entrySet())
						meta.put(m.getKey(), m.getValue().getAsString());
					continue;
				}
				JsonObject t = e.getValue().getAsJsonObject();
				TensorDType dtype;
				try {
					dtype = TensorDType.fromSafetensors(t.get("dtype").getAsString());
				}
				catch (IllegalArgumentException ex) {
					throw corrupt(path, "tensor '" + e.getKey() + "': " + ex.getMessage());
				}
				var shapeArr = t.getAsJsonArray("shape");
				long[] shape = new long[shapeArr.size()];
				for (int i = 0; i < shape.length; i++) shape[i] = shapeArr.get(i).getAsLong();
				var offs = t.getAsJsonArray("data_offsets");
				long begin = offs.get(0).getAsLong(), end = offs.get(1).getAsLong();
				TensorInfo info = new TensorInfo(e.getKey(), dtype, shape);
				if (begin < 0 || end < begin || end > dataSize || end - begin != info.byteSize())
					throw corrupt(path, "tensor '" + e.getKey() + "' has offsets [" + begin + ", " + end
						+ ") that do not match its shape " + info.shapeString() + " or the file size (truncated file?)");
				entries.put(e.getKey(), new Entry(info, begin, end));
			}
			return new SafetensorsFile(path, ch, dataStart, Collections.unmodifiableMap(entries),
				Collections.unmodifiableMap(meta));
		}
		catch (IOException e) {
			closeQuietly(ch);
			throw new RerenderException("Cannot read " + path + ": " + e.getMessage(), e);
		}
		catch (RuntimeException e) {
			closeQuietly(ch);
			throw e;
		}
	}

	private static RerenderException corrupt(Path path, String why) {
		return new RerenderException("Not a valid safetensors file: " + path.getFileName() + " (" + why + ")");
	}

	private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
		while (buf.hasRemaining()) {
			int n = ch.read(buf, pos + buf.position());
			if (n < 0) throw new IOException("unexpected end of file");
		}
	}

	private static void closeQuietly(FileChannel ch) {
		try {
			ch.close();
		}
		catch (IOException ignored) {
			// nothing useful to do
		}
	}

	public Path path() {
		return path;
	}

	/** The {@code __metadata__} strings of the header. */
	public Map<String, String> metadata() {
		return metadata;
	}

	@Override
	public Map<String, TensorInfo> tensors() {
		Map<String, TensorInfo> m = new LinkedHashMap<>();
		entries.forEach((k, v) -> m.put(k, v.info()));
		return m;
	}

	@Override
	public ByteBuffer rawData(String name) {
		Entry e = entry(name);
		try {
			return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + e.begin(), e.end() - e.begin())
				.order(ByteOrder.LITTLE_ENDIAN);
		}
		catch (IOException ex) {
			throw new RerenderException("Cannot map tensor '" + name + "' of " + path + ": " + ex.getMessage(), ex);
		}
	}

	private Entry entry(String name) {
		Entry e = entries.get(name);
		if (e == null) throw new RerenderException("Tensor '" + name + "' is not in " + path.getFileName());
		return e;
	}

	@Override
	public void close() {
		closeQuietly(channel);
	}
}
