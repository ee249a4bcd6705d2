package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.rerender.config.RerenderConfig;
import org.rerender.engine.RerenderException;
import org.scijava.plugin.Parameter;

/** One resolution limit: the config's check and the Fiji dialogs' maximum are the same constant. */
class ResolutionLimitTest {
	private static RerenderConfig.Builder at(int r) {
		return RerenderConfig.interactiveBuilder().input(Path.of("in.mp4")).output(Path.of("out.mp4")).prompt("x").imageResolution(r);
	}

	@Test
	void dialogsAndConfigShareTheLimit() throws Exception {
		int max = RerenderConfig.MAX_IMAGE_RESOLUTION;
		assertEquals(Integer.toString(max), RerenderConfig.MAX_IMAGE_RESOLUTION_TEXT);
		assertEquals(RerenderConfig.MAX_IMAGE_RESOLUTION_TEXT,
			RerenderCommandBase.class.getDeclaredField("image_resolution").getAnnotation(Parameter.class).max());
		assertEquals(RerenderConfig.MAX_IMAGE_RESOLUTION_TEXT,
			OpenVideoCommand.class.getDeclaredField("resolution").getAnnotation(Parameter.class).max());
		assertDoesNotThrow(() -> at(max).build().validate());
		RerenderException e = assertThrows(RerenderException.class, () -> at(max + 1).build().validate());
		assertTrue(e.getMessage().contains("64.." + max), e.getMessage());
	}
}
