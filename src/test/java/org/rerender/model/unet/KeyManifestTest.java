package org.rerender.model.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.rerender.model.controlnet.ControlNet;
import org.rerender.model.nn.Module;
import org.rerender.model.nn.ParamSpec;
import org.rerender.model.vae.AutoencoderKL;
import org.rerender.model.vae.VaeConfig;
import org.rerender.testing.Fixtures;

/** The full-size module trees list exactly the keys and shapes of the original (no weights allocated). */
class KeyManifestTest {

	private static void assertManifest(Module m, String file, String prefix) throws IOException {
		List<String> expected = Files.readAllLines(Fixtures.file(file)).stream().filter(l -> !l.isBlank()).toList();
		List<String> actual = new ArrayList<>();
		for (ParamSpec s : m.specs()) actual.add(prefix + s.manifestLine());
		// the manifest lists state_dict order; compare as sorted sets first for a readable diff, then the order
		List<String> missing = new ArrayList<>(expected);
		missing.removeAll(actual);
		List<String> extra = new ArrayList<>(actual);
		extra.removeAll(expected);
		assertEquals(List.of(), missing, file + ": keys/shapes the module lacks");
		assertEquals(List.of(), extra, file + ": keys/shapes the module has but the manifest lacks");
		assertEquals(expected, actual, file + ": registration order");
	}

	@Test
	void unetMatchesSd15Manifest() throws IOException {
		assertManifest(new UNet(UNetConfig.sd15()), "sd15-unet.keys.txt", "model.diffusion_model.");
	}

	@Test
	void controlNetMatchesSd15Manifest() throws IOException {
		assertManifest(new ControlNet(UNetConfig.sd15()), "sd15-controlnet.keys.txt", "control_model.");
	}

	@Test
	void vaeMatchesSd15Manifest() throws IOException {
		assertManifest(new AutoencoderKL(VaeConfig.sd15()), "sd15-vae.keys.txt", "first_stage_model.");
	}

	@Test
	void sitesAreTheNineDecoderSelfAttentionLayers() {
		List<SelfAttentionSite> sites = new UNet(UNetConfig.sd15()).decoderSelfAttentionSites();
		assertEquals(9, sites.size());
		for (int i = 0; i < 9; i++) {
			assertEquals(i + 3, sites.get(i).outputBlock());
			assertEquals(i, sites.get(i).layer());
			assertEquals(i < 3 ? 1280 : i < 6 ? 640 : 320, sites.get(i).channels());
		}
	}
}
