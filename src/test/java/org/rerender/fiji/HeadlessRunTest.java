package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.testing.Fixtures;
import org.rerender.video.TestClips;
import org.rerender.video.VideoReader;
import org.scijava.Context;
import org.scijava.console.ConsoleService;
import org.scijava.prefs.PrefService;
import org.scijava.startup.StartupService;

/**
 * The headless command lines of the README, run as Fiji's launcher hands them over: through SciJava's
 * {@link ConsoleService} ({@code --headless --run "Rerender Video" 'key="value",…'}) in this JVM, and through
 * {@link HeadlessRun} in a child JVM for the exit codes. Tiny fixture models, a real 4-frame clip.
 */
class HeadlessRunTest {
	@TempDir
	static Path dir;
	static Path clip, models;
	/** This JVM's context for the launcher path: the services of HeadlessRun. */
	static Context context;

	@BeforeAll
	static void start() throws Exception {
		assumeTrue(Files.exists(Fixtures.dir().resolve("tiny-sd15.safetensors")), "tiny fixture models not found");
		clip = TestClips.exampleClip(dir.resolve("clip.mp4"), 4);
		models = Fixtures.modelsFolder(dir);
		context = new Context(HeadlessRun.SERVICES);
		// parameters left out of a --run take remembered values (as in Fiji): start from the declared defaults
		for (Class<?> c : List.of(RerenderVideoCommand.class, OpenVideoCommand.class)) context.service(PrefService.class).clear(c);
	}

	@AfterAll
	static void stop() {
		if (context == null) return;
		// and leave no remembered values behind for the other command tests of this JVM
		for (Class<?> c : List.of(RerenderVideoCommand.class, OpenVideoCommand.class)) context.service(PrefService.class).clear(c);
		context.dispose();
	}

	/** The README's headless lines of the macros section that start with {@code prefix}, split as a shell would. */
	static List<List<String>> readmeLines(String prefix) throws Exception {
		String readme = Files.readString(Path.of("README.md"));
		String section = readme.substring(readme.indexOf("<!-- section: macros -->"));
		section = section.substring(0, section.indexOf("<!-- section:", 10));
		List<List<String>> lines = new ArrayList<>();
		for (String line : section.split("\n"))
			if (line.startsWith(prefix) && line.contains(" --run ")) lines.add(shellWords(line));
		assertFalse(lines.isEmpty(), "no README line starts with " + prefix);
		return lines;
	}

	static List<String> shellWords(String line) {
		List<String> words = new ArrayList<>();
		StringBuilder w = new StringBuilder();
		boolean any = false;
		for (int i = 0; i < line.length(); i++) {
			char c = line.charAt(i);
			if (c == '\'' || c == '"') {
				int end = line.indexOf(c, i + 1);
				w.append(line, i + 1, end);
				i = end;
				any = true;
			}
			else if (c == ' ') {
				if (any) words.add(w.toString());
				w.setLength(0);
				any = false;
			}
			else {
				w.append(c);
				any = true;
			}
		}
		if (any) words.add(w.toString());
		return words;
	}

	/** The README's example paths made real, plus the tiny models for the Rerender commands. */
	static String[] localize(List<String> args, Path work, String extra) {
		List<String> out = new ArrayList<>();
		for (int i = 0; i < args.size(); i++) {
			String a = args.get(i).replace("/data/clip.mp4", clip.toString()).replace("/data/work", work.toString());
			if (i > 0 && args.get(i - 1).startsWith("Rerender ")) a += "," + tiny() + extra;
			out.add(a);
		}
		return out.toArray(String[]::new);
	}

	static String tiny() {
		return "controlnet_model=\"" + Fixtures.file("tiny-controlnet.safetensors") + "\",sd_model=\"" + Fixtures.file("tiny-sd15.safetensors")
			+ "\",models_dir=\"" + models + "\",control_type=\"canny\",image_resolution=128,ddim_steps=4,n_proc=1,seed=7";
	}

