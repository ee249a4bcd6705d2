package org.rerender.config;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URISyntaxException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.rerender.config.RerenderConfig.ControlType;
import org.rerender.engine.RerenderException;

/** The six example configs of the original project (values written into our test resources) load with every value honoured. */
class ConfigJsonTest {

	private static final Path BASE = Path.of("/data");

	private static RerenderConfig load(String name) throws URISyntaxException {
		Path file = Path.of(ConfigJsonTest.class.getResource("/configs/" + name).toURI());
		ConfigJson.Loaded l = ConfigJson.read(file, BASE);
		assertTrue(l.originalFormat());
		assertTrue(l.notes().stream().noneMatch(n -> n.startsWith("unknown")), l.notes().toString());
		return l.config();
	}

	private static void assertCommon(RerenderConfig c) {
		assertEquals("keys", c.keySubdir);
		assertEquals(102, c.frameCount);
		assertEquals(10, c.interval);
		assertEquals(0, c.seed);
		assertEquals(ControlType.CANNY, c.controlType);
		assertEquals(50, c.cannyLow);
		assertEquals(100, c.cannyHigh);
		assertEquals(0.7, c.controlStrength);
		assertEquals(new Period(0, 0.1), c.warpPeriod);
		// keys none of them sets keep the defaults
		assertEquals(20, c.ddimSteps);
		assertEquals(7.5, c.scale);
		assertEquals(new Period(0, 1), c.crossPeriod);
		assertEquals(new Period(0.5, 0.8), c.maskPeriod);
		assertEquals(0.5, c.maskStrength);
		assertEquals(0.9, c.innerStrength);
		assertTrue(c.smoothBoundary);
		assertTrue(c.colorPreserve);
		// the original's default style_update_freq 10 at interval 10 = every key frame
		assertEquals(1, c.styleUpdateFreq);
		// our engine switches are off for an original config
		assertFalse(c.batchCfg);
		assertFalse(c.attentionStoreOnHost);
	}

	@Test
	void realToSculpture() throws Exception {
		for (String name : new String[] {"real2sculpture.json", "real2sculpture_freeu.json", "real2sculpture_loose_cfattn.json"}) {
			RerenderConfig c = load(name);
			assertCommon(c);
			String v = "videos/pexels-cottonbro-studio-6649832-960x506-25fps";
			assertEquals(BASE.resolve(v + ".mp4"), c.input);
			assertEquals(BASE.resolve(v + "/blend.mp4"), c.output);
			assertEquals(BASE.resolve(v), c.workDir);
			assertEquals(BASE.resolve("models/realisticVisionV20_v20.safetensors"), c.sdModel);
			assertArrayEquals(new int[] {0, 180, 0, 0}, c.crop());
			assertEquals("white ancient Greek sculpture, Venus de Milo, light pink and blue background", c.prompt);
			assertTrue(c.aPrompt.startsWith("RAW photo, subject, (high detailed skin:1.2)"));
			assertTrue(c.nPrompt.endsWith("disgusting, amputation"));
			assertEquals(0.95, c.x0Strength);
			assertEquals(new Period(0.8, 1), c.adaPeriod);
			assertEquals(512, c.imageResolution);
			assertFalse(c.useLimitDeviceResolution);
			assertEquals(name.contains("loose"), c.looseCfattn);
			assertArrayEquals(name.contains("freeu") ? new double[] {1.1, 1.2, 1.0, 0.2} : new double[] {1, 1, 1, 1}, c.freeuArgs());
		}
	}

	@Test
	void vanGoghMan() throws Exception {
		for (String name : new String[] {"van_gogh_man.json", "van_gogh_man_dynamic_resolution.json"}) {
			RerenderConfig c = load(name);
			assertCommon(c);
			assertNull(c.sdModel);
			assertArrayEquals(new int[] {0, 0, 0, 280}, c.crop());
			assertEquals("a handsome man in van gogh painting", c.prompt);
			assertEquals("best quality, extremely detailed", c.aPrompt);
			assertEquals(RerenderConfig.INTERACTIVE_N_PROMPT, c.nPrompt);
			assertEquals(1.05, c.x0Strength);
			assertEquals(new Period(0.8, 1), c.adaPeriod);
			assertEquals(512, c.imageResolution);
			assertEquals(name.contains("dynamic"), c.useLimitDeviceResolution);
			assertFalse(c.looseCfattn);
		}
	}

