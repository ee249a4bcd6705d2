package org.rerender.propagate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.rerender.engine.RerenderException;

class KeyScheduleTest {

	@Test
	void regularKeysIncludeFirstAndLast() {
		assertEquals(List.of(0, 10, 20), KeySchedule.regular(0, 20, 10).keys());
		KeySchedule s = KeySchedule.regular(0, 24, 10);
		assertEquals(List.of(0, 10, 20, 24), s.keys(), "the last frame becomes a key when the regular keys miss it");
		assertEquals(3, s.intervals());
		assertEquals(25, s.frameCount());
		assertEquals(List.of(1, 6, 11, 13), KeySchedule.regular(1, 13, 5).keys());
	}

	@Test
	void intervalLargerThanClipIsAClearError() {
		RerenderException e = assertThrows(RerenderException.class, () -> KeySchedule.regular(0, 11, 20));
		assertTrue(e.getMessage().contains("larger than the clip"), e.getMessage());
		assertThrows(RerenderException.class, () -> KeySchedule.regular(0, 10, 0));
		assertThrows(RerenderException.class, () -> KeySchedule.regular(5, 5, 1));
	}

	@Test
	void explicitListIsSortedAndDeduplicated() {
		KeySchedule s = KeySchedule.explicit(KeySchedule.parseList("12, 0,5 ,5"));
		assertEquals(List.of(0, 5, 12), s.keys());
		assertEquals(0, s.first());
		assertEquals(12, s.last());
		assertThrows(RerenderException.class, () -> KeySchedule.explicit(List.of(3)));
		assertThrows(RerenderException.class, () -> KeySchedule.parseList("1,x"));
	}
}
