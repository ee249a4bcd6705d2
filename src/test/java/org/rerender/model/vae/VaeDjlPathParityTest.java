package org.rerender.model.vae;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.rerender.model.nn.TorchExt;

/**
 * {@link VaeParityTest} again with the fused ops switched off ({@code rerender.torchext=false}): the composed DJL
 * path stays checked against the fixtures while the default run uses torchext wherever it is built.
 */
class VaeDjlPathParityTest extends VaeParityTest {
	@BeforeAll
	static void composedPath() {
		System.setProperty(TorchExt.PROPERTY, "false");
	}

	@AfterAll
	static void restore() {
		System.clearProperty(TorchExt.PROPERTY);
	}
}
