package org.rerender.model.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes pickle opcodes byte by byte, and torch.save-style zip archives, for tests. */
final class PickleWriter {
	private final ByteArrayOutputStream out = new ByteArrayOutputStream();

	PickleWriter op(int b) {
		out.write(b);
		return this;
	}

	PickleWriter proto(int p) {
		return op(0x80).op(p);
	}

	PickleWriter global(String module, String name) {
		op('c');
		raw((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
		return this;
	}

	PickleWriter str(String s) {
		byte[] b = s.getBytes(StandardCharsets.UTF_8);
		op('X');
		raw(le(b.length, 4));
		raw(b);
		return this;
	}

	PickleWriter shortStr(String s) {
		byte[] b = s.getBytes(StandardCharsets.UTF_8);
		op(0x8c).op(b.length);
		raw(b);
		return this;
	}

	PickleWriter integer(long v) {
		if (v >= 0 && v < 256) return op('K').op((int) v);
		if (v >= 0 && v < 65536) {
			op('M');
			raw(le(v, 2));
			return this;
		}
		op('J');
		raw(le(v, 4));
		return this;
	}

	PickleWriter mark() {
		return op('(');
	}

	PickleWriter tuple() {
		return op('t');
	}

	PickleWriter ints(long... v) {
		mark();
		for (long x : v) integer(x);
		return tuple();
	}

	PickleWriter reduce() {
		return op('R');
	}

	PickleWriter emptyDict() {
		return op('}');
	}

	PickleWriter setitem() {
		return op('s');
	}

	PickleWriter stop() {
		return op('.');
	}

	/** {@code _rebuild_tensor_v2(('storage', torch.<type>, key, 'cpu', numel), offset, shape, stride, False, OrderedDict())}. */
	PickleWriter tensor(String storageType, String key, long numel, long offset, long[] shape, long[] stride) {
		global("torch._utils", "_rebuild_tensor_v2");
		mark();
		mark().str("storage").global("torch", storageType).str(key).str("cpu").integer(numel).tuple();
		op('Q'); // BINPERSID
		integer(offset).ints(shape).ints(stride).op(0x89);
		global("collections", "OrderedDict").op(')').reduce();
		tuple();
		return reduce();
	}

	private void raw(byte[] b) {
		out.write(b, 0, b.length);
	}

	private static byte[] le(long v, int n) {
		byte[] b = new byte[n];
		for (int i = 0; i < n; i++) b[i] = (byte) (v >>> (8 * i));
		return b;
	}

	byte[] bytes() {
		return out.toByteArray();
	}

	static byte[] floats(float... v) {
		ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
		for (float f : v) b.putFloat(f);
		return b.array();
	}

	/** A zip with {@code archive/data.pkl} and {@code archive/data/<key>} records, all STORED like torch.save. */
	static Path torchZip(Path file, byte[] pickle, Map<String, byte[]> storages) throws IOException {
		try (ZipOutputStream z = new ZipOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
			stored(z, "archive/data.pkl", pickle);
			for (Map.Entry<String, byte[]> e : storages.entrySet()) stored(z, "archive/data/" + e.getKey(), e.getValue());
			stored(z, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
		}
		return file;
	}

	private static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
		ZipEntry e = new ZipEntry(name);
		e.setMethod(ZipEntry.STORED);
		e.setSize(data.length);
		CRC32 crc = new CRC32();
		crc.update(data);
		e.setCrc(crc.getValue());
		z.putNextEntry(e);
		z.write(data);
		z.closeEntry();
	}
}
