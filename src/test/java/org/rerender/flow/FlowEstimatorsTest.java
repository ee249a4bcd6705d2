package org.rerender.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;

/** The method registry and the DIS estimator's contract. */
class FlowEstimatorsTest {

	/** A stand-in for GMFlow: constant flow, availability switchable. */
	private static final class FakeProvider implements FlowEstimatorProvider {
		final boolean available;
		final java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();

		FakeProvider(boolean available) {
			this.available = available;
		}

		@Override
		public FlowMethod method() {
			return FlowMethod.GMFLOW;
		}

		@Override
		public String unavailableReason() {
			return available ? null : "GMFlow weights are not installed";
		}

		@Override
		public FlowEstimator create() {
			return new FlowEstimator() {
				@Override
				public FlowMethod method() {
					return FlowMethod.GMFLOW;
				}

				@Override
				public FlowField flow(Rgb8Image from, Rgb8Image to) {
					String why = unsupportedSize(from.width(), from.height());
					if (why != null) throw new RerenderException(why);
					calls.incrementAndGet();
					return FlowField.zeros(from.width(), from.height());
				}

				@Override
				public String unsupportedSize(int width, int height) { // as GMFlow
					return Math.min(width, height) < 32 ? "Frames of " + width + "x" + height + " are too small for GMFlow" : null;
				}
			};
		}
	}

	@AfterEach
	void restore() {
		FlowEstimators.unregister(FlowMethod.GMFLOW);
	}

	@Test
	void parsesMethodNames() {
		assertEquals(FlowMethod.DIS, FlowMethod.parse("dis"));
		assertEquals(FlowMethod.GMFLOW, FlowMethod.parse(" GMFlow "));
		assertEquals(FlowMethod.AUTO, FlowMethod.parse("auto"));
		RerenderException e = assertThrows(RerenderException.class, () -> FlowMethod.parse("raft"));
		assertTrue(e.getMessage().contains("dis"), e.getMessage());
	}

	@Test
	void autoIsDisWithoutGmflowAndGmflowOnceInstalled() {
		assertEquals(FlowMethod.DIS, FlowEstimators.resolve(FlowMethod.AUTO));
		RerenderException e = assertThrows(RerenderException.class, () -> FlowEstimators.create(FlowMethod.GMFLOW));
		assertTrue(e.getMessage().contains("gmflow"), e.getMessage());
		FlowEstimators.register(new FakeProvider(false));
		assertEquals(FlowMethod.DIS, FlowEstimators.resolve(FlowMethod.AUTO));
		assertEquals("GMFlow weights are not installed", FlowEstimators.unavailableReason(FlowMethod.GMFLOW));
		FlowEstimators.register(new FakeProvider(true));
		assertEquals(FlowMethod.GMFLOW, FlowEstimators.resolve(FlowMethod.AUTO));
		try (FlowEstimator est = FlowEstimators.create("auto")) {
			assertEquals(FlowMethod.GMFLOW, est.method());
		}
	}

	@Test
	void disGivesBothDirectionsOnTheRightGrids() {
		Rgb8Image a = new Rgb8Image(64, 48), b = new Rgb8Image(64, 48);
		java.util.Random r = new java.util.Random(1);
		r.nextBytes(a.data());
		for (int y = 0; y < 48; y++) // b(x) = a(x + 2, y): content moves left by 2
			for (int x = 0; x < 64; x++)
				for (int c = 0; c < 3; c++) b.set(x, y, c, a.get(Math.min(63, x + 2), y, c));
		try (FlowEstimator dis = FlowEstimators.create(FlowMethod.DIS)) {
			assertEquals(FlowMethod.DIS, dis.method());
			BidirectionalFlow bf = dis.both(a, b);
			assertNotNull(bf.forward());
			assertEquals(-2f, bf.forward().u(30, 24), 0.5f, "a's pixel x is at x − 2 in b");
			assertEquals(2f, bf.backward().u(30, 24), 0.5f, "b's pixel x came from x + 2 in a");
			assertEquals(0f, bf.backward().v(30, 24), 0.5f);
			RerenderException e = assertThrows(RerenderException.class, () -> dis.flow(a, new Rgb8Image(32, 48)));
			assertTrue(e.getMessage().contains("differ in size"), e.getMessage());
		}
	}

	@Test
	void autoUsesDisForFramesGmflowCannotTake() {
		FakeProvider gm = new FakeProvider(true);
		FlowEstimators.register(gm);
		Rgb8Image a = new Rgb8Image(40, 24), b = new Rgb8Image(40, 24);
		new java.util.Random(2).nextBytes(a.data());
		new java.util.Random(3).nextBytes(b.data());
		try (FlowEstimator auto = FlowEstimators.create(FlowMethod.AUTO); FlowEstimator dis = FlowEstimators.create(FlowMethod.DIS);
			FlowEstimator gmflow = FlowEstimators.create(FlowMethod.GMFLOW))
		{
			assertEquals(FlowMethod.GMFLOW, auto.method());
			BidirectionalFlow small = auto.both(a, b);
			assertEquals(0, gm.calls.get(), "24 px high: not for GMFlow");
			org.junit.jupiter.api.Assertions.assertArrayEquals(dis.both(a, b).forward().image().data(), small.forward().image().data(), "DIS's flow");
			auto.both(new Rgb8Image(40, 32), new Rgb8Image(40, 32));
			assertEquals(2, gm.calls.get(), "32 px: GMFlow");
			RerenderException e = assertThrows(RerenderException.class, () -> gmflow.both(a, b), "gmflow chosen: refused in words");
			assertTrue(e.getMessage().contains("too small"), e.getMessage());
		}
	}
}
