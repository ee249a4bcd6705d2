package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.GraphicsEnvironment;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.video.TestClips;
import org.rerender.video.VideoReader;
import org.scijava.Context;
import org.scijava.ItemVisibility;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;
import org.scijava.module.ModuleItem;
import org.scijava.service.Service;

/** The parameters of every Rerender command as the dialogs, macros and headless runs see them. */
class CommandParametersTest {
	static Context context;
	static CommandService commands;

	@BeforeAll
	static void start() {
		context = new Context(CommandService.class, RerenderService.class);
		commands = context.service(CommandService.class);
	}

	@AfterAll
	static void stop() {
		context.dispose();
	}

	static List<CommandInfo> ours() {
		List<CommandInfo> out = new ArrayList<>();
		for (CommandInfo info : commands.getCommands())
			if (info.getClassName().startsWith("org.rerender.fiji.")) out.add(info);
		assertTrue(out.size() >= 12, "found " + out.size() + " commands");
		return out;
	}

	@Test
	void everyInputHasALabelAndDescriptionNumbersARangeFilesAWidgetStyle() {
		List<String> missing = new ArrayList<>();
		for (CommandInfo info : ours())
			for (ModuleItem<?> item : info.inputs()) {
				Class<?> t = item.getType();
				if (Service.class.isAssignableFrom(t) || Context.class.isAssignableFrom(t) || item.getVisibility() == ItemVisibility.MESSAGE) continue;
				String where = info.getClassName().replace("org.rerender.fiji.", "") + "." + item.getName();
				if (item.getLabel() == null || item.getLabel().isBlank() || item.getLabel().equals(item.getName())) missing.add(where + ": label");
				if (item.getDescription() == null || item.getDescription().isBlank()) missing.add(where + ": description");
				if (t.isPrimitive() && t != boolean.class && (item.getMinimumValue() == null || item.getMaximumValue() == null))
					missing.add(where + ": min/max");
				if (t == File.class && (item.getWidgetStyle() == null || item.getWidgetStyle().isBlank())) missing.add(where + ": file widget style");
			}
		assertEquals(List.of(), missing);
	}

	@Test
	void saveVideoRunsHeadless(@TempDir java.nio.file.Path tmp) throws Exception {
		assertTrue(GraphicsEnvironment.isHeadless(), "the test JVM runs with java.awt.headless=true");
		assertTrue(commands.getCommand(SaveVideoCommand.class).canRunHeadless());
		java.nio.file.Path out = tmp.resolve("o.mp4");
		CommandModule m = commands.run(SaveVideoCommand.class, true, Map.of("image",
			ImageConversions.toImagePlus("frames", TestClips.smallFrames().subList(0, 3)), "output_file", out.toFile(), "fps", 10.0)).get();
		assertFalse(m.isCanceled(), m.getCancelReason());
		assertEquals(3, VideoReader.probe(out).frameCount());
	}
}