	@Test
	void woman() throws Exception {
		RerenderConfig c = load("woman.json");
		assertCommon(c);
		assertEquals(BASE.resolve("models/revAnimated_v11.safetensors"), c.sdModel);
		assertArrayEquals(new int[] {0, 0, 0, 0}, c.crop());
		assertEquals(0.75, c.x0Strength);
		assertEquals(new Period(1, 1), c.adaPeriod);
		assertTrue(c.adaPeriod.inclusiveSteps(c.actualSteps()).isEmpty(), "AdaIN [1,1] selects no step");
	}

	private static RerenderConfig parse(String json) {
		return ConfigJson.parse(JsonParser.parseString(json).getAsJsonObject(), null).config();
	}

	@Test
	void bothSpellingsOfColourPreservationAreHonoured() {
		String base = "{\"input\":\"a.mp4\",\"output\":\"o/b.mp4\",\"prompt\":\"p\",";
		assertFalse(parse(base + "\"color_preserve\":false}").colorPreserve);
		assertFalse(parse(base + "\"color_perserve\":false}").colorPreserve);
		assertTrue(parse(base + "\"color_perserve\":true}").colorPreserve);
		assertThrows(RerenderException.class, () -> parse(base + "\"color_preserve\":true,\"color_perserve\":false}"));
	}

	@Test
	void originalStyleUpdateFrequencyIsConvertedToKeyFrames() {
		String base = "{\"input\":\"a.mp4\",\"output\":\"o/b.mp4\",\"prompt\":\"p\",";
		// original default 10 at K=5: offsets 0,5,10,... refresh when divisible by 10 -> every 2nd key frame
		assertEquals(2, parse(base + "\"interval\":5}").styleUpdateFreq);
		assertEquals(1, parse(base + "\"interval\":10,\"style_update_freq\":10}").styleUpdateFreq);
		assertEquals(3, parse(base + "\"interval\":10,\"style_update_freq\":30}").styleUpdateFreq);
		assertEquals(4, parse(base + "\"interval\":5,\"style_update_freq\":4}").styleUpdateFreq);
		// our own format counts key frames already
		assertEquals(4, parse(base + "\"format\":\"rerender-fiji/1\",\"interval\":5,\"style_update_freq\":4}").styleUpdateFreq);
	}

	@Test
	void originalStyleUpdateFrequencyIsKeptToConvertAtAnotherInterval() {
		String base = "{\"input\":\"a.mp4\",\"output\":\"o/b.mp4\",\"prompt\":\"p\",";
		ConfigJson.Loaded l = ConfigJson.parse(JsonParser.parseString(base + "\"interval\":10,\"style_update_freq\":10}")
			.getAsJsonObject(), BASE);
		assertEquals(10, l.originalStyleUpdateFreq(), "the original N as written");
		assertEquals(1, l.config().styleUpdateFreq);
		assertEquals(1, l.styleUpdateFreqAt(10));
		assertEquals(2, l.styleUpdateFreqAt(5), "offsets 0, 5, 10, …: every 2nd key frame is a multiple of 10");
		assertEquals(5, l.styleUpdateFreqAt(4));
		assertEquals(10, l.styleUpdateFreqAt(3));
		assertEquals("style_update_freq 10 (original: frame indices) = every 2 key frame(s) at interval 5", l.styleUpdateNote(5));
		assertNull(l.styleUpdateNote(3), "10 frames at interval 3 = 10 key frames: nothing to note");
		ConfigJson.Loaded ours = ConfigJson.parse(JsonParser.parseString(base
			+ "\"format\":\"rerender-fiji/1\",\"interval\":10,\"style_update_freq\":3}").getAsJsonObject(), BASE);
		assertEquals(0, ours.originalStyleUpdateFreq());
		assertEquals(3, ours.styleUpdateFreqAt(5), "our format counts key frames: kept at any interval");
		assertNull(ours.styleUpdateNote(5));
	}

	@Test
	void cannyThresholdsAreReadOnlyForCanny() {
		String base = "{\"input\":\"a.mp4\",\"output\":\"o/b.mp4\",\"prompt\":\"p\",\"canny_low\":5,\"canny_high\":6";
		RerenderConfig hed = parse(base + ",\"control_type\":\"HED\"}");
		assertEquals(100, hed.cannyLow);
		RerenderConfig canny = parse(base + ",\"control_type\":\"canny\"}");
		assertEquals(5, canny.cannyLow);
		assertEquals(6, canny.cannyHigh);
	}

