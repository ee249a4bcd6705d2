package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.config.RerenderConfig;
import org.scijava.command.CommandInfo;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;

/**
 * The Rerender commands' {@code batch_cfg} and {@code attention_store_on_host} parameters: declared with label and
 * description, off by default, passed into the job's config, and reset by "Reset to defaults". No models needed: the
 * config is built from the module's inputs as the command's run does.
 */
class RerenderEngineSwitchesCommandTest {
	@TempDir
	Path dir;

	private static final List<Class<? extends RerenderCommandBase>> COMMANDS =
		List.of(RerenderFirstFrameCommand.class, RerenderKeyFramesCommand.class, RerenderVideoCommand.class);

	private Module module(Class<? extends RerenderCommandBase> c) throws Exception {
		Module m = new CommandInfo(c).createModule();
		m.setInput("input_file", dir.resolve("in.mp4").toFile());
		m.setInput("work_dir", dir.resolve("work").toFile());
		m.setInput("prompt", "a pencil drawing");
		return m;
	}

	@Test
	void switchesAreParametersPassedIntoTheConfig() throws Exception {
		for (Class<? extends RerenderCommandBase> c : COMMANDS) {
			CommandInfo info = new CommandInfo(c);
			for (String name : new String[] {"batch_cfg", "attention_store_on_host"}) {
				ModuleItem<?> item = info.getInput(name);
				assertNotNull(item, c.getSimpleName() + " has no parameter " + name);
				assertEquals(boolean.class, item.getType());
				assertTrue(item.getLabel() != null && !item.getLabel().isBlank() && item.getDescription() != null, name);
			}
			Module m = module(c);
			RerenderCommandBase cmd = (RerenderCommandBase) m.getDelegateObject();
			RerenderConfig def = cmd.config();
			assertFalse(def.batchCfg, "off by default");
			assertFalse(def.attentionStoreOnHost, "off by default");

			m.setInput("batch_cfg", true);
			RerenderConfig one = cmd.config();
			assertTrue(one.batchCfg);
			assertFalse(one.attentionStoreOnHost);
			m.setInput("attention_store_on_host", true);
			m.setInput("batch_cfg", false);
			RerenderConfig other = cmd.config();
			assertFalse(other.batchCfg);
			assertTrue(other.attentionStoreOnHost);
			m.setInput("batch_cfg", true);
			assertTrue(cmd.config().batchCfg && cmd.config().attentionStoreOnHost);

			cmd.resetDefaults();
			assertFalse(cmd.config().batchCfg || cmd.config().attentionStoreOnHost, "Reset to defaults turns them off");
		}
	}
}
