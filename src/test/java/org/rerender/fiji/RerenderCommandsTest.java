package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.testing.Fixtures;
import org.rerender.testing.MacroRunner;
import org.rerender.video.TestClips;
import org.rerender.video.VideoReader;
import org.scijava.command.CommandModule;

/**
 * The Rerender commands headless through the CommandService (as {@code fiji --headless --run "Rerender …" '…'}
 * invokes them) and through the IJ1 macro interpreter, on a real 6-frame clip with the tiny fixture models.
 */
class RerenderCommandsTest {
	@TempDir
	static Path dir;
	static Path clip;
	static TinyCommands fiji;

	@BeforeAll
	static void start() throws Exception {
		fiji = TinyCommands.open(dir);
		clip = TestClips.exampleClip(dir.resolve("clip.mp4"), 6);
	}

	@AfterAll
	static void stop() {
		if (fiji != null) fiji.close();
	}

	static Map<String, Object> tiny(Path work) {
		Map<String, Object> m = fiji.settings(work);
		m.put("input_file", clip.toFile());
		m.put("image_resolution", 128);
		m.put("ddim_steps", 4);
		m.put("interval", 3);
		m.put("seed", 7L); // explicit: a remembered value from another test's run must not decide it
		return m;
	}

	@Test
	void firstFrameThenVideoThroughCommandService() throws Exception {
		Path work = dir.resolve("work");
		CommandModule one = fiji.run(RerenderFirstFrameCommand.class, tiny(work));
		assertFalse(one.isCanceled(), one.getCancelReason());
		assertEquals(1, ((ImagePlus) one.getOutput("key_frames")).getStackSize());
		assertEquals(128, ((ImagePlus) one.getOutput("edge_map")).getWidth());
		assertTrue(Files.isRegularFile(work.resolve("keys/anchor_state.safetensors")));
		assertTrue(fiji.context.service(RerenderService.class).modelsLoaded(), "the service keeps the models");

		CommandModule all = fiji.run(RerenderVideoCommand.class, tiny(work));
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
		CommandModule r = fiji.run(RerenderVideoCommand.class, m);
		assertTrue(r.isCanceled());
		assertTrue(r.getCancelReason().contains("Video file not found"), r.getCancelReason());
	}

	@Test
	void anExistingOutputIsRefusedBeforeAnyWorkUnlessOverwrite() throws Exception {
		Path work = dir.resolve("exists");
		Path out = Files.writeString(dir.resolve("theirs.mp4"), "someone else's video");
		Map<String, Object> m = tiny(work);
		m.put("output_file", out.toFile());
		CommandModule r = fiji.run(RerenderVideoCommand.class, m);
		assertTrue(r.isCanceled());
		assertTrue(r.getCancelReason().contains("already exists") && r.getCancelReason().contains("overwrite"), r.getCancelReason());
		assertEquals("someone else's video", Files.readString(out));
		assertFalse(Files.exists(work.resolve("keys")), "refused before any work");
	}

	@Test
	void macroRunsFirstFrame() throws Exception {
		Path work = dir.resolve("macro-work");
		String more = "controlnet_model=[" + Fixtures.file("tiny-controlnet.safetensors") + "] sd_model=["
			+ Fixtures.file("tiny-sd15.safetensors") + "] models_dir=[" + fiji.models + "] control_type=canny image_resolution=128"
			+ " ddim_steps=4 interval=3 n_proc=1";
		String out = MacroRunner.runFile(Path.of("macros/rerender_first_frame.ijm"), clip + "|" + work + "|a pencil drawing|" + more);
		assertEquals(work.toString(), out);
		assertTrue(Files.isRegularFile(work.resolve("keys/0000.png")));
	}
}
