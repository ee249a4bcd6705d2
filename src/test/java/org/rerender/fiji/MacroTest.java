package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.testing.MacroRunner;
import org.rerender.video.TestClips;
import org.rerender.video.VideoInfo;
import org.rerender.video.VideoReader;

/** The macro in macros/ through ImageJ 1.x's own interpreter, headless, with the commands of plugins.config. */
class MacroTest {

	@TempDir
	Path tmp;

	@Test
	void pluginsConfigRegistersTheBridge() {
		Map<String, String> cmds = MacroRunner.registerCommands();
		assertEquals("org.rerender.fiji.ij1.CommandBridge(\"org.rerender.fiji.OpenVideoCommand\")", cmds.get("Open Video"));
		assertEquals("org.rerender.fiji.ij1.CommandBridge(\"org.rerender.fiji.SaveVideoCommand\")", cmds.get("Save Video"));
	}

	@Test
	void openAndSaveVideoMacro() throws IOException {
		Path dir = Files.createDirectories(tmp.resolve("macro out é"));
		Path in = dir.resolve("clip with space.mp4");
		org.rerender.video.VideoWriter.write(in, TestClips.smallFrames().subList(0, 12), 25, TestClips.example(),
			org.rerender.engine.Progress.NONE, org.rerender.engine.Cancel.NEVER);
		Path out = dir.resolve("résultat.mp4");
		String ret = MacroRunner.runFile(Path.of("macros", "open_and_save_video.ijm"), in + "|" + out + "|128");
		assertEquals("12 128 64 25", ret); // 192x108 -> 128x72 -> 128x64
		VideoInfo info = VideoReader.probe(out);
		assertEquals(12, info.frameCount());
		assertEquals(128, info.width());
		assertEquals(64, info.height());
		assertEquals(25.0, info.fps(), 1e-6);
		assertTrue(info.hasAudio(), "audio carried through the macro");
	}

	@Test
	void computeFlowMacro() throws IOException {
		Path dir = Files.createDirectories(tmp.resolve("flow macro ü"));
		Path in = TestClips.smallClip(dir.resolve("clip.mp4"), 4);
		String ret = MacroRunner.runFile(Path.of("macros", "compute_flow.ijm"), in + "|" + dir + "|128|dis");
		assertEquals("3 128 64 2", ret);
		for (String f : new String[] { "forward_flow.tif", "backward_flow.tif", "occlusion.tif" })
			assertTrue(Files.size(dir.resolve(f)) > 0, f);
	}

	@Test
	void outputTitlesAreUniqueAmongOpenImages() throws IOException {
		Path in = Files.createDirectories(tmp.resolve("titles")).resolve("unique title.mp4");
		org.rerender.video.VideoWriter.write(in, TestClips.smallFrames().subList(0, 2), 25, null,
			org.rerender.engine.Progress.NONE, org.rerender.engine.Cancel.NEVER);
		String ret = MacroRunner.run("""
			setBatchMode(true);
			run("Open Video", "file=[" + getArgument() + "] resolution=0");
			a = getTitle();
			run("Open Video", "file=[" + getArgument() + "] resolution=0");
			return a + "|" + getTitle();
			""", in.toString());
		assertEquals("unique title.mp4|unique title.mp4-1", ret, "titled uniquely when made; the bridge shows them as they are");
	}

	@Test
	void macroErrorsAreReported() {
		AssertionError e = assertThrows(AssertionError.class, () -> MacroRunner.run(
			"run(\"Open Video\", \"file=[" + tmp.resolve("missing.mp4") + "]\");", ""));
		assertTrue(e.getMessage().contains("not found"), e.getMessage());
	}

	@Test
	void aCommandsErrorInsideALoopBlockOrFunctionIsReportedAsItIs() {
		String missing = tmp.resolve("missing.mp4").toString();
		for (String macro : new String[] {
			"for (i = 0; i < 3; i++) {\n  run(\"Open Video\", \"file=[\" + getArgument() + \"]\");\n  print(i);\n}\nreturn \"end\";",
			"for (i = 0; i < 3; i++)\n  run(\"Open Video\", \"file=[\" + getArgument() + \"]\");\nreturn \"end\";",
			"i = 0;\nwhile (i < 3) {\n  run(\"Open Video\", \"file=[\" + getArgument() + \"]\");\n  i++;\n}",
			"if (true) {\n  run(\"Open Video\", \"file=[\" + getArgument() + \"]\");\n}",
			"function open(f) {\n  run(\"Open Video\", \"file=[\" + f + \"]\");\n}\nopen(getArgument());\nreturn \"end\";" })
		{
			AssertionError e = assertThrows(AssertionError.class, () -> MacroRunner.run(macro, missing), macro);
			assertEquals("Macro failed: Video file not found: " + missing, e.getMessage(), macro);
		}
	}

	@Test
	void syntaxErrorsAndExitAreReported() {
		AssertionError e = assertThrows(AssertionError.class, () -> MacroRunner.run("x = 1;\ny = notDefined + 1;", ""));
		assertTrue(e.getMessage().contains("Undefined variable"), e.getMessage());
		e = assertThrows(AssertionError.class, () -> MacroRunner.run("exit(\"stop here\");\nreturn \"x\";", ""));
		assertTrue(e.getMessage().contains("exit()"), e.getMessage());
	}
}
