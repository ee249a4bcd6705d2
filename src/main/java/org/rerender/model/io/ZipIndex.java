package org.rerender.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A minimal reader of a zip archive's central directory (with ZIP64), enough to memory-map
 * STORED entries straight out of the file. {@code torch.save} writes every entry STORED, so a
 * 7 GB checkpoint is never copied: each storage is a read-only mapping of its byte range.
 */
final class ZipIndex {

	static final int STORED = 0;
	static final int DEFLATED = 8;

	/** One archive member: where its local header starts, how it is compressed, its sizes. */
	record Member(String name, int method, long headerOffset, long compressedSize, long size) {}

	private final FileChannel channel;
	private final long fileSize;
	private final Map<String, Member> members;
	private final Map<String, Long> dataOffsets = new java.util.concurrent.ConcurrentHashMap<>();

	private ZipIndex(FileChannel channel, long fileSize, Map<String, Member> members) {
		this.channel = channel;
		this.fileSize = fileSize;
		this.members = members;
	}

	Map<String, Member> members() {
		return members;
	}

	/** Reads the central directory; throws {@link IOException} with a reason for a damaged archive. */
	static ZipIndex read(FileChannel ch) throws IOException {
		long size = ch.size();
		if (size < 22) throw new IOException("the file is too short to be a zip archive (" + size + " bytes)");
		int tailLen = (int) Math.min(size, 22 + 65535 + 20);
		ByteBuffer tail = read(ch, size - tailLen, tailLen);
		int eocd = -1;
		for (int i = tailLen - 22; i >= 0; i--) {
			if (tail.getInt(i) == 0x06054b50) {
				eocd = i;
				break;
			}
		}
		if (eocd < 0) throw new IOException("no end-of-central-directory record (truncated or damaged archive)");
		long entries = tail.getShort(eocd + 10) & 0xffff;
		long cdSize = tail.getInt(eocd + 12) & 0xffffffffL;
		long cdOffset = tail.getInt(eocd + 16) & 0xffffffffL;
		if (entries == 0xffff || cdSize == 0xffffffffL || cdOffset == 0xffffffffL) {
			// ZIP64: the locator sits just before the EOCD record.
			int loc = eocd - 20;
			if (loc < 0 || tail.getInt(loc) != 0x07064b50) throw new IOException("missing ZIP64 locator");
			long z64 = tail.getLong(loc + 8);
			if (z64 < 0 || z64 + 56 > size) throw new IOException("ZIP64 record outside the file (truncated archive)");
			ByteBuffer r = read(ch, z64, 56);
			if (r.getInt(0) != 0x06064b50) throw new IOException("bad ZIP64 end-of-central-directory record");
			entries = r.getLong(32);
			cdSize = r.getLong(40);
			cdOffset = r.getLong(48);
		}
		if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > size || cdSize > Integer.MAX_VALUE)
			throw new IOException("central directory lies outside the file (truncated archive)");
		ByteBuffer cd = read(ch, cdOffset, (int) cdSize);
		Map<String, Member> members = new LinkedHashMap<>();
		int p = 0;
		for (long n = 0; n < entries; n++) {
			if (p + 46 > cd.limit() || cd.getInt(p) != 0x02014b50) throw new IOException("damaged central directory");
			int method = cd.getShort(p + 10) & 0xffff;
			long csize = cd.getInt(p + 20) & 0xffffffffL;
			long usize = cd.getInt(p + 24) & 0xffffffffL;
			int nameLen = cd.getShort(p + 28) & 0xffff;
			int extraLen = cd.getShort(p + 30) & 0xffff;
			int commentLen = cd.getShort(p + 32) & 0xffff;
			long local = cd.getInt(p + 42) & 0xffffffffL;
			if (p + 46 + nameLen + extraLen > cd.limit()) throw new IOException("damaged central directory");
			byte[] nb = new byte[nameLen];
			cd.get(p + 46, nb);
			String name = new String(nb, StandardCharsets.UTF_8);
			// ZIP64 extended information: only the fields whose 32-bit value is saturated are present.
			int e = p + 46 + nameLen, eEnd = e + extraLen;
			while (e + 4 <= eEnd) {
				int id = cd.getShort(e) & 0xffff, len = cd.getShort(e + 2) & 0xffff;
				if (id == 0x0001) {
					int q = e + 4;
					if (usize == 0xffffffffL) { usize = cd.getLong(q); q += 8; }
					if (csize == 0xffffffffL) { csize = cd.getLong(q); q += 8; }
					if (local == 0xffffffffL) { local = cd.getLong(q); }
				}
				e += 4 + len;
			}
			members.put(name, new Member(name, method, local, csize, usize));
			p += 46 + nameLen + extraLen + commentLen;
		}
		// A member's data follow its local header, whose extra field may differ from the central one: the
		// header is read when the member is first used. Check now that every member fits in the file.
		for (Member m : members.values()) {
			if (m.headerOffset() < 0 || m.headerOffset() + 30 + m.compressedSize() > size)
				throw new IOException("entry '" + m.name() + "' ends past the end of the file (truncated archive)");
		}
		return new ZipIndex(ch, size, Collections.unmodifiableMap(members));
	}

	/** A read-only little-endian mapping of a STORED member's bytes {@code [offset, offset+length)}. */
	ByteBuffer map(Member m, long offset, long length) throws IOException {
		if (m.method() != STORED) throw new IOException("entry '" + m.name() + "' is compressed; tensor data must be stored");
		if (offset < 0 || length < 0 || offset + length > m.size())
			throw new IOException("range [" + offset + ", " + (offset + length) + ") outside entry '" + m.name() + "' of "
				+ m.size() + " bytes");
		if (length > Integer.MAX_VALUE) throw new IOException("a single tensor above 2 GiB is not supported");
		return channel.map(FileChannel.MapMode.READ_ONLY, dataOffset(m) + offset, length).order(ByteOrder.LITTLE_ENDIAN);
	}

	/** The whole member as bytes (STORED or DEFLATED); for small members such as {@code data.pkl}. */
	byte[] readAll(Member m) throws IOException {
		if (m.size() > Integer.MAX_VALUE - 16 || m.compressedSize() > Integer.MAX_VALUE - 16)
			throw new IOException("entry '" + m.name() + "' is too large");
		ByteBuffer raw = read(channel, dataOffset(m), (int) m.compressedSize());
		byte[] in = new byte[raw.remaining()];
		raw.get(in);
		if (m.method() == STORED) return in;
		if (m.method() != DEFLATED) throw new IOException("entry '" + m.name() + "' uses unsupported compression " + m.method());
		Inflater inf = new Inflater(true);
		try {
			inf.setInput(in);
			byte[] out = new byte[(int) m.size()];
			int n = 0;
			while (n < out.length && !inf.finished()) {
				int k = inf.inflate(out, n, out.length - n);
				if (k == 0 && (inf.needsInput() || inf.needsDictionary())) break;
				n += k;
			}
			if (n != out.length) throw new IOException("entry '" + m.name() + "' is damaged (inflated " + n + " of " + out.length + " bytes)");
			return out;
		}
		catch (DataFormatException ex) {
			throw new IOException("entry '" + m.name() + "' is damaged: " + ex.getMessage());
		}
		finally {
			inf.end();
		}
	}

	/** Where the member's data start (after its local header), checked against the file size. */
	private long dataOffset(Member m) throws IOException {
		Long cached = dataOffsets.get(m.name());
		if (cached != null) return cached;
		ByteBuffer lh = read(channel, m.headerOffset(), 30);
		if (lh.getInt(0) != 0x04034b50) throw new IOException("bad local header for entry '" + m.name() + "'");
		long data = m.headerOffset() + 30 + (lh.getShort(26) & 0xffff) + (lh.getShort(28) & 0xffff);
		if (data + m.compressedSize() > fileSize)
			throw new IOException("entry '" + m.name() + "' ends past the end of the file (truncated archive)");
		dataOffsets.put(m.name(), data);
		return data;
	}

	long fileSize() {
		return fileSize;
	}

	private static ByteBuffer read(FileChannel ch, long pos, int len) throws IOException {
		ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
		while (b.hasRemaining()) {
			int n = ch.read(b, pos + b.position());
			if (n < 0) throw new IOException("unexpected end of file");
		}
		b.flip();
		return b;
	}
}