	/** The arguments Fiji's launcher passes on: its own options ({@code fiji}, {@code --console}) removed. */
	static List<String> fijiArgs(List<String> line) {
		assertEquals("fiji", line.get(0));
		return line.subList(1, line.size()).stream().filter(a -> !a.equals("--console")).toList();
	}

	@Test
	void readmeRerenderVideoLineRunsThroughConsoleService() throws Exception {
		List<String> line = readmeLines("fiji --headless --console --run \"Rerender Video\"").get(0);
		Path work = dir.resolve("fiji-work");
		String[] args = localize(fijiArgs(line), work, ",interval=3");
		// what Gateway.launch does with the launcher's arguments
		context.service(ConsoleService.class).processArgs(args);
		context.service(StartupService.class).executeOperations();
		Path video = work.resolve("output.mp4");
		assertTrue(Files.isRegularFile(video), "no output video in " + work);
		assertEquals(4, VideoReader.probe(video).frameCount());
		assertTrue(Files.isRegularFile(work.resolve("keys/0000.png")));
		assertTrue(Files.isRegularFile(work.resolve("output_consistency.csv")));
	}

	@Test
	void readmeOpenVideoLineFinishes() throws Exception {
		List<String> line = readmeLines("fiji --headless --console --run \"Open Video\"").get(0);
		ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
		int rc = HeadlessRun.run(context, new PrintStream(out, true), new PrintStream(err, true), localize(fijiArgs(line), dir, ""));
		assertEquals(HeadlessRun.OK, rc, err.toString());
		assertTrue(out.toString().contains("Open Video: finished"), out.toString());
	}

	@Test
	void readmeMainClassLinePassesTheChecks() throws Exception {
		List<String> line = readmeLines("fiji --headless --main-class=").get(0);
		int at = line.indexOf("--main-class=" + HeadlessRun.class.getName());
		assertTrue(at > 0, String.join(" ", line));
		String[] args = localize(line.subList(at + 1, line.size()), dir.resolve("unused"), ",interval=3");
		assertEquals(List.of("Rerender Video"), HeadlessRun.check(context, args));
	}

	@Test
	void inProcessFailuresAreCounted() {
		ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
		int rc = HeadlessRun.run(context, new PrintStream(out, true), new PrintStream(err, true), "--headless", "--run", "Open Video",
			"file=\"" + dir.resolve("nothing.mp4") + "\"");
		assertEquals(HeadlessRun.FAILED, rc);
		assertTrue(err.toString().contains("Open Video failed: Video file not found: " + dir.resolve("nothing.mp4")), err.toString());
		assertEquals(HeadlessRun.USAGE, HeadlessRun.run(context, System.out, new PrintStream(err, true), "--headless"));
		assertTrue(err.toString().contains("nothing to run"), err.toString());
	}

	@Test
	void severalRunsByTitleOrClassNameAreEachChecked() {
		ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
		int rc = HeadlessRun.run(context, new PrintStream(out, true), new PrintStream(err, true), "--headless",
			"--run", OpenVideoCommand.class.getName(), "file=\"" + clip + "\",resolution=64",
			"--run", "Open Video", "file=\"" + dir.resolve("gone.mp4") + "\"");
		assertEquals(HeadlessRun.FAILED, rc, err.toString());
		assertTrue(out.toString().contains("Open Video: finished"), out.toString());
		assertTrue(err.toString().contains("Open Video failed: Video file not found: " + dir.resolve("gone.mp4")), err.toString());
	}

