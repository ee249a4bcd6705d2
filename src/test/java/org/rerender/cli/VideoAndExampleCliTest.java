package org.rerender.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.rerender.cli.CliCapture.run;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.testing.Fixtures;
import org.rerender.video.VideoReader;

/** {@code rerender video} and {@code rerender example} through the launcher (exit codes, messages, files). */
class VideoAndExampleCliTest {
	@TempDir
	Path dir;

	@Test
	void usageAndModelErrorsExitNonZeroWithOneLine() throws Exception {
		assertEquals("2", run("video", "--input", "x.mp4")[0]);
		assertEquals("0", run("video", "--help")[0]);
		assumeTrue(Files.isRegularFile(Path.of("examples/city.mp4")));
		String[] r = run("video", "--input", "examples/city.mp4", "--output", dir.resolve("o.mp4").toString(), "--prompt", "x",
			"--models", dir.resolve("empty").toString(), "--control_type", "canny", "--frame_count", "3", "--interval", "1",
			"--image_resolution", "64", "-one");
		assertEquals("1", r[0]);
		assertTrue(r[2].contains("bin/rerender download --only controlnet-canny"), r[2]);
	}

	@Test
	void engineSwitchFlagsReachTheJob() throws Exception {
		String[] help = run("video", "--help");
		assertTrue(help[1].contains("--batch_cfg") && help[1].contains("--attention_store_on_host"), help[1]);
		assumeTrue(Files.isRegularFile(Path.of("examples/city.mp4")));
		// the job records its settings before it loads the models (missing here): read them back from the job file
		for (boolean on : new boolean[] {false, true}) {
			Path work = dir.resolve("switches-" + on);
			List<String> args = new ArrayList<>(List.of("video", "--input", "examples/city.mp4", "--output",
				work.resolve("o.mp4").toString(), "--prompt", "x", "--models", dir.resolve("empty").toString(), "--control_type", "canny",
				"--frame_count", "2", "--interval", "1", "--image_resolution", "64", "-one"));
			if (on) args.addAll(List.of("--batch_cfg", "--attention_store_on_host"));
			String[] r = run(args.toArray(String[]::new));
			assertEquals("1", r[0], r[2]); // no models
			JsonObject params = JsonParser.parseString(Files.readString(work.resolve("rerender.json"))).getAsJsonObject()
				.getAsJsonObject("params");
			assertEquals(on, params.get("batch_cfg").getAsBoolean(), params.toString());
			assertEquals(on, params.get("attention_store_on_host").getAsBoolean(), params.toString());
		}
		// with --cfg, the flags override the file
		Path cfg = dir.resolve("c.json");
		Files.writeString(cfg, "{\"input\":\"examples/city.mp4\",\"output\":\"" + dir.resolve("cfg/o.mp4").toString().replace("\\", "/")
			+ "\",\"prompt\":\"x\",\"control_type\":\"canny\",\"frame_count\":2,\"interval\":1,\"image_resolution\":64,"
			+ "\"batch_cfg\":false,\"attention_store_on_host\":true}");
		String[] r = run("video", "--cfg", cfg.toString(), "--models", dir.resolve("empty").toString(), "--batch_cfg", "-one");
		assertEquals("1", r[0], r[2]);
		JsonObject params = JsonParser.parseString(Files.readString(dir.resolve("cfg/rerender.json"))).getAsJsonObject()
			.getAsJsonObject("params");
		assertTrue(params.get("batch_cfg").getAsBoolean() && params.get("attention_store_on_host").getAsBoolean(), params.toString());
	}

	@Test
	void firstFrameOnlyWithTinyModels() throws Exception {
		assumeTrue(Files.exists(Fixtures.dir().resolve("tiny-sd15.safetensors")) && Files.isRegularFile(Path.of("examples/city.mp4")));
		Path models = Fixtures.modelsFolder(dir);
		String[] r = run("video", "--input", "examples/city.mp4", "--output", dir.resolve("out/o.mp4").toString(), "--prompt", "x",
			"--models", models.toString(), "--controlnet_model", Fixtures.file("tiny-controlnet.safetensors").toString(),
			"--sd_model", Fixtures.file("tiny-sd15.safetensors").toString(), "--control_type", "canny", "--ddim_steps", "4",
			"--image_resolution", "64", "--interval", "4", "--seed", "5", "-one");
		assertEquals("0", r[0], r[2]);
		assertTrue(Files.isRegularFile(dir.resolve("out/keys/0000.png")));
		assertTrue(Files.isRegularFile(dir.resolve("out/keys/anchor_state.safetensors")));
		assertTrue(!Files.exists(dir.resolve("out/o.mp4")));
	}

	@Test
	void exampleWithoutWeightsSaysSoAndWritesTheVideo() throws Exception {
		assumeTrue(Files.isRegularFile(Path.of("examples/city.mp4")));
		Path out = dir.resolve("example-output/city_rerendered.mp4");
		String[] r = run("example", "--output", out.toString(), "--models", dir.resolve("no-models").toString(),
			"--image_resolution", "128", "--frame_count", "9", "--interval", "4");
		assertEquals("0", r[0], r[2]);
		assertTrue(r[2].contains(ExampleSubcommand.NO_WEIGHTS) && r[1].contains(ExampleSubcommand.NO_WEIGHTS));
		assertEquals(9, VideoReader.probe(out).frameCount());
		assertEquals(VideoReader.probe(Path.of("examples/city.mp4")).hasAudio(), VideoReader.probe(out).hasAudio());
		assertTrue(Files.isRegularFile(dir.resolve("example-output/city_rerendered_consistency.png")));
	}
}
