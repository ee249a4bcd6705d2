package org.rerender.model.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.testing.TensorAssert;

/**
 * {@link CrossAttention}'s packed projections ({@value CrossAttention#PROPERTY}) against the separate ones on the same
 * weights, with the fused ops on and off, and {@link ContextKeyValues}' keying, invalidation and graph bypass.
 */
class FusedProjectionsTest {
	static final int HEADS = 4;
	static final long DIM = 32, CTX = 24;

	/** A layer loaded with the given seeds' weights, fused or not (the property is read at load). */
	static CrossAttention layer(NDManager m, long queryDim, long contextDim, boolean fused, List<NDArray> loaded) {
		CrossAttention a = new CrossAttention(queryDim, contextDim, HEADS, queryDim / HEADS);
		String old = System.getProperty(CrossAttention.PROPERTY);
		System.setProperty(CrossAttention.PROPERTY, Boolean.toString(fused));
		try {
			int seed = 11;
			for (var e : a.namedParams().entrySet()) {
				Shape s = e.getValue().shape();
				NDArray v = m.create(NnPrimitivesTest.random((int) s.size(), seed++), s).mul(0.3f);
				e.getValue().set(v);
				if (loaded != null) loaded.add(v);
			}
			a.notifyLoaded();
		}
		finally {
			if (old == null) System.clearProperty(CrossAttention.PROPERTY);
			else System.setProperty(CrossAttention.PROPERTY, old);
		}
		return a;
	}

	static NDArray input(NDManager m, long tokens, long width, int seed) {
		return m.create(NnPrimitivesTest.random((int) (2 * tokens * width), seed), new Shape(2, tokens, width));
	}

	/** Runs {@code r} with {@value TorchExt#PROPERTY} set to {@code on}. */
	static <T> T withTorchExt(boolean on, java.util.function.Supplier<T> r) {
		String old = System.getProperty(TorchExt.PROPERTY);
		System.setProperty(TorchExt.PROPERTY, Boolean.toString(on));
		try {
			return r.get();
		}
		finally {
			if (old == null) System.clearProperty(TorchExt.PROPERTY);
			else System.setProperty(TorchExt.PROPERTY, old);
		}
	}

	@ParameterizedTest
	@ValueSource(booleans = {true, false})
	void packedEqualsSeparate(boolean torchExt) {
		try (NDManager m = Djl.newCpuManager()) {
			List<NDArray> loaded = new ArrayList<>();
			CrossAttention self = layer(m, DIM, DIM, true, loaded), selfRef = layer(m, DIM, DIM, false, null);
			CrossAttention cross = layer(m, DIM, CTX, true, null), crossRef = layer(m, DIM, CTX, false, null);
			assertTrue(self.fused() && cross.fused());
			assertFalse(selfRef.fused() || crossRef.fused());
			// the loaded arrays were freed; the parameters read the same values from the packed weight
			for (int i = 0; i < 3; i++) assertTrue(loaded.get(i).isReleased(), "loaded projection " + i + " freed");
			for (String k : new String[] {"to_q.weight", "to_k.weight", "to_v.weight"})
				assertEquals(0f, self.namedParams().get(k).get().sub(selfRef.namedParams().get(k).get()).abs().max().getFloat(), k);
			// the parameters are views of the packed weight (its memory, not a second copy): a write to it shows in them
			NDArray packed = self.packedQkv(), k = self.namedParams().get("to_k.weight").get();
			assertEquals(new Shape(3 * DIM, DIM), packed.getShape());
			float k00 = k.get(new NDIndex("0, 0")).getFloat();
			packed.set(new NDIndex("{}, 0", DIM), k00 + 1f);
			assertEquals(k00 + 1f, k.get(new NDIndex("0, 0")).getFloat(), 0f, "to_k.weight is a view of the packed weight");
			packed.set(new NDIndex("{}, 0", DIM), k00);
			NDArray x = input(m, 20, DIM, 1), other = input(m, 13, DIM, 2), ctx = input(m, 7, CTX, 3);
			withTorchExt(torchExt, () -> {
				close("self-attention, one GEMM", self.forward(x, x), selfRef.forward(x, x));
				close("self-attention with another K/V input (cross-frame hook)", self.forward(x, other), selfRef.forward(x, other));
				close("cross-attention", cross.forward(x, ctx), crossRef.forward(x, ctx));
				try (ContextKeyValues cache = new ContextKeyValues(m)) {
					NDArray first = cross.forward(x, ctx, cache), again = cross.forward(x, ctx, cache);
					assertEquals(1, cache.misses());
					assertEquals(1, cache.hits());
					close("cross-attention from kept K/V", again, crossRef.forward(x, ctx));
					close("cross-attention kept against computed", again, first);
				}
				return null;
			});
		}
	}

