package org.rerender.fiji;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import java.util.ArrayList;
import java.util.List;
import org.rerender.image.Rgb8Image;

/** Conversions between ImageJ stacks and the engine's RGB frames. */
final class RgbStacks {
	private RgbStacks() {}

	/** Every slice (any type, converted to RGB) as an {@link Rgb8Image}. */
	static List<Rgb8Image> frames(ImagePlus imp) {
		ImageStack stack = imp.getStack();
		List<Rgb8Image> out = new ArrayList<>(stack.getSize());
		for (int s = 1; s <= stack.getSize(); s++) out.add(toRgb(stack.getProcessor(s)));
		return out;
	}

	static Rgb8Image toRgb(ImageProcessor ip) {
		int[] px = (int[]) ip.convertToRGB().getPixels();
		int w = ip.getWidth(), h = ip.getHeight();
		byte[] d = new byte[3 * w * h];
		for (int i = 0; i < px.length; i++) {
			d[3 * i] = (byte) (px[i] >> 16);
			d[3 * i + 1] = (byte) (px[i] >> 8);
			d[3 * i + 2] = (byte) px[i];
		}
		return new Rgb8Image(w, h, d);
	}

	static ColorProcessor toProcessor(Rgb8Image img) {
		byte[] d = img.data();
		int[] px = new int[img.width() * img.height()];
		for (int i = 0; i < px.length; i++) px[i] = 0xff000000 | (d[3 * i] & 0xff) << 16 | (d[3 * i + 1] & 0xff) << 8 | (d[3 * i + 2] & 0xff);
		return new ColorProcessor(img.width(), img.height(), px);
	}

	static ImagePlus stack(String title, List<Rgb8Image> frames) {
		ImageStack st = new ImageStack(frames.get(0).width(), frames.get(0).height());
		for (int i = 0; i < frames.size(); i++) st.addSlice("frame " + (i + 1), toProcessor(frames.get(i)));
		return new ImagePlus(title, st);
	}
}
