package org.rerender.video;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The EXIF Orientation tag (0x0112 of IFD0) of a JPEG file: how a camera or phone that stored the pixels sideways
 * says they are shown. Photo viewers and browsers turn the picture by it; an image sequence does too
 * ({@link ImageSequence}), all eight values (the four rotations and their mirror images).
 */
final class ExifOrientation {
	private ExifOrientation() {}

	/** The tag's number for an upright picture (also what a file without the tag gets). */
	static final int NORMAL = 1;
	private static final int TAG = 0x0112;

	/**
	 * The tag's value (1 to 8) in a JPEG file's APP1 Exif segment; {@link #NORMAL} for a file that is no JPEG, has no
	 * Exif segment or no tag, or a value outside 1 to 8 (viewers ignore those too).
	 */
	static int read(Path file) throws IOException {
		try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
			return read(in);
		}
		catch (EOFException e) {
			return NORMAL; // a truncated header: the decoder says what is wrong with the file
		}
	}

	private static int read(DataInputStream in) throws IOException {
		if (in.readUnsignedShort() != 0xFFD8) return NORMAL; // not a JPEG
		while (true) {
			int b = in.readUnsignedByte();
			if (b != 0xFF) return NORMAL; // not at a marker: a damaged header
			int marker;
			do marker = in.readUnsignedByte(); while (marker == 0xFF); // fill bytes
			if (marker == 0xDA || marker == 0xD9) return NORMAL; // image data (or the end) before any Exif segment
			if (marker == 0x01 || marker >= 0xD0 && marker <= 0xD7) continue; // markers without a length
			int length = in.readUnsignedShort() - 2;
			if (length < 0) return NORMAL;
			if (marker == 0xE1 && length >= 14) {
				byte[] seg = in.readNBytes(length);
				if (seg.length == length && startsWith(seg, "Exif\0\0")) {
					int v = fromTiff(seg, 6);
					return v >= 1 && v <= 8 ? v : NORMAL;
				}
				continue; // another APP1 (XMP): the Exif one may follow
			}
			skip(in, length);
		}
	}

	/** The tag in the TIFF structure starting at {@code t} of {@code b} (byte order "II" or "MM"), 0 when absent. */
	static int fromTiff(byte[] b, int t) {
		boolean little;
		if (b[t] == 'I' && b[t + 1] == 'I') little = true;
		else if (b[t] == 'M' && b[t + 1] == 'M') little = false;
		else return 0;
		if (u16(b, t + 2, little) != 42) return 0;
		long ifd = t + u32(b, t + 4, little);
		if (ifd + 2 > b.length) return 0;
		int n = u16(b, (int) ifd, little);
		for (int i = 0; i < n; i++) {
			long e = ifd + 2 + 12L * i;
			if (e + 12 > b.length) return 0;
			if (u16(b, (int) e, little) != TAG) continue;
			int type = u16(b, (int) e + 2, little);
			return type == 3 ? u16(b, (int) e + 8, little) : 0; // SHORT, held in the entry itself
		}
		return 0;
	}

	/**
	 * How a frame with the tag {@code value} is turned upright ({@link DisplayMatrix.Orientation}: mirrored left-right
	 * first, then turned counter-clockwise): 2 mirrored, 3 half a turn, 4 upside-down mirror, 5 transposed, 6 a quarter
	 * turn clockwise, 7 transversed, 8 a quarter turn counter-clockwise.
	 */
	static DisplayMatrix.Orientation orientation(int value) {
		return switch (value) {
			case 2 -> new DisplayMatrix.Orientation(true, 0);
			case 3 -> new DisplayMatrix.Orientation(false, 180);
			case 4 -> new DisplayMatrix.Orientation(true, 180);
			case 5 -> new DisplayMatrix.Orientation(true, 90);
			case 6 -> new DisplayMatrix.Orientation(false, 270);
			case 7 -> new DisplayMatrix.Orientation(true, 270);
			case 8 -> new DisplayMatrix.Orientation(false, 90);
			default -> DisplayMatrix.Orientation.NONE;
		};
	}

	private static boolean startsWith(byte[] b, String prefix) {
		for (int i = 0; i < prefix.length(); i++) if (b[i] != prefix.charAt(i)) return false;
		return true;
	}

	private static int u16(byte[] b, int i, boolean little) {
		if (i + 2 > b.length) return -1;
		int x = b[i] & 0xff, y = b[i + 1] & 0xff;
		return little ? y << 8 | x : x << 8 | y;
	}

	private static long u32(byte[] b, int i, boolean little) {
		if (i + 4 > b.length) return Integer.MAX_VALUE;
		long hi = u16(b, little ? i + 2 : i, little), lo = u16(b, little ? i : i + 2, little);
		return hi << 16 | lo;
	}

	private static void skip(InputStream in, long n) throws IOException {
		while (n > 0) {
			long s = in.skip(n);
			if (s <= 0) {
				if (in.read() < 0) throw new EOFException();
				s = 1;
			}
			n -= s;
		}
	}
}