	/** Same within F32 rounding: a packed GEMM may sum in another order than three separate ones. */
	static void close(String what, NDArray got, NDArray expected) {
		TensorAssert.assertClose(what, got.toFloatArray(), expected.toFloatArray(), 1e-5, 1e-5);
	}

	@Test
	void cacheKeysOnIdentityAndVersionAndBoundsItsSize() {
		try (NDManager m = Djl.newCpuManager(); ContextKeyValues cache = new ContextKeyValues(m)) {
			Object layer = new Object();
			int[] computed = {0};
			java.util.function.UnaryOperator<NDArray> kv = c -> {
				computed[0]++;
				return c.mul(2f);
			};
			NDArray c1 = input(m, 5, CTX, 4);
			NDArray a = cache.get(layer, c1, kv);
			assertSame(a, cache.get(layer, c1, kv), "same context, same layer: kept");
			assertEquals(1, computed[0]);
			NDArray same = c1.duplicate(); // equal values, another tensor: computed again (identity, not content)
			assertNotSame(a, cache.get(layer, same, kv));
			assertEquals(2, computed[0]);
			assertNotSame(a, cache.get(new Object(), c1, kv), "another layer");
			if (TorchExt.active()) { // an in-place write (a static buffer's copy_) makes the kept K/V stale
				c1.set(new NDIndex("0, 0, 0"), 5f);
				NDArray fresh = cache.get(layer, c1, kv);
				assertTrue(a.isReleased(), "stale entry freed");
				assertEquals(10f, fresh.get(new NDIndex("0, 0, 0")).getFloat(), 0f);
			}
			for (int i = 0; i < 2 * ContextKeyValues.MAX_CONTEXTS; i++) cache.get(layer, input(m, 5, CTX, 10 + i), kv);
			assertEquals(ContextKeyValues.MAX_CONTEXTS, cache.size(), "at most MAX_CONTEXTS contexts kept");
		}
	}

	@Test
	void nothingIsKeptInsideAGraphBodyAndCloseFreesEverything() {
		try (NDManager m = Djl.newCpuManager()) {
			ContextKeyValues cache = new ContextKeyValues(m);
			Object layer = new Object();
			NDArray c = input(m, 5, CTX, 5);
			NDArray outside = cache.get(layer, c, x -> x.mul(2f));
			try (StepGraph g = StepGraph.rerun(m, in -> {
				NDArray inside = cache.get(layer, in.get(0), x -> x.mul(3f));
				assertNotSame(outside, inside);
				return inside.add(0f);
			})) {
				for (int i = 0; i < 3; i++) g.run(new NDList(c), m); // record, then two replays by rerun
				assertEquals(2, g.replays());
			}
			assertEquals(1, cache.size(), "the graph body kept nothing");
			assertEquals(1, cache.misses());
			cache.close();
			assertTrue(outside.isReleased());
			NDArray after = cache.get(layer, c, x -> x.mul(2f)); // a closed cache computes, keeps nothing
			assertFalse(after.isReleased());
		}
	}
}