	@Test
	void missingModelAndCorruptInputFailWithTheirReason() throws Exception {
		Path empty = Files.createDirectories(dir.resolve("no-models"));
		String noModel = "input_file=\"" + clip + "\",work_dir=\"" + dir.resolve("w3") + "\",prompt=\"x\",models_dir=\"" + empty
			+ "\",control_type=\"canny\",image_resolution=128,ddim_steps=4,interval=3";
		ByteArrayOutputStream err = new ByteArrayOutputStream();
		assertEquals(HeadlessRun.FAILED, HeadlessRun.run(context, System.out, new PrintStream(err, true), "--run", "Rerender Video", noModel));
		// which file is named first depends on what the service has already loaded
		assertTrue(err.toString().matches("(?s).*Rerender Video failed: Model '[\\w-]+' \\(\\S+\\) is not installed: download it with "
			+ "bin/rerender download --only [\\w-]+, or put \\S+ in " + java.util.regex.Pattern.quote(empty.toString()) + ".*"), err.toString());
		Path corrupt = Files.write(dir.resolve("corrupt.mp4"), new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
		err.reset();
		assertEquals(HeadlessRun.FAILED, HeadlessRun.run(context, System.out, new PrintStream(err, true), "--run", "Rerender Video",
			"input_file=\"" + corrupt + "\",work_dir=\"" + dir.resolve("w4") + "\",prompt=\"x\"," + tiny() + ",interval=3"));
		assertTrue(err.toString().contains("Rerender Video failed: Not a video FFmpeg can read (or a damaged/truncated file): " + corrupt), err.toString());
	}

	@Test
	void childJvmExitsZeroWhenTheReadmeLineSucceeds() throws Exception {
		List<String> line = readmeLines("java -").get(0);
		int at = line.indexOf(HeadlessRun.class.getName());
		assertTrue(at > 0, "README java line names " + HeadlessRun.class.getName());
		Path work = dir.resolve("child-work");
		Child c = child(localize(line.subList(at + 1, line.size()), work, ",frame_count=2,interval=1"));
		assertEquals(0, c.rc, c.output);
		assertTrue(c.output.contains("Rerender Video: finished {output_video=" + work.resolve("output.mp4") + "}"), c.output);
		assertEquals(2, VideoReader.probe(work.resolve("output.mp4")).frameCount());
	}

	@Test
	void childJvmExitsOneWithTheReasonWhenTheInputIsMissing() throws Exception {
		Path missing = dir.resolve("missing.mp4");
		Child c = child("--headless", "--run", "Rerender Video", "input_file=\"" + missing + "\",work_dir=\"" + dir.resolve("w1") + "\",prompt=\"x\"," + tiny() + ",interval=3");
		assertEquals(1, c.rc, c.output);
		assertTrue(c.output.contains("HeadlessRun: Rerender Video failed: Video file not found: " + missing), c.output);
	}

	@Test
	void childJvmExitsTwoOnAnUnknownParameterBeforeRunning() throws Exception {
		Child c = child("--headless", "--run", "Rerender Video", "input_fle=\"" + clip + "\",work_dir=\"" + dir.resolve("w2") + "\",prompt=\"x\"");
		assertEquals(2, c.rc, c.output);
		assertTrue(c.output.contains("'Rerender Video' has no parameter 'input_fle'; its parameters: input, input_file,"), c.output);
		assertFalse(Files.exists(dir.resolve("w2")), "nothing ran");
		Child bare = child("--headless", "--run", "Rerender Video", "input_file=\"" + clip + "\",control_type=canny");
		assertEquals(2, bare.rc, bare.output);
		assertTrue(bare.output.contains("Unknown variable: canny"), bare.output);
	}

	record Child(int rc, String output) {}

	/** HeadlessRun in a fresh JVM with this class path and its own (empty) preferences. */
	static Child child(String... args) throws Exception {
		List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
			"-Djava.util.prefs.userRoot=" + Files.createDirectories(dir.resolve("prefs")), "-cp", System.getProperty("java.class.path"),
			HeadlessRun.class.getName()));
		cmd.addAll(List.of(args));
		Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
		byte[] out = p.getInputStream().readAllBytes();
		assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child JVM timed out");
		return new Child(p.exitValue(), new String(out, StandardCharsets.UTF_8));
	}
}
