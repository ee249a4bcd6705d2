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
	void clipKeysStartAfterTheAnchorAndCoverTheWholeClip() {
		KeySchedule s = KeySchedule.forClip(102, 10);
		assertEquals(1, s.first());
		assertEquals(101, s.last());
		assertEquals(11, s.keys().size());
		assertEquals(List.of(1, 11, 21, 31, 41, 51, 61, 71, 81, 91, 101), s.keys());
		// (frame_count - 2) not a multiple of K: the last frame becomes a key frame
		KeySchedule t = KeySchedule.forClip(25, 10);
		assertEquals(List.of(1, 11, 21, 24), t.keys());
		assertEquals(3, t.intervals());
		assertEquals(11, t.left(1));
		assertEquals(21, t.right(1));
		KeySchedule two = KeySchedule.forClip(2, 1);
		assertEquals(List.of(1), two.keys(), "two frames: the anchor and the single key frame 1");
		assertEquals(0, two.intervals());
		assertEquals(List.of(1, 4), KeySchedule.forClip(5, 4).keys(), "K may reach frameCount - 1");
		RerenderException e = assertThrows(RerenderException.class, () -> KeySchedule.forClip(5, 10));
		assertTrue(e.getMessage().contains("larger than the clip allows (4 for 5 frames)"), e.getMessage());
		e = assertThrows(RerenderException.class, () -> KeySchedule.forClip(1, 1));
		assertTrue(e.getMessage().contains("at least 2 frames (the anchor and one key frame)"), e.getMessage());
		assertThrows(RerenderException.class, () -> KeySchedule.forClip(10, 0));
	}

	@Test
	void clipScheduleIsTheRegularScheduleFromFrameOne() {
		for (int n = 3; n <= 40; n++)
			for (int k = 1; k <= n - 2; k++)
				assertEquals(KeySchedule.regular(1, n - 1, k), KeySchedule.forClip(n, k), n + " frames, K " + k);
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
