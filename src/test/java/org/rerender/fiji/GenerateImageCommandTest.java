package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.process.ColorProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.model.download.ModelStore;
import org.rerender.testing.Fixtures;
import org.rerender.testing.MacroRunner;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

/** {@code Generate Image (developer)} through the CommandService with the tiny models. */
class GenerateImageCommandTest {
	static Context context;
	static String oldModels;

	@TempDir
	static Path models;

	@BeforeAll
	static void setUp() throws Exception {
		Files.copy(Fixtures.file("bpe_simple_vocab_16e6.txt.gz"), models.resolve("bpe_simple_vocab_16e6.txt.gz"));
		oldModels = System.getProperty(ModelStore.PROPERTY);
		System.setProperty(ModelStore.PROPERTY, models.toString());
		context = new Context(CommandService.class, StatusService.class, RerenderService.class);
	}

	@AfterAll
	static void tearDown() {
		if (context != null) context.dispose();
		if (oldModels == null) System.clearProperty(ModelStore.PROPERTY);
		else System.setProperty(ModelStore.PROPERTY, oldModels);
	}

	static ImagePlus card() {
		ColorProcessor cp = new ColorProcessor(64, 64);
		cp.setColor(java.awt.Color.ORANGE);
		cp.fillOval(16, 16, 32, 32);
		return new ImagePlus("card", cp);
	}

	@Test
	void generatesFromAnOpenImage() throws Exception {
		CommandService commands = context.service(CommandService.class);
		CommandModule m = commands.run(GenerateImageCommand.class, true, Map.of("prompt", "an orange", "control_image", card(),
			"steps", 2, "seed", 4L, "resolution", 64,
			"controlnet_model", Fixtures.file("tiny-controlnet.safetensors").toFile(),
			"sd_model", Fixtures.file("tiny-sd15.safetensors").toFile())).get();
		ImagePlus out = (ImagePlus) m.getOutput("output");
		assertEquals(64, out.getWidth());
		assertEquals(ImagePlus.COLOR_RGB, out.getType());
		assertTrue(out.getTitle().contains("seed 4"), out.getTitle());
		ImagePlus map = (ImagePlus) m.getOutput("control_map");
		assertTrue(map.getStatistics().max > 0, "the disc's outline is in the canny map");
	}

	@Test
	void runsFromAnImageJ1Macro() throws Exception {
		assertEquals("org.rerender.fiji.ij1.CommandBridge(\"org.rerender.fiji.GenerateImageCommand\")",
			MacroRunner.registerCommands().get("Generate Image (developer)"));
		Path png = models.resolve("card.png");
		org.rerender.image.Png.write(ImageConversions.toRgb8(card().getProcessor()), png);
		String w = MacroRunner.run("run(\"Generate Image (developer)\", \"prompt=[an orange] control_file=[" + png
			+ "] steps=2 seed=9 resolution=64 controlnet_model=[" + Fixtures.file("tiny-controlnet.safetensors") + "] sd_model=["
			+ Fixtures.file("tiny-sd15.safetensors") + "]\");\nselectImage(\"Generated (seed 9)\");\nreturn \"\" + getWidth();", "");
		assertEquals("64", w);
	}

	@Test
	void missingModelIsReported() throws Exception {
		CommandService commands = context.service(CommandService.class);
		CommandModule m = commands.run(GenerateImageCommand.class, true,
			Map.of("prompt", "x", "control_image", card(), "steps", 2, "resolution", 64)).get();
		assertTrue(m.isCanceled(), "a clear cancel reason, no exception trace");
		assertTrue(m.getCancelReason().contains("bin/rerender download --only controlnet-canny"), m.getCancelReason());
	}

	@Test
	void controlFromTheShownSliceOfA16BitStack() throws Exception {
		ij.ImageStack st = new ij.ImageStack(70, 45);
		for (int i = 0; i < 3; i++) {
			ij.process.ShortProcessor sp = new ij.process.ShortProcessor(70, 45);
			if (i == 1) {
				sp.setValue(3000);
				sp.fillOval(15, 5, 35, 35);
			}
			st.addSlice(sp);
		}
		ImagePlus stack = new ImagePlus("disc stack é", st);
		stack.setDisplayRange(0, 3000);
		stack.setSlice(2);
		stack.setRoi(new ij.gui.Roi(1, 1, 5, 5));
		CommandModule m = context.service(CommandService.class).run(GenerateImageCommand.class, true, Map.of("prompt", "a disc",
			"control_image", stack, "steps", 1, "seed", 5L, "resolution", 64,
			"controlnet_model", Fixtures.file("tiny-controlnet.safetensors").toFile(),
			"sd_model", Fixtures.file("tiny-sd15.safetensors").toFile())).get();
		ImagePlus map = (ImagePlus) m.getOutput("control_map");
		assertTrue(map.getStatistics().max > 0, "the shown slice (2, the disc) is the control, not slice 1 (empty)");
		assertEquals(2, stack.getCurrentSlice());
		assertEquals(ImagePlus.COLOR_RGB, ((ImagePlus) m.getOutput("output")).getType());
	}
}
