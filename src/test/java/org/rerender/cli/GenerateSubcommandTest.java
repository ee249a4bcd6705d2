package org.rerender.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.image.Png;
import org.rerender.image.Rgb8Image;
import org.rerender.testing.Fixtures;

/** {@code rerender generate}: a tiny end-to-end run and the one-line error for each bad input. */
class GenerateSubcommandTest {
	@TempDir
	Path dir;
	Path models, control;

	@BeforeEach
	void setUp() throws IOException {
		models = Fixtures.modelsFolder(dir);
		control = dir.resolve("control.png");
		Rgb8Image img = new Rgb8Image(64, 64);
		for (int y = 16; y < 48; y++)
			for (int x = 16; x < 48; x++) img.set(x, y, 0, 255);
		Png.write(img, control);
	}

	record Outcome(int code, String out, String err) {}

	static Outcome cli(String... args) {
		PrintStream oldOut = System.out, oldErr = System.err;
		ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
		System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
		System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
		try {
			int code = RerenderCli.run(args);
			return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
		}
		finally {
			System.setOut(oldOut);
			System.setErr(oldErr);
		}
	}

	String[] args(String... extra) {
		List<String> a = new ArrayList<>(List.of("generate", "--prompt", "a red square", "--control", control.toString(),
			"--output", dir.resolve("out.png").toString(), "--models", models.toString(), "--steps", "2", "--resolution", "64",
			"--seed", "11"));
		a.addAll(Arrays.asList(extra));
		return a.toArray(String[]::new);
	}

	String[] tiny(String... extra) {
		List<String> a = new ArrayList<>(List.of("--controlnet", Fixtures.file("tiny-controlnet.safetensors").toString(),
			"--sd_model", Fixtures.file("tiny-sd15.safetensors").toString()));
		a.addAll(Arrays.asList(extra));
		return args(a.toArray(String[]::new));
	}

	static void assertOneLine(Outcome o, int code, String... fragments) {
		assertEquals(code, o.code(), o.err());
		// (the first DJL use in a JVM may print SLF4J notices before: only our lines count)
		List<String> ours = o.err().lines().filter(l -> l.startsWith("rerender")).toList();
		assertEquals(1, ours.size(), o.err());
		String line = ours.get(0);
		assertTrue(line.startsWith("rerender generate: "), line);
		for (String f : fragments) assertTrue(line.contains(f), "'" + f + "' in: " + line);
	}

	@Test
	void generatesWithTheTinyModels() throws IOException {
		Outcome o = cli(tiny("--init", control.toString(), "--strength", "0.5"));
		assertEquals(0, o.code(), o.err());
		Rgb8Image out = Png.read(dir.resolve("out.png"));
		assertEquals(64, out.width());
		assertEquals(64, out.height());
		assertTrue(Files.isRegularFile(dir.resolve("out-control.png")));
		assertTrue(o.out().contains("seed 11"), o.out());
	}

	@Test
	void loraIsMergedAtItsStrength() throws IOException {
		Path lora = org.rerender.testing.TinyLora.write(dir.resolve("style.safetensors"), true, 21);
		Path out = dir.resolve("out.png");
		assertEquals(0, cli(tiny()).code());
		byte[] plain = Files.readAllBytes(out);
		Outcome o = cli(tiny("--lora", lora.toString(), "--lora_strength", "0"));
		assertEquals(0, o.code(), o.err());
		assertTrue(Arrays.equals(plain, Files.readAllBytes(out)), "strength 0 leaves the model as it is");
		o = cli(tiny("--lora", lora.toString(), "--lora_strength", "8"));
		assertEquals(0, o.code(), o.err());
		assertTrue(!Arrays.equals(plain, Files.readAllBytes(out)), "the LoRA changes the image");
		assertTrue(cli("generate", "--help").out().contains("--lora_strength"));
		assertOneLine(cli(tiny("--lora_strength", "0.5")), 2, "--lora_strength needs --lora");
		assertOneLine(cli(tiny("--lora", dir.resolve("none.safetensors").toString())), 1, "lora file not found");
		assertOneLine(cli(tiny("--lora", lora.toString(), "--lora_strength", "20")), 1, "-10..10");
	}

	@Test
	void deviceChoiceIsCheckedAndAutoSaysWhyItUsesTheCpu() throws IOException {
		// the test classpath has libtorch's CPU natives only
		assertOneLine(cli(tiny("--device", "cuda:0")), 1, "cuda:0", "no CUDA");
		assertOneLine(cli(tiny("--device", "tpu")), 1, "Unknown device 'tpu'");
		Outcome o = cli(tiny("--device", "auto"));
		assertEquals(0, o.code(), o.err());
		assertTrue(o.err().contains("device cpu, F32 (auto: the PyTorch natives have no CUDA"), o.err());
	}

	@Test
	void helpAndUsage() {
		Outcome h = cli("generate", "--help");
		assertEquals(0, h.code());
		assertTrue(h.out().contains("--control_strength"));
		assertOneLine(cli("generate", "--control", control.toString()), 2, "--prompt");
		assertOneLine(cli(args("--control_type", "depth")), 2, "canny or hed");
		assertOneLine(cli(args("--strength", "0.5")), 2, "--init");
	}

	@Test
	void missingModelSaysWhichAndHowToDownload() {
		assertOneLine(cli(args()), 1, "control_sd15_canny.pth", "bin/rerender download --only controlnet-canny");
		assertOneLine(cli(args("--control_type", "hed")), 1, "bin/rerender download --only controlnet-hed");
	}

	@Test
	void refusesSdxlByName() throws IOException {
		Path sdxl = dir.resolve("sdxl.safetensors");
		writeSafetensors(sdxl, "conditioner.embedders.0.transformer.text_model.embeddings.position_ids",
			"model.diffusion_model.input_blocks.0.0.weight");
		assertOneLine(cli(args("--controlnet", Fixtures.file("tiny-controlnet.safetensors").toString(), "--sd_model",
			sdxl.toString())), 1, "SDXL");
	}

	@Test
	void truncatedCheckpoint() throws IOException {
		Path cut = dir.resolve("cut.safetensors");
		byte[] all = Files.readAllBytes(Fixtures.file("tiny-controlnet.safetensors"));
		Files.write(cut, Arrays.copyOf(all, all.length / 2));
		assertOneLine(cli(args("--controlnet", cut.toString())), 1, "cut.safetensors", "download it again");
	}

	@Test
	void badImages() throws IOException {
		Path text = Files.writeString(dir.resolve("notes.png"), "not an image\n");
		assertOneLine(cli(tiny("--control", text.toString())), 1, "notes.png", "not a readable image");
		assertOneLine(cli(tiny("--init", dir.resolve("missing.png").toString())), 1, "missing.png", "not found");
	}

	/** A small valid safetensors file with one F32 scalar-ish tensor per name. */
	static void writeSafetensors(Path p, String... names) throws IOException {
		StringBuilder h = new StringBuilder("{");
		for (int i = 0; i < names.length; i++) {
			if (i > 0) h.append(',');
			h.append('"').append(names[i]).append("\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[")
				.append(4 * i).append(',').append(4 * i + 4).append("]}");
		}
		h.append('}');
		while ((h.length() + 8) % 8 != 0) h.append(' ');
		byte[] header = h.toString().getBytes(StandardCharsets.UTF_8);
		ByteBuffer b = ByteBuffer.allocate(8 + header.length + 4 * names.length).order(ByteOrder.LITTLE_ENDIAN);
		b.putLong(header.length).put(header);
		Files.write(p, b.array());
	}
}
