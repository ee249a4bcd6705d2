package org.rerender.video;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import org.rerender.engine.FileNames;
import org.rerender.engine.RerenderException;
import org.rerender.flow.WarpingError.FrameError;

/**
 * Writes the temporal-consistency report next to an output video: {@code NAME_consistency.csv} (frame,
 * input error, output error, visible fraction) and {@code NAME_consistency.png} (both curves plotted).
 */
public final class ConsistencyReport {
	private ConsistencyReport() {}

	/** The report files for a video: [csv, png]. */
	public static Path[] files(Path video) {
		String stem = FileNames.stem(video);
		return new Path[] {video.resolveSibling(stem + "_consistency.csv"), video.resolveSibling(stem + "_consistency.png")};
	}

	/** Writes both files atomically; returns them. */
	public static Path[] write(Path video, List<FrameError> errors) {
		Path[] f = files(video);
		StringBuilder csv = new StringBuilder("frame,input_warping_error,output_warping_error,visible_fraction\n");
		for (FrameError e : errors)
			csv.append(String.format(Locale.ROOT, "%d,%.4f,%.4f,%.4f%n", e.frame(), e.input(), e.output(), e.visibleFraction()));
		try {
			atomic(f[0], out -> out.write(csv.toString().getBytes(StandardCharsets.UTF_8)));
			BufferedImage plot = plot(errors);
			atomic(f[1], out -> ImageIO.write(plot, "png", out));
		}
		catch (IOException e) {
			throw new RerenderException("Cannot write the consistency report next to " + video + ": " + e.getMessage(), e);
		}
		return f;
	}

	private interface Writer {
		void write(OutputStream out) throws IOException;
	}

	private static void atomic(Path file, Writer w) throws IOException {
		Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
		try (OutputStream out = Files.newOutputStream(tmp)) {
			w.write(out);
		}
		Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
	}

	/** A line plot of input (grey) and output (red) warping error per frame. */
	static BufferedImage plot(List<FrameError> errors) {
		int w = 800, h = 400, left = 60, right = 20, top = 40, bottom = 50;
		BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
		Graphics2D g = img.createGraphics();
		try {
			g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
			g.setColor(Color.WHITE);
			g.fillRect(0, 0, w, h);
			double max = 1e-9;
			int maxFrame = 1;
			for (FrameError e : errors) {
				if (Double.isFinite(e.input())) max = Math.max(max, e.input());
				if (Double.isFinite(e.output())) max = Math.max(max, e.output());
				maxFrame = Math.max(maxFrame, e.frame());
			}
			max *= 1.1;
			int pw = w - left - right, ph = h - top - bottom;
			g.setColor(Color.LIGHT_GRAY);
			for (int i = 0; i <= 4; i++) {
				int y = top + ph - i * ph / 4;
				g.drawLine(left, y, left + pw, y);
				g.setColor(Color.DARK_GRAY);
				g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
				g.drawString(String.format(Locale.ROOT, "%.1f", max * i / 4), 8, y + 4);
				g.setColor(Color.LIGHT_GRAY);
			}
			g.setColor(Color.BLACK);
			g.drawRect(left, top, pw, ph);
			g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
			g.drawString("Temporal consistency: warping error per frame (lower is better)", left, 24);
			g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
			g.drawString("frame", left + pw / 2 - 15, h - 15);
			g.drawString("0", left - 3, top + ph + 15);
			g.drawString(Integer.toString(maxFrame), left + pw - 10, top + ph + 15);
			curve(g, errors, true, max, maxFrame, left, top, pw, ph, new Color(120, 120, 120));
			curve(g, errors, false, max, maxFrame, left, top, pw, ph, new Color(200, 30, 30));
			g.setColor(new Color(120, 120, 120));
			g.drawString("input", left + pw - 120, top + 18);
			g.setColor(new Color(200, 30, 30));
			g.drawString("output", left + pw - 60, top + 18);
		}
		finally {
			g.dispose();
		}
		return img;
	}

	private static void curve(Graphics2D g, List<FrameError> errors, boolean input, double max, int maxFrame, int left,
		int top, int pw, int ph, Color c)
	{
		Path2D.Double path = new Path2D.Double();
		boolean started = false;
		for (FrameError e : errors) {
			double v = input ? e.input() : e.output();
			if (!Double.isFinite(v)) continue;
			double x = left + pw * (double) e.frame() / maxFrame, y = top + ph - ph * v / max;
			if (started) path.lineTo(x, y);
			else path.moveTo(x, y);
			started = true;
		}
		g.setColor(c);
		g.setStroke(new BasicStroke(2f));
		g.draw(path);
	}
}
