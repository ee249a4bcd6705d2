package org.rerender.fiji.ij1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ij.ImagePlus;
import ij.Macro;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;
import org.scijava.module.ModuleItem;

/** The option string and recorder line built from parameter values (headless: no dialog is shown). */
class DialogHarvesterTest {
	static Context ctx;
	static CommandService commands;

	@BeforeAll
	static void start() {
		ctx = new Context(CommandService.class);
		commands = ctx.service(CommandService.class);
	}

	@AfterAll
	static void stop() {
		ctx.dispose();
	}

	@Test
	void fieldsSkipServicesAndOutputs() {
		CommandInfo info = commands.getCommand("org.rerender.fiji.SaveVideoCommand");
		List<String> names = DialogHarvester.fields(info).stream().map(ModuleItem::getName).toList();
		assertEquals(List.of("image", "output_file", "overwrite", "fps", "audio_source"), names);
		assertEquals("Save Video", CommandBridge.menuLabel(info));
	}

	@Test
	void optionStringRoundTripsThroughMacroParsing() {
		CommandInfo info = commands.getCommand("org.rerender.fiji.SaveVideoCommand");
		Map<String, Object> v = new LinkedHashMap<>();
		v.put("image", new ImagePlus("my clip", new ij.process.ColorProcessor(4, 4)));
		File out = new File("/tmp/out dir/result.mp4");
		v.put("output_file", out);
		v.put("fps", 29.97);
		v.put("audio_source", null);
		String opts = DialogHarvester.optionString(info, v);
		assertEquals("image=[my clip] output_file=[" + out.getAbsolutePath() + "] fps=29.97", opts);
		// what CommandBridge reads back
		assertEquals("my clip", Macro.getValue(opts, "image", null));
		assertEquals(out.getAbsolutePath(), Macro.getValue(opts, "output_file", null));
		assertEquals("29.97", Macro.getValue(opts, "fps", null));
		assertNull(Macro.getValue(opts, "audio_source", null));
		v.put("fps", 25.0);
		assertEquals("image=[my clip] output_file=[" + out.getAbsolutePath() + "] fps=25", DialogHarvester.optionString(info, v));
	}

	@Test
	void choicesAndRecorderLine() {
		CommandInfo info = commands.getCommand("org.rerender.fiji.ComputeOpticalFlowCommand");
		Map<String, Object> v = new LinkedHashMap<>();
		v.put("image", new ImagePlus("frames", new ij.process.ColorProcessor(4, 4)));
		v.put("method", "dis");
		v.put("direction", "forward");
		String opts = DialogHarvester.optionString(info, v);
		assertEquals("image=frames method=dis direction=forward", opts);
		assertEquals("run(\"Compute Optical Flow\", \"image=frames method=dis direction=forward\");\n",
			DialogHarvester.recordLine("Compute Optical Flow", opts));
		assertEquals("run(\"Model Status\");\n", DialogHarvester.recordLine("Model Status", ""));
		assertEquals("run(\"X\", \"prompt=[a \\\"b\\\"]\");\n", DialogHarvester.recordLine("X", "prompt=[a \"b\"]"));
	}

	@Test
	void booleansAreBareWordsAndEmptyStringsBracketed() {
		CommandInfo info = commands.getCommand("org.rerender.fiji.PropagateCommand");
		Map<String, Object> v = new LinkedHashMap<>();
		v.put("key_interval", 10.0);
		v.put("key_frames", "");
		v.put("poisson", true);
		v.put("processes", 4.0);
		v.put("keep_intermediates", false);
		String opts = DialogHarvester.optionString(info, v);
		assertEquals("key_interval=10 key_frames=[] poisson processes=4 keep_intermediates=false", opts);
		// CommandBridge reads a bare word as true; false is explicit, so a default of true cannot come back
		assertEquals("", Macro.getValue(opts, "key_frames", null));
		assertEquals("false", Macro.getValue(opts, "keep_intermediates", null));
		v.put("poisson", false);
		assertEquals("false", Macro.getValue(DialogHarvester.optionString(info, v), "poisson", null));
	}

	@Test
	void messageHeadersAreShownAsPlainText() {
		org.junit.jupiter.api.Assertions.assertEquals("Cross-frame constraints (start > end = off)",
			DialogHarvester.plainText("<html><b>Cross-frame constraints</b> (start &gt; end = off)"));
	}
}
