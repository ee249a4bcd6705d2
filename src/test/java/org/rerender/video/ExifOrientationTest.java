package org.rerender.video;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.image.Png;
import org.rerender.image.Rgb8Image;

/**
 * JPEG frames with an EXIF Orientation tag (written here byte by byte) come out of an image sequence upright, as
 * photo viewers show them: all eight values, both TIFF byte orders, the Exif segment before or after JFIF's.
 */
class ExifOrientationTest {
	@TempDir
	Path tmp;

	static final int R = 0xff0000, G = 0x00ff00, B = 0x0000ff, W = 0xffffff;

	/** 32x16, quadrants red (top left), green (top right), blue (bottom left), white (bottom right). */
	static Rgb8Image quadrants() {
		Rgb8Image img = new Rgb8Image(32, 16);
		for (int y = 0; y < 16; y++)
			for (int x = 0; x < 32; x++) {
				int c = y < 8 ? (x < 16 ? R : G) : (x < 16 ? B : W);
				for (int k = 0; k < 3; k++) img.set(x, y, k, c >> (16 - 8 * k) & 0xff);
			}
		return img;
	}

	/** The JPEG of {@code img} with an APP1 Exif segment holding Orientation = {@code value} (0: none). */
	static byte[] jpeg(Rgb8Image img, int value, ByteOrder order, boolean afterJfif) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		assertTrue(ImageIO.write(Png.asBufferedImage(img), "jpeg", out));
		byte[] plain = out.toByteArray();
		if (value == 0) return plain;
		// TIFF: header (byte order, 42, IFD0 at 8), IFD0 with one entry (0x0112, SHORT, 1, value), no next IFD
		ByteBuffer tiff = ByteBuffer.allocate(8 + 2 + 12 + 4).order(order);
		tiff.put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M').put(order == ByteOrder.LITTLE_ENDIAN ? (byte) 'I' : (byte) 'M');
		tiff.putShort((short) 42).putInt(8);
		tiff.putShort((short) 1).putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) value).putShort((short) 0);
		tiff.putInt(0);
		byte[] exif = "Exif\0\0".getBytes(StandardCharsets.ISO_8859_1);
		int len = 2 + exif.length + tiff.capacity();
		ByteArrayOutputStream app1 = new ByteArrayOutputStream();
		app1.write(0xFF);
		app1.write(0xE1);
		app1.write(len >> 8);
		app1.write(len & 0xff);
		app1.write(exif);
		app1.write(tiff.array());
		int at = 2; // after SOI
		if (afterJfif) {
			assertEquals(0xE0, plain[3] & 0xff, "ImageIO writes a JFIF APP0 first");
			at = 4 + ((plain[4] & 0xff) << 8 | plain[5] & 0xff);
		}
		ByteArrayOutputStream all = new ByteArrayOutputStream();
		all.write(plain, 0, at);
		all.write(app1.toByteArray());
		all.write(plain, at, plain.length - at);
		return all.toByteArray();
	}

	static int corner(Rgb8Image img, boolean right, boolean bottom) {
		int x = right ? img.width() - 2 : 1, y = bottom ? img.height() - 2 : 1;
		int c = 0;
		for (int k = 0; k < 3; k++) c = c << 8 | (img.get(x, y, k) > 127 ? 0xff : 0);
		return c;
	}

	/** Expected corners {top left, top right, bottom left, bottom right} and whether the sides swap, per tag value. */
	static final int[][] CORNERS = {
		null,
		{R, G, B, W}, // 1 upright
		{G, R, W, B}, // 2 mirrored left-right
		{W, B, G, R}, // 3 half a turn
		{B, W, R, G}, // 4 mirrored top-bottom
		{R, B, G, W}, // 5 transposed
		{B, R, W, G}, // 6 stored a quarter turn counter-clockwise: shown turned clockwise
		{W, G, B, R}, // 7 transversed
		{G, W, R, B}, // 8 turned counter-clockwise
	};

	@Test
	void everyOrientationComesOutUpright() throws IOException {
		for (int v = 1; v <= 8; v++) {
			ByteOrder order = v % 2 == 0 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
			Path dir = Files.createDirectories(tmp.resolve("o" + v));
			Path f = dir.resolve("photo_1.jpg");
			Files.write(f, jpeg(quadrants(), v, order, v > 4));
			assertEquals(v, ExifOrientation.read(f), "tag " + v);
			ImageSequence s = ImageSequence.open(dir, 30);
			boolean swapped = v >= 5;
			assertEquals(swapped ? 16 : 32, s.width(), "tag " + v);
			assertEquals(swapped ? 32 : 16, s.height(), "tag " + v);
			Rgb8Image img = s.read(0);
			assertEquals(s.width(), img.width());
			int[] got = {corner(img, false, false), corner(img, true, false), corner(img, false, true), corner(img, true, true)};
			for (int k = 0; k < 4; k++)
				assertEquals(Integer.toHexString(CORNERS[v][k]), Integer.toHexString(got[k]), "tag " + v + " corner " + k);
		}
	}

	@Test
	void sizesAreCheckedUprightAndTheHashMarksTurnedFrames() throws IOException {
		Path dir = Files.createDirectories(tmp.resolve("mixed"));
		Rgb8Image q = quadrants();
		Files.write(dir.resolve("f1.jpg"), jpeg(q, 6, ByteOrder.BIG_ENDIAN, false)); // 32x16 stored, 16x32 shown
		Png.write(DisplayMatrix.rotate(q, 270), dir.resolve("f2.png")); // 16x32 stored
		ImageSequence s = ImageSequence.open(dir, 30);
		assertEquals(16, s.width());
		assertEquals(32, s.height());
		assertEquals(corner(s.read(1), false, false), corner(s.read(0), false, false), "the tagged JPEG as the upright PNG");

		Path plain = Files.createDirectories(tmp.resolve("plain"));
		Files.write(plain.resolve("f1.jpg"), jpeg(q, 0, ByteOrder.BIG_ENDIAN, false));
		Files.write(plain.resolve("f2.jpg"), jpeg(q, 1, ByteOrder.BIG_ENDIAN, false)); // the tag says upright
		assertEquals(ExifOrientation.NORMAL, ExifOrientation.read(plain.resolve("f1.jpg")), "no Exif segment");
		ImageSequence p = ImageSequence.open(plain, 30);
		assertEquals(32, p.width());
		// the hash of a sequence without turned frames is as before orientations were applied: names, sizes and bytes only
		java.security.MessageDigest md;
		try {
			md = java.security.MessageDigest.getInstance("SHA-256");
		}
		catch (java.security.NoSuchAlgorithmException e) {
			throw new AssertionError(e);
		}
		md.update("image-sequence\n".getBytes(StandardCharsets.UTF_8));
		for (String n : new String[] {"f1.jpg", "f2.jpg"}) {
			byte[] b = Files.readAllBytes(plain.resolve(n));
			md.update((n + "\n" + b.length + "\n").getBytes(StandardCharsets.UTF_8));
			md.update(b);
		}
		assertEquals("sha256:" + java.util.HexFormat.of().formatHex(md.digest()), p.sha256());
		Path turned = Files.createDirectories(tmp.resolve("turned"));
		Files.write(turned.resolve("f1.jpg"), jpeg(q, 0, ByteOrder.BIG_ENDIAN, false));
		Files.write(turned.resolve("f2.jpg"), jpeg(q, 3, ByteOrder.BIG_ENDIAN, false));
		assertNotEquals(ImageSequence.open(turned, 30).sha256(), p.sha256());
		assertEquals(ExifOrientation.NORMAL, ExifOrientation.read(dir.resolve("f2.png")), "a PNG has no EXIF orientation here");
	}

	@Test
	void malformedExifIsUpright() {
		byte[] tiff = "MM\0*\0\0\0\u00ff".getBytes(StandardCharsets.ISO_8859_1); // IFD0 past the end
		assertEquals(0, ExifOrientation.fromTiff(tiff, 0));
		assertEquals(0, ExifOrientation.fromTiff("XX\0*\0\0\0\u0008".getBytes(StandardCharsets.ISO_8859_1), 0), "no byte order");
		assertEquals(DisplayMatrix.Orientation.NONE, ExifOrientation.orientation(9), "out of range: as stored");
	}
}
