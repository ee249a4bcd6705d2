package org.rerender.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.DeviceChoice;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.lora.LoraMerge;
import org.rerender.testing.Fixtures;
import org.rerender.testing.TinyLora;

/** Loading into a {@link ComponentCache} keeps the networks whose key is unchanged and frees only the replaced ones. */
class DiffusionModelsReloadTest {
	@TempDir
	Path tmp;

	static final DeviceChoice.Resolved CPU = new DeviceChoice.Resolved(Device.cpu(), DataType.FLOAT32, null);
	static final List<String> ALL = List.of(ModelComponents.WORK, ModelComponents.UNET, ModelComponents.CONTROLNET,
		ModelComponents.VAE, ModelComponents.TEXT, ModelComponents.TOKENIZER);

	final ComponentCache cache = new ComponentCache();
	final Path sd = Fixtures.file("tiny-sd15.safetensors"), control = Fixtures.file("tiny-controlnet.safetensors");
	final Path bpe = Fixtures.file("bpe_simple_vocab_16e6.txt.gz");

	@AfterEach
	void close() {
		cache.close();
	}

	DiffusionModels.Files files(Path controlNet, Path lora, double strength) {
		return new DiffusionModels.Files(controlNet, sd, null, bpe, null, lora, strength);
	}

	/** The component objects of a loaded set, by cache name. */
	static Map<String, Object> parts(DiffusionModels m) {
		return Map.of(ModelComponents.WORK, m.manager(), ModelComponents.UNET, m.networks().unet(), ModelComponents.CONTROLNET,
			m.networks().controlNet(), ModelComponents.VAE, m.networks().vae(), ModelComponents.TEXT, m.textEncoder(),
			ModelComponents.TOKENIZER, m.tokenizer());
	}

	Map<String, NDManager> managers() {
		Map<String, NDManager> out = new HashMap<>();
		for (String n : cache.names()) if (cache.manager(n) != null) out.put(n, cache.manager(n));
		return out;
	}

	/** Asserts that exactly {@code reloaded} changed from {@code before} to {@code after} and that their managers closed. */
	static void assertReloaded(List<String> reloaded, Map<String, Object> before, Map<String, Object> after,
		Map<String, NDManager> oldManagers)
	{
		for (String n : ALL) {
			if (reloaded.contains(n)) {
				assertNotSame(before.get(n), after.get(n), n + " was reloaded");
				if (oldManagers.containsKey(n)) assertFalse(oldManagers.get(n).isOpen(), n + "'s old weights are freed");
			}
			else {
				assertSame(before.get(n), after.get(n), n + " was kept");
				if (oldManagers.containsKey(n)) assertTrue(oldManagers.get(n).isOpen(), n + "'s weights stay loaded");
			}
		}
	}

	@Test
	void sameFilesReloadNothing() {
		Map<String, Object> a = parts(DiffusionModels.load(files(control, null, 0), CPU, cache));
		Map<String, NDManager> m = managers();
		Map<String, Object> b = parts(DiffusionModels.load(files(control, null, 0), CPU, cache));
		assertReloaded(List.of(), a, b, m);
	}

	@Test
	void loraStrengthReloadsOnlyTheUnetWhenTheLoraHasNoTextWeights() {
		Path lora = TinyLora.write(tmp.resolve("unet-only.safetensors"), false, 5);
		Map<String, Object> a = parts(DiffusionModels.load(files(control, lora, 0.5), CPU, cache));
		Map<String, NDManager> m = managers();
		DiffusionModels second = DiffusionModels.load(files(control, lora, 0.9), CPU, cache);
		assertReloaded(List.of(ModelComponents.UNET), a, parts(second), m);
		float[] expected;
		try (SafetensorsFile base = SafetensorsFile.open(sd); LoraMerge merged = LoraMerge.of(base, SafetensorsFile.open(lora), 0.9f, "l")) {
			expected = merged.floats(LoraMerge.UNET_PREFIX + TinyLora.UNET_KEY);
		}
		assertArrayEquals(expected, second.networks().unet().namedParams().get(TinyLora.UNET_KEY).get().toFloatArray(), 1e-6f,
			"the reloaded UNet has the new strength merged");
	}

