package org.rerender.flow;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.rerender.engine.RerenderException;
import org.rerender.image.FloatImage;
import org.rerender.work.AtomicFiles;

/**
 * Flow and mask files.
 * <ul>
 * <li>Flow: the Middlebury {@code .flo} format, readable by most flow tools: the float32 tag 202021.25 (the
 * bytes {@code PIEH}), width and height as int32, then W·H pairs (u, v) of float32 in row-major order, all
 * little-endian. u, v are in pixels, (u, v) at pixel x points to x + (u, v) in the other frame.</li>
 * <li>Occlusion masks: 8-bit grey PNG, 255 = occluded, 0 = visible (as the original stores them).</li>
 * </ul>
 * Writes are atomic: a hidden temporary file beside the target, renamed when complete.
 */
public final class FlowFiles {
	/** The .flo tag, 202021.25 as float32 ("PIEH" in ASCII). */
	public static final float FLO_TAG = 202021.25f;

	private FlowFiles() {}

	public static void writeFlo(Path file, FlowField flow) {
		atomic(file, tmp -> {
			try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
				ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
				head.putFloat(FLO_TAG).putInt(flow.width()).putInt(flow.height());
				out.write(head.array());
				float[] d = flow.data();
				ByteBuffer buf = ByteBuffer.allocate(4 * 8192).order(ByteOrder.LITTLE_ENDIAN);
				for (int i = 0; i < d.length; i += 8192) {
					int n = Math.min(8192, d.length - i);
					buf.clear();
					buf.asFloatBuffer().put(d, i, n);
					out.write(buf.array(), 0, 4 * n);
				}
			}
		});
	}

	public static FlowField readFlo(Path file) {
		try (InputStream in = Files.newInputStream(file); DataInputStream din = new DataInputStream(in)) {
			byte[] hb = new byte[12];
			din.readFully(hb);
			ByteBuffer h = ByteBuffer.wrap(hb).order(ByteOrder.LITTLE_ENDIAN);
			float tag = h.getFloat();
			int w = h.getInt(), ht = h.getInt();
			if (tag != FLO_TAG) throw new RerenderException("Not a .flo flow file (wrong tag): " + file);
			if (w <= 0 || ht <= 0 || (long) w * ht > (1L << 28))
				throw new RerenderException("Implausible flow size " + w + "x" + ht + " in " + file);
			byte[] body = new byte[8 * w * ht];
			din.readFully(body);
			float[] d = new float[2 * w * ht];
			ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(d);
			return new FlowField(w, ht, d);
		}
		catch (java.io.EOFException e) {
			throw new RerenderException("Flow file is truncated: " + file);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot read flow file " + file + ": " + e.getMessage(), e);
		}
	}

	/** Writes a 1-channel mask as grey PNG: values &gt; 0.5 become 255, others 0. */
	public static void writeMaskPng(Path file, FloatImage mask) {
		if (mask.channels() != 1) throw new IllegalArgumentException("A mask has 1 channel, got " + mask.channels());
		BufferedImage bi = new BufferedImage(mask.width(), mask.height(), BufferedImage.TYPE_BYTE_GRAY);
		byte[] px = ((DataBufferByte) bi.getRaster().getDataBuffer()).getData();
		float[] d = mask.data();
		for (int i = 0; i < d.length; i++) px[i] = d[i] > 0.5f ? (byte) 255 : 0;
		atomic(file, tmp -> {
			try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp))) {
				if (!ImageIO.write(bi, "png", out)) throw new IOException("no PNG writer");
			}
		});
	}

	/** Reads a grey (or RGB: first channel) PNG mask as 0/1 floats (value &gt; 127 → 1). */
	public static FloatImage readMaskPng(Path file) {
		try (InputStream in = Files.newInputStream(file)) {
			BufferedImage bi = ImageIO.read(in);
			if (bi == null) throw new RerenderException("Not an image: " + file);
			FloatImage m = new FloatImage(bi.getWidth(), bi.getHeight(), 1);
			var r = bi.getRaster();
			for (int y = 0; y < bi.getHeight(); y++)
				for (int x = 0; x < bi.getWidth(); x++) m.set(x, y, 0, r.getSample(x, y, 0) > 127 ? 1f : 0f);
			return m;
		}
		catch (IOException e) {
			throw new RerenderException("Cannot read mask " + file + ": " + e.getMessage(), e);
		}
	}

	private interface Writer {
		void write(Path tmp) throws IOException;
	}

	private static void atomic(Path file, Writer w) {
		try {
			Path dir = file.toAbsolutePath().getParent();
			if (dir != null) Files.createDirectories(dir);
			AtomicFiles.write(file, w::write);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot write " + file + ": " + e.getMessage(), e);
		}
	}
}
