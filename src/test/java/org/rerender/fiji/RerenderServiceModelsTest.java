package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ij.ImagePlus;
import ij.process.ColorProcessor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.config.RerenderConfig;
import org.rerender.engine.RerenderException;
import org.rerender.model.download.ModelStore;
import org.rerender.pipeline.DiffusionModels;
import org.rerender.testing.Fixtures;
import org.rerender.testing.TinyLora;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

/**
 * The service keeps networks across commands, reloads only what a new job changes, frees them on request and dispose;
 * while a job holds a lease, other loads and frees fail fast and leave its networks alone.
 */
class RerenderServiceModelsTest {
	@TempDir
	static Path dir;
	static Path models, lora, control2;
	static String oldModels;
	static final Path SD = Fixtures.file("tiny-sd15.safetensors"), CONTROL = Fixtures.file("tiny-controlnet.safetensors");

	@BeforeAll
	static void setUp() throws Exception {
		models = Fixtures.modelsFolder(dir);
		lora = TinyLora.write(dir.resolve("style.safetensors"), false, 11);
		control2 = Files.copy(CONTROL, dir.resolve("other-controlnet.safetensors"));
		oldModels = System.getProperty(ModelStore.PROPERTY);
		System.setProperty(ModelStore.PROPERTY, models.toString());
	}

	@AfterAll
	static void tearDown() {
		if (oldModels == null) System.clearProperty(ModelStore.PROPERTY);
		else System.setProperty(ModelStore.PROPERTY, oldModels);
	}

	/** What Free Models and Model Status call the networks of a canny set (no HED) as users read them. */
	static final String ALL_LOADED = "Stable Diffusion UNet, ControlNet, VAE, CLIP text encoder, CLIP tokenizer, working memory";

	static RerenderConfig config(Path control, Path loraFile, double strength) {
		return RerenderConfig.builder().prompt("p").controlType(RerenderConfig.ControlType.CANNY).controlnetModel(control)
			.sdModel(SD).lora(loraFile, strength).build();
	}

	static NDManager weightsOf(DiffusionModels m) {
		return m.networks().unet().namedParams().get(TinyLora.UNET_KEY).get().getManager();
	}

	@Test
	void reloadsOnlyWhatChangedAcrossCommandsAndFreesOnRequest() throws Exception {
		Context context = new Context(CommandService.class, StatusService.class, RerenderService.class);
		try {
			RerenderService service = context.service(RerenderService.class);
			ModelStore store = new ModelStore(models);
			DiffusionModels a, b, c;
			NDManager unetA;
			try (RerenderService.Lease lease = service.lease()) { // one job may reload within its own lease
				a = lease.models(config(CONTROL, lora, 0.5), store, "auto");
				unetA = weightsOf(a);

				b = lease.models(config(CONTROL, lora, 0.8), store, "auto");
				assertNotSame(a.networks().unet(), b.networks().unet(), "another LoRA strength reloads the UNet");
				assertFalse(unetA.isOpen(), "the old UNet's weights are freed");
				assertSame(a.networks().controlNet(), b.networks().controlNet());
				assertSame(a.networks().vae(), b.networks().vae());
				assertSame(a.textEncoder(), b.textEncoder(), "a LoRA without text weights keeps the text encoder");

				c = lease.models(config(control2, lora, 0.8), store, "auto");
				assertNotSame(b.networks().controlNet(), c.networks().controlNet(), "another ControlNet file is loaded");
				assertSame(b.networks().unet(), c.networks().unet());
				assertSame(b.textEncoder(), c.textEncoder());
			}

			// Generate Image (device: its default auto, as the jobs above) with the same files shares the service's networks
			ColorProcessor card = new ColorProcessor(64, 64);
			card.setColor(java.awt.Color.ORANGE);
			card.fillOval(16, 16, 32, 32);
			CommandModule gen = context.service(CommandService.class).run(GenerateImageCommand.class, true, Map.of("prompt", "x",
				"control_image", new ImagePlus("card", card), "steps", 1, "seed", 1L, "resolution", 64, "controlnet_model",
				control2.toFile(), "sd_model", SD.toFile(), "lora_file", lora.toFile(), "lora_strength", 0.8)).get();
			assertEquals(64, ((ImagePlus) gen.getOutput("output")).getWidth());
			DiffusionModels d;
			try (RerenderService.Lease lease = service.lease()) {
				d = lease.models(config(control2, lora, 0.8), store, "auto");
			}
			assertSame(c.networks().unet(), d.networks().unet(), "the command used (and kept) the same UNet");
			assertSame(c.networks().controlNet(), d.networks().controlNet());
			assertSame(c.networks().vae(), d.networks().vae());
			assertSame(c.textEncoder(), d.textEncoder());
			assertSame(c.manager(), d.manager(), "the workspace is kept too");
			assertTrue(d.manager().isOpen());

			String status = (String) context.service(CommandService.class).run(ModelStatusCommand.class, true,
				Map.of("model_folder", models.toFile())).get().getOutput("status_report");
			assertTrue(status.contains("Loaded in memory: "), status);
			assertTrue(status.contains("Loaded in memory: " + ALL_LOADED + " (Plugins > Rerender > Free Models frees them)"),
				status);
			NDManager unetD = weightsOf(d);
			CommandModule free = context.service(CommandService.class).run(FreeModelsCommand.class, true, Map.of()).get();
			assertEquals("Freed " + ALL_LOADED + ".", free.getOutput("freed"));
			assertFalse(service.modelsLoaded());
			assertFalse(unetD.isOpen(), "Free Models frees the weights");
		}
		finally {
			context.dispose();
		}
	}

