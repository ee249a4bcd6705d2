package org.rerender.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.propagate.FolderFrames;

/** Grey images keep their values (scaled to 8 bits), as FFmpeg and ImageJ read them, not brightened as linear light. */
class PngGreyTest {
	@TempDir
	Path tmp;

	private static BufferedImage grey(int type, int... values) {
		BufferedImage bi = new BufferedImage(values.length, 1, type);
		for (int x = 0; x < values.length; x++) bi.getRaster().setSample(x, 0, 0, values[x]);
		return bi;
	}

	/** Every pixel of {@code file}, read through Png.read and FolderFrames.read, has R = G = B = expected[x]. */
	private static void assertGrey(Path file, int... expected) throws IOException {
		for (Rgb8Image img : new Rgb8Image[] {Png.read(file), FolderFrames.read(file)}) {
			assertEquals(expected.length, img.width());
			for (int x = 0; x < expected.length; x++)
				for (int c = 0; c < 3; c++)
					assertEquals(expected[x], img.data()[3 * x + c] & 0xff, file.getFileName() + " pixel " + x + " channel " + c);
		}
	}

	@Test
	void eightBitGreyPng() throws IOException {
		Path f = tmp.resolve("g8.png");
		ImageIO.write(grey(BufferedImage.TYPE_BYTE_GRAY, 0, 1, 64, 128, 200, 255), "png", f.toFile());
		assertGrey(f, 0, 1, 64, 128, 200, 255);
	}

	@Test
	void sixteenBitGreyPng() throws IOException {
		Path f = tmp.resolve("g16.png");
		ImageIO.write(grey(BufferedImage.TYPE_USHORT_GRAY, 0, 32896, 32768, 4095, 65535), "png", f.toFile());
		assertGrey(f, 0, 128, 128, 16, 255);
	}

	@Test
	void greyWithAlphaDropsTheAlpha() throws IOException {
		ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
			Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
		WritableRaster r = cm.createCompatibleWritableRaster(3, 1);
		int[] grey = {128, 10, 250}, alpha = {255, 0, 77};
		for (int x = 0; x < 3; x++) {
			r.setSample(x, 0, 0, grey[x]);
			r.setSample(x, 0, 1, alpha[x]);
		}
		Path f = tmp.resolve("ga.png");
		ImageIO.write(new BufferedImage(cm, r, false, null), "png", f.toFile());
		assertEquals(2, ImageIO.read(f.toFile()).getRaster().getNumBands(), "written as grey + alpha");
		assertGrey(f, 128, 10, 250);
	}

	@Test
	void sixteenBitGreyTiff() throws IOException {
		Path f = tmp.resolve("g16.tif");
		ImageIO.write(grey(BufferedImage.TYPE_USHORT_GRAY, 4095, 32896, 65535, 0), "tiff", f.toFile());
		assertGrey(f, 16, 128, 255, 0);
	}
}
