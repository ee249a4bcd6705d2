package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ij.ImagePlus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.testing.Fixtures;
import org.rerender.testing.MacroRunner;
import org.rerender.video.TestClips;
import org.rerender.video.VideoReader;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

/**
 * The Rerender commands headless through the CommandService (as {@code fiji --headless --run "Rerender …" '…'}
 * invokes them) and through the IJ1 macro interpreter, on a real 6-frame clip with the tiny fixture models.
 */
class RerenderCommandsTest {
	@TempDir
	static Path dir;
	static Path clip, models;
	static Context context;
	static CommandService commands;

	@BeforeAll
	static void start() throws Exception {
		assumeTrue(Files.exists(Fixtures.dir().resolve("tiny-sd15.safetensors")), "tiny fixture models not found");
		clip = TestClips.exampleClip(dir.resolve("clip.mp4"), 6);
		models = Fixtures.modelsFolder(dir);
		context = new Context(CommandService.class, StatusService.class, RerenderService.class);
		commands = context.service(CommandService.class);
	}

	@AfterAll
	static void stop() {
		if (context != null) context.dispose();
	}

	static Map<String, Object> tiny(Path work) {
		Map<String, Object> m = tinyModels(work, models);
		m.put("input_file", clip.toFile());
		m.put("image_resolution", 128);
		m.put("ddim_steps", 4);
		m.put("interval", 3);
		m.put("seed", 7L); // explicit: a remembered value from another test's run must not decide it
		return m;
	}

	/** A Rerender command's settings for the tiny fixture models (canny control), without input and sizes. */
	static Map<String, Object> tinyModels(Path work, Path modelsDir) {
		Map<String, Object> m = new HashMap<>();
		m.put("work_dir", work.toFile());
		m.put("prompt", "an oil painting");
		m.put("controlnet_model", Fixtures.file("tiny-controlnet.safetensors").toFile());
		m.put("sd_model", Fixtures.file("tiny-sd15.safetensors").toFile());
		m.put("models_dir", modelsDir.toFile());
		m.put("control_type", "canny");
		m.put("n_proc", 1);
		return m;
	}

	@Test
	void firstFrameThenVideoThroughCommandService() throws Exception {
		Path work = dir.resolve("work");
		CommandModule one = commands.run(RerenderFirstFrameCommand.class, true, tiny(work)).get();
		assertFalse(one.isCanceled(), one.getCancelReason());
		assertEquals(1, ((ImagePlus) one.getOutput("key_frames")).getStackSize());
		assertEquals(128, ((ImagePlus) one.getOutput("edge_map")).getWidth());
		assertTrue(Files.isRegularFile(work.resolve("keys/anchor_state.safetensors")));
		assertTrue(context.service(RerenderService.class).modelsLoaded(), "the service keeps the models");

		CommandModule all = commands.run(RerenderVideoCommand.class, true, tiny(work)).get();
		assertFalse(all.isCanceled(), all.getCancelReason());
		assertEquals(1 + 3, ((ImagePlus) all.getOutput("key_frames")).getStackSize()); // frame 0 + keys 1, 4, 5
		Path video = Path.of((String) all.getOutput("output_video"));
		assertEquals(6, VideoReader.probe(video).frameCount());
		assertTrue(Files.isRegularFile(work.resolve("output_consistency.csv")));
	}

	@Test
	void failureCancelsWithOneLineReason() throws Exception {
		Map<String, Object> m = tiny(dir.resolve("bad"));
		m.put("input_file", dir.resolve("missing.mp4").toFile());
		CommandModule r = commands.run(RerenderVideoCommand.class, true, m).get();
		assertTrue(r.isCanceled());
		assertTrue(r.getCancelReason().contains("Video file not found"), r.getCancelReason());
	}

	@Test
	void anExistingOutputIsRefusedBeforeAnyWorkUnlessOverwrite() throws Exception {
		Path work = dir.resolve("exists");
		Path out = Files.writeString(dir.resolve("theirs.mp4"), "someone else's video");
		Map<String, Object> m = tiny(work);
		m.put("output_file", out.toFile());
		CommandModule r = commands.run(RerenderVideoCommand.class, true, m).get();
		assertTrue(r.isCanceled());
		assertTrue(r.getCancelReason().contains("already exists") && r.getCancelReason().contains("overwrite"), r.getCancelReason());
		assertEquals("someone else's video", Files.readString(out));
		assertFalse(Files.exists(work.resolve("keys")), "refused before any work");
	}

	@Test
	void macroRunsFirstFrame() throws Exception {
		Path work = dir.resolve("macro-work");
		String more = "controlnet_model=[" + Fixtures.file("tiny-controlnet.safetensors") + "] sd_model=["
			+ Fixtures.file("tiny-sd15.safetensors") + "] models_dir=[" + models + "] control_type=canny image_resolution=128"
			+ " ddim_steps=4 interval=3 n_proc=1";
		String out = MacroRunner.runFile(Path.of("macros/rerender_first_frame.ijm"), clip + "|" + work + "|a pencil drawing|" + more);
		assertEquals(work.toString(), out);
		assertTrue(Files.isRegularFile(work.resolve("keys/0000.png")));
	}
}
