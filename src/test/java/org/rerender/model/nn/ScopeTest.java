package org.rerender.model.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.rerender.engine.Djl;

/** {@link Scope}: intermediates freed early by {@code free}, inputs never, the kept output handed to the caller. */
class ScopeTest {
	NDManager m;

	@BeforeEach
	void open() {
		m = Djl.newManager(ai.djl.Device.cpu());
	}

	@AfterEach
	void close() {
		m.close();
	}

	@Test
	void freeClosesIntermediatesButNeverInputs() {
		NDArray x = m.create(new float[] {1, 2, 3}), y = m.create(new float[] {10, 20, 30});
		NDArray out;
		try (Scope s = Scope.of(x, y)) {
			NDArray a = x.add(y);
			NDArray b = s.free(a, a.mul(2));
			assertTrue(a.isReleased(), "an intermediate nothing reads any more is freed at once");
			assertSame(b, s.free(b, b), "freeing the result itself is a no-op");
			assertFalse(b.isReleased());
			assertSame(b, s.free(x, b));
			assertSame(b, s.free(y, b));
			assertFalse(x.isReleased(), "the main input is the caller's");
			assertFalse(y.isReleased(), "another input is the caller's");
			out = s.keep(b.sub(1));
		}
		assertFalse(out.isReleased(), "the kept output survives the scope");
		assertSame(m, out.getManager());
		assertSame(m, x.getManager(), "inputs go back to their manager");
		assertArrayEquals(new float[] {21, 43, 65}, out.toFloatArray());
	}
}