	@Test
	void loraStrengthReloadsUnetAndTextEncoderWhenTheLoraHasTextWeights() {
		Path lora = TinyLora.write(tmp.resolve("with-te.safetensors"), true, 6);
		Map<String, Object> a = parts(DiffusionModels.load(files(control, null, 0), CPU, cache));
		Map<String, NDManager> m = managers();
		Map<String, Object> b = parts(DiffusionModels.load(files(control, lora, 1.0), CPU, cache));
		assertReloaded(List.of(ModelComponents.UNET, ModelComponents.TEXT), a, b, m);
		m = managers();
		Map<String, Object> c = parts(DiffusionModels.load(files(control, lora, 0.3), CPU, cache));
		assertReloaded(List.of(ModelComponents.UNET, ModelComponents.TEXT), b, c, m);
		m = managers();
		Map<String, Object> d = parts(DiffusionModels.load(files(control, lora, 0.3), CPU, cache));
		assertReloaded(List.of(), c, d, m);
	}

	@Test
	void anotherControlNetReloadsOnlyTheControlNet() throws Exception {
		Path control2 = Files.copy(control, tmp.resolve("other-controlnet.safetensors"));
		Map<String, Object> a = parts(DiffusionModels.load(files(control, null, 0), CPU, cache));
		Map<String, NDManager> m = managers();
		Map<String, Object> b = parts(DiffusionModels.load(files(control2, null, 0), CPU, cache));
		assertReloaded(List.of(ModelComponents.CONTROLNET), a, b, m);
	}

	@Test
	void aVaeFileReloadsOnlyTheVae() throws Exception {
		Path vae = Files.copy(sd, tmp.resolve("vae.safetensors"));
		Map<String, Object> a = parts(DiffusionModels.load(files(control, null, 0), CPU, cache));
		Map<String, NDManager> m = managers();
		Map<String, Object> b = parts(DiffusionModels.load(new DiffusionModels.Files(control, sd, vae, bpe, null), CPU, cache));
		assertReloaded(List.of(ModelComponents.VAE), a, b, m);
	}

	@Test
	void aRewrittenFileIsReloaded() throws Exception {
		Path control2 = Files.copy(control, tmp.resolve("c.safetensors"));
		Map<String, Object> a = parts(DiffusionModels.load(files(control2, null, 0), CPU, cache));
		Map<String, NDManager> m = managers();
		touch(control2, 5000);
		Map<String, Object> b = parts(DiffusionModels.load(files(control2, null, 0), CPU, cache));
		assertReloaded(List.of(ModelComponents.CONTROLNET), a, b, m);
	}

	@Test
	void unchangedFilesAreInspectedOnceAndAChangedFileAgain() throws Exception {
		Path control2 = Files.copy(control, tmp.resolve("c.safetensors"));
		Path lora = TinyLora.write(tmp.resolve("l.safetensors"), false, 7);
		int[] inspections = { 0 };
		Function<DiffusionModels.Files, ModelComponents.Probe> counting = f -> {
			inspections[0]++;
			return ModelComponents.probe(f);
		};
		ModelComponents.load(files(control2, lora, 0.5), CPU, cache, counting);
		ModelComponents.load(files(control2, lora, 0.5), CPU, cache, counting);
		assertEquals(1, inspections[0], "a second job with unchanged files reads no header");
		Object unet = cache.key(ModelComponents.UNET);
		ModelComponents.load(files(control2, lora, 0.8), CPU, cache, counting);
		assertEquals(1, inspections[0], "another LoRA strength reads no header either");
		assertNotEquals(unet, cache.key(ModelComponents.UNET), "but reloads the UNet");

		touch(control2, 5000);
		ModelComponents.load(files(control2, lora, 0.5), CPU, cache, counting);
		assertEquals(2, inspections[0], "a ControlNet with a new modification time is inspected again");

		touch(lora, 5000);
		ModelComponents.load(files(control2, lora, 0.5), CPU, cache, counting);
		assertEquals(3, inspections[0], "a LoRA with a new modification time is inspected again");

		long before = Files.size(lora);
		FileTime mtime = Files.getLastModifiedTime(lora);
		TinyLora.write(lora, true, 7); // now with text-encoder weights: another size, same modification time
		Files.setLastModifiedTime(lora, mtime);
		assertNotEquals(before, Files.size(lora));
		Map<String, Object> a = parts(DiffusionModels.load(files(control2, lora, 0.5), CPU, cache));
		Map<String, NDManager> m = managers();
		TinyLora.write(lora, false, 7);
		Files.setLastModifiedTime(lora, mtime);
		ModelComponents.Loaded b = ModelComponents.load(files(control2, lora, 0.5), CPU, cache, counting);
		assertEquals(4, inspections[0], "a LoRA of another size is inspected again");
		assertNotSame(a.get(ModelComponents.TEXT), b.text(), "the text encoder no longer gets the LoRA");
		assertFalse(m.get(ModelComponents.TEXT).isOpen());
	}

