package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Cross-attention keys and values of text contexts, computed once per (layer, context) and kept while the owner lives
 * (a frame's denoiser: its manager's lifetime): within a frame's sampling the cond/uncond contexts do not change, so
 * every UNet/ControlNet call after the first skips each cross-attention layer's K/V GEMM (their packed
 * {@code [B, 77, 2C]} result is reused; {@link CrossAttention}).
 *
 * <p>An entry is keyed by the context array's identity and, with the fused ops, its libtorch version counter (bumped
 * by any in-place write to it, e.g. a static buffer's {@code copy_}): a different or rewritten context computes afresh
 * and frees the stale entry. At most {@value #MAX_CONTEXTS} contexts are kept (the oldest is freed), so a caller that
 * makes a new context per call costs no memory growth. Inside a {@link StepGraph} body (a CUDA-graph capture, or its
 * replay-by-rerun) and during any {@link TorchExtCudaGraph} capture nothing is looked up or stored: the K/V GEMMs are then part of the recorded work and read the graph's
 * static context buffer, so a replay after new conditioning was copied in can never use keys and values computed from
 * the old one, and no cached array's memory is baked into a graph that outlives it.
 */
public final class ContextKeyValues implements AutoCloseable {
	/** Contexts kept at once (cond, uncond, the batched pair and one spare). */
	public static final int MAX_CONTEXTS = 4;

	private final NDManager manager;
	private final List<Entry> entries = new ArrayList<>(); // oldest first
	private long hits, misses;
	private boolean closed;

	private static final class Entry {
		final NDArray context;
		final long version;
		final Map<Object, NDArray> byLayer = new IdentityHashMap<>();

		Entry(NDArray context, long version) {
			this.context = context;
			this.version = version;
		}

		void close() {
			byLayer.values().forEach(NDArray::close);
			byLayer.clear();
		}
	}

	/** @param parent the owner's manager (a frame's): the cache's sub-manager is freed with it at the latest */
	public ContextKeyValues(NDManager parent) {
		manager = parent.newSubManager();
	}

	/**
	 * {@code layer}'s packed keys and values of {@code context}: the kept array (owned by this cache; do not close), or
	 * {@code compute(context)}, which is kept when the cache may keep it.
	 */
	synchronized NDArray get(Object layer, NDArray context, UnaryOperator<NDArray> compute) {
		if (closed || StepGraph.inBody() || TorchExtCudaGraph.capturing()) return compute.apply(context);
		long version = TorchExt.active() ? TorchExt.version(context) : -1;
		Entry e = null;
		for (int i = 0; i < entries.size(); i++) {
			Entry c = entries.get(i);
			if (c.context != context) continue;
			if (c.version == version) e = c;
			else {
				c.close(); // rewritten in place since: stale
				entries.remove(i);
			}
			break;
		}
		if (e == null) {
			e = new Entry(context, version);
			entries.add(e);
			if (entries.size() > MAX_CONTEXTS) entries.remove(0).close();
		}
		NDArray kv = e.byLayer.get(layer);
		if (kv != null) {
			hits++;
			return kv;
		}
		misses++;
		kv = compute.apply(context);
		kv.attach(manager);
		e.byLayer.put(layer, kv);
		return kv;
	}

	/** Lookups answered from the cache so far. */
	public synchronized long hits() {
		return hits;
	}

	/** Lookups that computed (and kept) keys and values so far. */
	public synchronized long misses() {
		return misses;
	}

	/** Arrays held now (one per layer and kept context). */
	public synchronized int size() {
		int n = 0;
		for (Entry e : entries) n += e.byLayer.size();
		return n;
	}

	/** Frees every kept array; later lookups compute without keeping. */
	@Override
	public synchronized void close() {
		closed = true;
		entries.forEach(Entry::close);
		entries.clear();
		manager.close();
	}
}
