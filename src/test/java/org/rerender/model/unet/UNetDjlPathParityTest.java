package org.rerender.model.unet;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.rerender.model.nn.TorchExt;

/**
 * {@link UNetParityTest} again with the fused ops switched off ({@code rerender.torchext=false}): the composed DJL
 * path stays checked against the fixtures while the default run uses torchext wherever it is built.
 */
class UNetDjlPathParityTest extends UNetParityTest {
	static long fusedCallsBefore;

	@BeforeAll
	static void composedPath() {
		System.setProperty(TorchExt.PROPERTY, "false");
		fusedCallsBefore = TorchExt.calls();
	}

	@AfterAll
	static void restore() {
		System.clearProperty(TorchExt.PROPERTY);
		assertEquals(fusedCallsBefore, TorchExt.calls(), "no fused op may run while switched off");
	}
}