	@Test
	void writtenConfigReadsBackIdentically() {
		RerenderConfig c = RerenderConfig.interactiveBuilder().input(Path.of("/v/in put.mp4")).output(Path.of("/v/ö/out.mp4"))
			.prompt("a cartoon tiger").interval(7).crop(1, 2, 3, 4).seed(42).styleUpdateFreq(3).freeuArgs(1.1, 1.2, 0.9, 0.2)
			.colorPreserve(false).controlType(ControlType.CANNY).canny(50, 100).build();
		JsonObject o = JsonParser.parseString(ConfigJson.write(c)).getAsJsonObject();
		ConfigJson.Loaded l = ConfigJson.parse(o, null);
		assertFalse(l.originalFormat());
		assertEquals(ConfigJson.write(c), ConfigJson.write(l.config()));
		assertEquals(3, l.config().styleUpdateFreq);
		assertEquals(Path.of("/v/ö"), l.config().workDir);
	}

	@Test
	void engineSwitchesAreReadWrittenAndOffByDefault() {
		String base = "{\"input\":\"a.mp4\",\"output\":\"o/b.mp4\",\"prompt\":\"p\"";
		RerenderConfig def = parse(base + "}");
		assertFalse(def.batchCfg);
		assertFalse(def.attentionStoreOnHost);
		assertFalse(RerenderConfig.interactiveBuilder().build().batchCfg || RerenderConfig.interactiveBuilder().build().attentionStoreOnHost);
		JsonObject written = JsonParser.parseString(ConfigJson.write(def)).getAsJsonObject();
		assertFalse(written.get("batch_cfg").getAsBoolean());
		assertFalse(written.get("attention_store_on_host").getAsBoolean());

		ConfigJson.Loaded l = ConfigJson.parse(JsonParser.parseString(base + ",\"batch_cfg\":true,\"attention_store_on_host\":true}")
			.getAsJsonObject(), null);
		assertTrue(l.notes().stream().noneMatch(n -> n.startsWith("unknown")), "known keys: " + l.notes());
		assertTrue(l.config().batchCfg);
		assertTrue(l.config().attentionStoreOnHost);
		assertTrue(parse(base + ",\"batch_cfg\":true}").batchCfg);
		assertFalse(parse(base + ",\"batch_cfg\":true}").attentionStoreOnHost);
		assertTrue(parse(base + ",\"attention_store_on_host\":true}").attentionStoreOnHost);
		assertTrue(l.config().toBuilder().build().batchCfg && l.config().toBuilder().build().attentionStoreOnHost);

		// round trip through our format, each switch alone
		for (boolean[] v : new boolean[][] {{true, false}, {false, true}, {true, true}}) {
			RerenderConfig c = RerenderConfig.builder().input(Path.of("/a.mp4")).output(Path.of("/o/b.mp4")).prompt("p")
				.batchCfg(v[0]).attentionStoreOnHost(v[1]).build();
			RerenderConfig back = ConfigJson.parse(JsonParser.parseString(ConfigJson.write(c)).getAsJsonObject(), null).config();
			assertEquals(v[0], back.batchCfg);
			assertEquals(v[1], back.attentionStoreOnHost);
		}
		RerenderException e = assertThrows(RerenderException.class, () -> parse(base + ",\"batch_cfg\":\"yes\"}"));
		assertTrue(e.getMessage().contains("batch_cfg") && e.getMessage().contains("true or false"), e.getMessage());
		e = assertThrows(RerenderException.class, () -> parse(base + ",\"attention_store_on_host\":1}"));
		assertTrue(e.getMessage().contains("attention_store_on_host"), e.getMessage());
	}

	@Test
	void badConfigsGiveClearErrors() {
		RerenderException e = assertThrows(RerenderException.class, () -> parse("{\"input\":\"a.mp4\",\"prompt\":\"p\"}"));
		assertTrue(e.getMessage().contains("'output'"), e.getMessage());
		e = assertThrows(RerenderException.class,
			() -> parse("{\"input\":\"a.mp4\",\"output\":\"b.mp4\",\"prompt\":\"p\",\"crop\":[1,2]}"));
		assertTrue(e.getMessage().contains("crop"), e.getMessage());
		e = assertThrows(RerenderException.class,
			() -> parse("{\"input\":\"a.mp4\",\"output\":\"b.mp4\",\"prompt\":\"p\",\"mask_strength\":3}"));
		assertTrue(e.getMessage().contains("mask_strength"), e.getMessage());
		e = assertThrows(RerenderException.class,
			() -> parse("{\"input\":\"a.mp4\",\"output\":\"b.mp4\",\"prompt\":\"p\",\"control_type\":\"depth\"}"));
		assertTrue(e.getMessage().contains("control_type"), e.getMessage());
		assertTrue(ConfigJson.parse(JsonParser.parseString("{\"input\":\"a\",\"output\":\"b\",\"prompt\":\"p\",\"colour\":1}")
			.getAsJsonObject(), null).notes().get(0).contains("colour"));
	}
}
