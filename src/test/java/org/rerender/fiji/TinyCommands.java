package org.rerender.fiji;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.rerender.testing.Fixtures;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;
import org.scijava.command.Command;

/**
 * The headless Fiji setup the Rerender command tests share: a {@link Context} with the command, status and Rerender
 * services (as {@code fiji --headless} has them), and a models folder with the tiny fixture models. Open it in
 * {@code @BeforeAll}, close it in {@code @AfterAll}.
 */
final class TinyCommands implements AutoCloseable {
	final Path models;
	final Context context;
	final CommandService commands;

	private TinyCommands(Path models) {
		this.models = models;
		this.context = new Context(CommandService.class, StatusService.class, RerenderService.class);
		this.commands = context.service(CommandService.class);
	}

	/** The setup with the models folder under {@code dir}; skips the test class when the tiny fixture models are missing. */
	static TinyCommands open(Path dir) throws Exception {
		assumeTrue(Files.exists(Fixtures.dir().resolve("tiny-sd15.safetensors")), "tiny fixture models not found");
		return new TinyCommands(Fixtures.modelsFolder(dir));
	}

	/** A Rerender command's settings for the tiny fixture models (canny control), without input and sizes. */
	Map<String, Object> settings(Path work) {
		Map<String, Object> m = new HashMap<>();
		m.put("work_dir", work.toFile());
		m.put("prompt", "an oil painting");
		m.put("controlnet_model", Fixtures.file("tiny-controlnet.safetensors").toFile());
		m.put("sd_model", Fixtures.file("tiny-sd15.safetensors").toFile());
		m.put("models_dir", models.toFile());
		m.put("control_type", "canny");
		m.put("n_proc", 1);
		return m;
	}

	/** Runs a command headless with {@code params} (pre- and postprocessing as in Fiji) and waits for it. */
	CommandModule run(Class<? extends Command> command, Map<String, Object> params) throws Exception {
		return commands.run(command, true, params).get();
	}

	@Override
	public void close() {
		context.dispose();
	}
}
