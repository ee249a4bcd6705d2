package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.model.download.LoopbackFileServerAccess;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;
import org.scijava.log.LogService;

/** The two model commands run headless through the CommandService, with snake_case keys as a macro passes them. */
class ModelCommandsTest {

	static Context context;
	static CommandService commands;

	@TempDir
	Path dir;

	@BeforeAll
	static void start() {
		context = new Context(CommandService.class, StatusService.class, LogService.class);
		commands = context.service(CommandService.class);
	}

	@AfterAll
	static void stop() {
		context.dispose();
	}

	@Test
	void modelStatusListsMissingFiles() throws Exception {
		CommandModule m = commands.run(ModelStatusCommand.class, true, Map.of("model_folder", dir.toFile())).get();
		String report = (String) m.getOutput("status_report");
		assertFalse((Boolean) m.getOutput("complete"));
		assertTrue(report.contains("Model folder: " + dir) && report.contains("controlnet-hed") && report.contains("missing"), report);
	}

	@Test
	void unreadableManifestIsAClearCancel() throws Exception {
		Path bad = Files.writeString(dir.resolve("broken manifest é.json"), "{not json");
		for (Class<?> c : java.util.List.of(ModelStatusCommand.class, DownloadModelsCommand.class)) {
			@SuppressWarnings("unchecked")
			CommandModule m = commands.run((Class<? extends org.scijava.command.Command>) c, true, Map.of("model_folder", dir.toFile(),
				"manifest_file", bad.toFile())).get();
			assertTrue(m.isCanceled(), c.getSimpleName());
			assertTrue(m.getCancelReason().contains("broken manifest é.json"), m.getCancelReason());
		}
		CommandModule m = commands.run(ModelStatusCommand.class, true, Map.of("model_folder", dir.toFile(),
			"manifest_file", dir.resolve("missing.json").toFile())).get();
		assertTrue(m.isCanceled());
		assertTrue(m.getCancelReason().contains("missing.json"), m.getCancelReason());
	}

	@Test
	void downloadModelsFetchesSelectedIdsAndReportsFailures() throws Exception {
		byte[] data = new byte[50_000];
		new Random(5).nextBytes(data);
		try (LoopbackFileServerAccess server = new LoopbackFileServerAccess()) {
			Path manifest = dir.resolve("m.json");
			Files.writeString(manifest, "{\"models\":[" + entry("a", "a.bin", server.serve("/a.bin", data)) + ","
				+ entry("gone", "gone.bin", server.missing("/gone.bin")) + "]}");
			Path models = dir.resolve("models");
			CommandModule ok = commands.run(DownloadModelsCommand.class, true, Map.of("models", DownloadModelsCommand.LIST, "model_ids", "a",
				"model_folder", models.toFile(), "manifest_file", manifest.toFile(), "retries", 0)).get();
			assertFalse(ok.isCanceled(), ok.getCancelReason());
			assertArrayEquals(data, Files.readAllBytes(models.resolve("a.bin")));
			assertTrue(((String) ok.getOutput("report")).contains("a.bin: downloaded"));

			CommandModule bad = commands.run(DownloadModelsCommand.class, true, Map.of("models", DownloadModelsCommand.LIST,
				"model_ids", "gone", "model_folder", models.toFile(), "manifest_file", manifest.toFile(), "retries", 0)).get();
			assertTrue(bad.isCanceled());
			assertTrue(bad.getCancelReason().contains("HTTP 404"), bad.getCancelReason());

			CommandModule status = commands.run(ModelStatusCommand.class, true, Map.of("model_folder", models.toFile(),
				"manifest_file", manifest.toFile())).get();
			assertEquals(false, status.getOutput("complete"), "gone.bin is still missing");
		}
	}

	private static String entry(String id, String file, String url) {
		return "{\"id\":\"" + id + "\",\"file\":\"" + file + "\",\"role\":\"t\",\"url\":\"" + url + "\",\"required\":true,\"licence\":\"t\"}";
	}
}
