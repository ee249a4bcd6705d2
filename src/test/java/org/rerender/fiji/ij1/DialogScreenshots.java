package org.rerender.fiji.ij1;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.gui.GenericDialog;
import java.awt.GraphicsEnvironment;
import java.awt.Rectangle;
import java.awt.Robot;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.rerender.testing.Tags;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;

/**
 * Documentation step, not a check: renders the ImageJ 1.x dialog of every command in plugins.config and saves it
 * as {@code docs/screenshots/<command>.png}. Needs a display; run it through {@code docs/screenshots/make.sh}
 * (Xvfb). Tagged as a benchmark so the default test run skips it.
 */
@Tag(Tags.BENCH)
class DialogScreenshots {

	private static final Pattern LINE = Pattern.compile("^\\s*Plugins>Rerender.*,\\s*\"([^\"]+)\",\\s*org\\.rerender\\.fiji\\.ij1\\.CommandBridge\\(\"([^\"]+)\"\\)");

	/** The dialog's bounds once the window system has placed and painted it (they stop changing). */
	private static Rectangle settled(GenericDialog gd, Robot robot) throws InterruptedException {
		Rectangle last = null;
		for (int i = 0; i < 20; i++) {
			robot.waitForIdle();
			Thread.sleep(500);
			Rectangle r = gd.getBounds();
			if (r.equals(last) && gd.isShowing()) {
				Thread.sleep(500);
				return gd.getBounds();
			}
			last = r;
		}
		return last;
	}

	@Test
	void renderEveryDialog() throws Exception {
		if (GraphicsEnvironment.isHeadless()) {
			System.out.println("DialogScreenshots: no display (run docs/screenshots/make.sh); nothing rendered");
			return;
		}
		Path outDir = Path.of(System.getProperty("rerender.screenshots", "docs/screenshots"));
		Files.createDirectories(outDir);
		ImagePlus clip = new ImagePlus("clip.mp4", new ij.process.ColorProcessor(64, 36));
		clip.show();
		Context ctx = new Context(CommandService.class);
		try {
			CommandService commands = ctx.service(CommandService.class);
			Robot robot = new Robot();
			int n = 0;
			for (String line : Files.readAllLines(Path.of("src/main/resources/plugins.config"))) {
				Matcher m = LINE.matcher(line);
				if (!m.find()) continue;
				String label = m.group(1);
				CommandInfo info = commands.getCommand(m.group(2));
				if (info == null) throw new IllegalStateException("No command " + m.group(2));
				GenericDialog gd = DialogHarvester.build(info, label);
				gd.setModal(false);
				gd.showDialog();
				// without a window manager the reported bounds can disagree with where the dialog was centred: pin it
				gd.setLocation(0, 0);
				gd.toFront();
				Rectangle r = settled(gd, robot);
				r.setLocation(gd.getLocationOnScreen());
				BufferedImage img = robot.createScreenCapture(r);
				gd.dispose();
				Path png = outDir.resolve(label.toLowerCase().replaceAll("[^a-z0-9]+", "_").replaceAll("_$", "") + ".png");
				ImageIO.write(img, "png", png.toFile());
				System.out.println("DialogScreenshots: " + png + " " + r.width + "x" + r.height);
				n++;
			}
			assertTrue(n > 0, "no commands found in plugins.config");
		}
		finally {
			clip.close();
			ctx.dispose();
		}
		assertFalse(GraphicsEnvironment.isHeadless());
	}
}