	/** Runs {@code body} on a thread of its own (a lease's read side belongs to the thread that holds it). */
	static <T> T onOtherThread(Callable<T> body) throws Exception {
		ExecutorService ex = Executors.newSingleThreadExecutor();
		try {
			return ex.submit(body).get(60, TimeUnit.SECONDS);
		}
		catch (ExecutionException e) {
			if (e.getCause() instanceof RuntimeException r) throw r;
			throw e;
		}
		finally {
			ex.shutdown();
		}
	}

	static String rootMessage(Throwable t) {
		while (t.getCause() != null) t = t.getCause();
		return String.valueOf(t.getMessage());
	}

	@Test
	void freeModelsDuringAJobFailsFastAndFreesNothingThenFreesAfterIt() throws Exception {
		Context context = new Context(CommandService.class, StatusService.class, RerenderService.class);
		try {
			RerenderService service = context.service(RerenderService.class);
			service.busyWaitMillis = 100;
			NDManager unet, work;
			try (RerenderService.Lease lease = service.lease()) {
				DiffusionModels m = lease.models(config(CONTROL, null, 1), new ModelStore(models), "cpu");
				unet = weightsOf(m);
				work = m.manager();
				CommandModule free = context.service(CommandService.class).run(FreeModelsCommand.class, true, Map.of()).get();
				assertTrue(((String) free.getOutput("freed")).contains("wait for it to finish"), (String) free.getOutput("freed"));
				assertTrue(free.isCanceled());
				RerenderException e = assertThrows(RerenderException.class, () -> onOtherThread(() -> service.freeModels()));
				assertEquals(RerenderService.BUSY, e.getMessage());
				assertTrue(unet.isOpen(), "the job's weights stay open");
				assertTrue(work.isOpen(), "the job's workspace stays open");
				assertTrue(service.modelsLoaded());
				try (NDManager sub = work.newSubManager()) { // the job can still work
					assertEquals(2f, sub.create(1f).add(1f).getFloat());
				}
			}
			CommandModule free = context.service(CommandService.class).run(FreeModelsCommand.class, true, Map.of()).get();
			assertEquals("Freed " + ALL_LOADED + ".", free.getOutput("freed"));
			CommandModule again = context.service(CommandService.class).run(FreeModelsCommand.class, true, Map.of()).get();
			assertEquals("No models were loaded.", again.getOutput("freed"));
			assertFalse(unet.isOpen());
			assertFalse(work.isOpen());
			assertFalse(service.modelsLoaded());
		}
		finally {
			context.dispose();
		}
	}