	static void touch(Path p, long plusMillis) throws java.io.IOException {
		Files.setLastModifiedTime(p, FileTime.fromMillis(Files.getLastModifiedTime(p).toMillis() + plusMillis));
	}

	@Test
	void describeNamesTheComponentsForUsers() {
		DiffusionModels.load(files(control, null, 0), CPU, cache);
		assertEquals("Stable Diffusion UNet, ControlNet, VAE, CLIP text encoder, CLIP tokenizer, working memory",
			DiffusionModels.describe(cache.names()));
		assertEquals("Stable Diffusion UNet, HED edge detector, gmflow",
			DiffusionModels.describe(List.of("gmflow", ModelComponents.HED, ModelComponents.UNET)));
		assertEquals("", DiffusionModels.describe(List.of()));
	}

	@Test
	void clearAndCloseFreeEverything() {
		DiffusionModels.load(files(control, null, 0), CPU, cache);
		Map<String, NDManager> m = managers();
		assertEquals(ALL.size(), cache.names().size(), cache.names().toString());
		assertTrue(m.size() >= 4, "work, UNet, ControlNet, VAE, text encoder have managers: " + m.keySet());
		cache.clear();
		assertTrue(cache.isEmpty());
		for (var e : m.entrySet()) assertFalse(e.getValue().isOpen(), e.getKey() + " freed");

		DiffusionModels own = DiffusionModels.load(files(control, null, 0), CPU);
		NDManager w = own.manager();
		NDManager unet = own.networks().unet().namedParams().get(TinyLora.UNET_KEY).get().getManager();
		own.close();
		assertFalse(w.isOpen());
		assertFalse(unet.isOpen());
	}

	@Test
	void aBadFileFailsBeforeAnythingIsFreed() throws Exception {
		DiffusionModels.load(files(control, null, 0), CPU, cache);
		Map<String, NDManager> m = managers();
		Path sdxlLora = tmp.resolve("sdxl.safetensors");
		new org.rerender.model.io.SafetensorsWriter()
			.addF32("lora_unet_input_blocks_4_1_proj_in.lora_down.weight", new long[] {2, 32}, new float[64]).write(sdxlLora);
		RerenderException e = assertThrows(RerenderException.class,
			() -> DiffusionModels.load(files(control, sdxlLora, 1.0), CPU, cache));
		assertTrue(e.getMessage().contains("SDXL"), e.getMessage());
		assertThrows(RerenderException.class, () -> DiffusionModels.load(files(control, sdxlLora, 1.0), CPU, cache),
			"a refused file is not remembered as inspected");
		Path lora = TinyLora.write(tmp.resolve("l.safetensors"), false, 3);
		DiffusionModels.load(files(control, lora, 1.0), CPU, cache);
		m = managers();
		e = assertThrows(RerenderException.class, () -> DiffusionModels.load(files(control, lora, Double.NaN), CPU, cache));
		assertTrue(e.getMessage().contains("finite"), e.getMessage());
		for (var en : m.entrySet()) assertTrue(en.getValue().isOpen(), en.getKey() + " still loaded after a bad strength");
		for (var en : m.entrySet()) assertTrue(en.getValue().isOpen(), en.getKey() + " still loaded");
		assertNull(cache.manager(ModelComponents.HED));
	}
}
