package org.rerender.image;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

/**
 * Lossless 8-bit RGB PNG files through {@code javax.imageio}, opened with NIO streams (so any path Java can
 * represent works, including spaces and non-ASCII names). Writing wraps the image's bytes without copying.
 */
public final class Png {
	private Png() {}

	public static void write(Rgb8Image img, Path file) throws IOException {
		try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file))) {
			write(img, out);
		}
	}

	public static void write(Rgb8Image img, OutputStream out) throws IOException {
		if (!ImageIO.write(asBufferedImage(img), "png", out)) throw new IOException("No PNG writer in javax.imageio");
	}

	public static Rgb8Image read(Path file) throws IOException {
		try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
			BufferedImage bi = ImageIO.read(in);
			if (bi == null) throw new IOException("Not a readable image: " + file);
			return fromBufferedImage(bi);
		}
	}

	/** A view of the image's bytes as a BufferedImage (no copy). */
	public static BufferedImage asBufferedImage(Rgb8Image img) {
		int w = img.width(), h = img.height();
		DataBufferByte buf = new DataBufferByte(img.data(), img.data().length);
		WritableRaster raster = Raster.createInterleavedRaster(buf, w, h, 3 * w, 3, new int[] { 0, 1, 2 }, null);
		ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB), false, false,
			Transparency.OPAQUE, DataBuffer.TYPE_BYTE);
		return new BufferedImage(cm, raster, false, null);
	}

	/**
	 * Converts any BufferedImage to RGB bytes (alpha dropped). Grey images (with or without alpha, 1 to 32 bits) take
	 * their samples as they are, scaled to 8 bits ({@code s * 255 / (2^bits - 1)}, rounded) and copied to R, G and B,
	 * as FFmpeg and ImageJ read them: {@link BufferedImage#getRGB} would treat grey as linear light and brighten it
	 * (8-bit 128 would become 188).
	 */
	public static Rgb8Image fromBufferedImage(BufferedImage bi) {
		int w = bi.getWidth(), h = bi.getHeight();
		byte[] out = new byte[3 * w * h];
		if (bi.getType() == BufferedImage.TYPE_3BYTE_BGR) {
			byte[] src = ((DataBufferByte) bi.getRaster().getDataBuffer()).getData();
			for (int i = 0; i < w * h; i++) {
				out[3 * i] = src[3 * i + 2];
				out[3 * i + 1] = src[3 * i + 1];
				out[3 * i + 2] = src[3 * i];
			}
		}
		else if (isGrey(bi)) {
			greyToRgb(bi, out);
		}
		else {
			int[] row = new int[w];
			for (int y = 0; y < h; y++) {
				bi.getRGB(0, y, w, 1, row, 0, w);
				for (int x = 0; x < w; x++) {
					int p = row[x], o = 3 * (y * w + x);
					out[o] = (byte) (p >> 16);
					out[o + 1] = (byte) (p >> 8);
					out[o + 2] = (byte) p;
				}
			}
		}
		return new Rgb8Image(w, h, out);
	}

	/** A grey colour model that is not a palette (palettes, e.g. 1-4 bit grey PNGs, already hold sRGB entries). */
	private static boolean isGrey(BufferedImage bi) {
		ColorModel cm = bi.getColorModel();
		return !(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
	}

	/** Band 0 of a grey raster scaled to 8 bits into R, G and B; float samples are taken as 0..1. */
	private static void greyToRgb(BufferedImage bi, byte[] out) {
		int w = bi.getWidth(), h = bi.getHeight();
		Raster r = bi.getRaster();
		int type = r.getTransferType();
		boolean floating = type == DataBuffer.TYPE_FLOAT || type == DataBuffer.TYPE_DOUBLE;
		int bits = Math.min(32, bi.getColorModel().getComponentSize(0));
		long max = (1L << bits) - 1;
		long half = max / 2;
		double[] fRow = floating ? new double[w] : null;
		int[] row = floating ? null : new int[w];
		for (int y = 0; y < h; y++) {
			if (floating) r.getSamples(0, y, w, 1, 0, fRow);
			else r.getSamples(0, y, w, 1, 0, row);
			for (int x = 0; x < w; x++) {
				int v;
				if (floating) v = (int) Math.round(Math.max(0, Math.min(1, fRow[x])) * 255);
				else v = (int) ((Math.min(max, Integer.toUnsignedLong(row[x])) * 255 + half) / max);
				int o = 3 * (y * w + x);
				out[o] = out[o + 1] = out[o + 2] = (byte) v;
			}
		}
	}
}