	@Test
	void anotherControlNetDuringAJobFailsFastAndKeepsTheJobsNetworks() throws Exception {
		Context context = new Context(CommandService.class, StatusService.class, RerenderService.class);
		try {
			RerenderService service = context.service(RerenderService.class);
			service.busyWaitMillis = 100;
			ModelStore store = new ModelStore(models);
			DiffusionModels m;
			try (RerenderService.Lease lease = service.lease()) {
				m = lease.models(config(CONTROL, null, 1), store, "cpu");
				NDManager control = m.networks().controlNet().namedParams().values().iterator().next().get().getManager();
				RerenderException e = assertThrows(RerenderException.class, () -> onOtherThread(() -> {
					try (RerenderService.Lease other = service.lease()) {
						return other.models(config(control2, null, 1), store, "cpu");
					}
				}));
				assertEquals(RerenderService.BUSY, e.getMessage());
				// the same through a command: Generate Image fails with the message and leaves the job's networks alone
				ColorProcessor card = new ColorProcessor(64, 64);
				CommandModule ge = context.service(CommandService.class)
					.run(GenerateImageCommand.class, true, Map.of("prompt", "x", "control_image", new ImagePlus("card", card), "steps", 1,
						"resolution", 64, "controlnet_model", control2.toFile(), "sd_model", SD.toFile(), "device", "cpu")).get();
				assertTrue(ge.isCanceled(), "canceled with the reason, no exception trace");
				assertEquals(RerenderService.BUSY, ge.getCancelReason());
				assertTrue(control.isOpen(), "the job's ControlNet stays loaded");
				assertTrue(m.manager().isOpen());
			}
			DiffusionModels n = onOtherThread(() -> {
				try (RerenderService.Lease other = service.lease()) {
					return other.models(config(control2, null, 1), store, "cpu");
				}
			});
			assertNotSame(m.networks().controlNet(), n.networks().controlNet(), "after the job, the other ControlNet loads");
			assertSame(m.networks().unet(), n.networks().unet());
		}
		finally {
			context.dispose();
		}
	}

	@Test
	void freeModelsRunsFromAMacro() {
		RerenderService service = org.rerender.fiji.ij1.CommandBridge.context().service(RerenderService.class);
		NDManager unet;
		try (RerenderService.Lease lease = service.lease()) {
			unet = weightsOf(lease.models(config(CONTROL, null, 1), new ModelStore(models), "cpu"));
		}
		org.rerender.testing.MacroRunner.run("run(\"Free Models\");", "");
		assertFalse(service.modelsLoaded());
		assertFalse(unet.isOpen());
	}

	@Test
	void disposeFreesTheModels() {
		Context context = new Context(CommandService.class, StatusService.class, RerenderService.class);
		DiffusionModels m;
		try (RerenderService.Lease lease = context.service(RerenderService.class).lease()) {
			m = lease.models(config(CONTROL, null, 1), new ModelStore(models), "cpu");
		}
		NDManager unet = weightsOf(m), work = m.manager();
		assertTrue(unet.isOpen());
		context.dispose();
		assertFalse(unet.isOpen());
		assertFalse(work.isOpen());
	}

	@Test
	void disposeDuringAJobFreesWhenTheJobEnds() {
		Context context = new Context(CommandService.class, StatusService.class, RerenderService.class);
		RerenderService service = context.service(RerenderService.class);
		service.busyWaitMillis = 50;
		NDManager work;
		try (RerenderService.Lease lease = service.lease()) {
			work = lease.models(config(CONTROL, null, 1), new ModelStore(models), "cpu").manager();
			context.dispose();
			assertTrue(work.isOpen(), "not freed under the job");
		}
		assertFalse(work.isOpen(), "freed as the job's lease closed");
	}
}
