package org.rerender.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.rerender.model.nn.TorchExt;

/**
 * Runs a test class with the fused ops switched off ({@code rerender.torchext=false}) and fails it if a fused op ran
 * anyway: {@code @ExtendWith(ComposedOpsOnly.class)} on a subclass of a parity test keeps the composed DJL path checked
 * against the fixtures while the default run uses torchext wherever it is built.
 */
public final class ComposedOpsOnly implements BeforeAllCallback, AfterAllCallback {
	private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(ComposedOpsOnly.class);

	@Override
	public void beforeAll(ExtensionContext context) {
		System.setProperty(TorchExt.PROPERTY, "false");
		context.getStore(NS).put("calls", TorchExt.calls());
	}

	@Override
	public void afterAll(ExtensionContext context) {
		System.clearProperty(TorchExt.PROPERTY);
		assertEquals(context.getStore(NS).get("calls", Long.class), TorchExt.calls(), "no fused op may run while switched off");
	}
}
