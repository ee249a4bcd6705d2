package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

/**
 * ldm's {@code CrossAttention}: {@code to_q}/{@code to_k}/{@code to_v} without bias, {@code to_out.0} with bias.
 * Self-attention passes the same tensor as {@code x} and {@code context}; the cross-frame hook passes another
 * key/value input.
 *
 * <p><b>Fused projections</b> ({@value #PROPERTY}, default on; read when the weights are loaded): the projection
 * weights are packed into one weight once, at load, so a call issues fewer, larger GEMMs. A layer whose query and
 * key/value inputs have the same width (self-attention) packs {@code [to_q; to_k; to_v]} into {@code [3C, C]}: with
 * {@code context == x} one GEMM gives q, k and v side by side, and the attention reads them as views. Every layer packs
 * {@code [to_k; to_v]} into {@code [2C, C_ctx]}: one GEMM for keys and values (a cross-frame hook's replacement input,
 * a text context), which {@link ContextKeyValues} can keep for the frame. The checkpoint keys stay as they are (the
 * weights are loaded by name, then packed); afterwards the {@code to_q/to_k/to_v} parameters are views of the packed
 * weight and the loaded arrays are freed, so no weight is held twice.
 */
public final class CrossAttention extends Module {
	/** System property: {@code false} keeps the separate projections (three GEMMs, no K/V cache), as before. */
	public static final String PROPERTY = "rerender.fusedprojections";

	private final Linear toQ, toK, toV, toOut;
	private final int heads;
	private final long inner;
	private final boolean sameWidth;
	private long maxScoreElements = Attention.DEFAULT_MAX_SCORE_ELEMENTS;
	/** Packed at load when fused: {@code [3C, C]} (same widths only) and {@code [2C, C_ctx]}; null otherwise. */
	private NDArray qkvWeight, kvWeight;

	public CrossAttention(long queryDim, long contextDim, int heads, long dimHead) {
		inner = heads * dimHead;
		this.heads = heads;
		this.sameWidth = queryDim == contextDim;
		toQ = child("to_q", new Linear(queryDim, inner, false));
		toK = child("to_k", new Linear(contextDim, inner, false));
		toV = child("to_v", new Linear(contextDim, inner, false));
		Container out = child("to_out", new Container());
		toOut = out.add("0", new Linear(inner, queryDim));
	}

	/** Whether fused projections are asked for ({@value #PROPERTY} is not {@code false}). */
	public static boolean fusedRequested() {
		return !"false".equalsIgnoreCase(System.getProperty(PROPERTY));
	}

	/** Whether this layer's projections were packed at load. */
	public boolean fused() {
		return kvWeight != null;
	}

	@Override
	protected void onLoaded() {
		qkvWeight = kvWeight = null;
		if (!fusedRequested()) return;
		if (sameWidth) {
			qkvWeight = pack(toQ.weightParam(), toK.weightParam(), toV.weightParam());
			kvWeight = rows(qkvWeight, inner, 3 * inner);
		} else kvWeight = pack(toK.weightParam(), toV.weightParam());
	}

	/**
	 * The parameters' weights stacked along the output axis in the first one's manager; each parameter then holds its
	 * rows of the result (a view) and the loaded array is closed.
	 */
	private NDArray pack(Param... ps) {
		NDList loaded = new NDList();
		for (Param p : ps) loaded.add(p.get());
		NDArray packed = NDArrays.concat(loaded, 0);
		packed.attach(loaded.get(0).getManager());
		long at = 0;
		for (Param p : ps) {
			long n = p.shape().get(0);
			p.set(rows(packed, at, at + n));
			at += n;
		}
		for (NDArray a : loaded) a.close();
		return packed;
	}

	/** Rows {@code [from, to)} of a weight: a view in its manager. */
	private static NDArray rows(NDArray w, long from, long to) {
		NDArray v = w.get(new NDIndex("{}:{}", from, to));
		v.attach(w.getManager());
		return v;
	}

	/** The packed {@code [3C, C]} weight of a fused same-width layer, else null (tests). */
	NDArray packedQkv() {
		return qkvWeight;
	}

	/** Memory budget of one score slice, in elements. */
	public void setMaxScoreElements(long n) {
		maxScoreElements = n;
	}

	/** @param x {@code [B, N, queryDim]}; @param context {@code [B, M, contextDim]} (keys and values input) */
	public NDArray forward(NDArray x, NDArray context) {
		return forward(x, context, null);
	}

	/**
	 * @param x {@code [B, N, queryDim]}
	 * @param context {@code [B, M, contextDim]} (keys and values input)
	 * @param cache keeps this layer's keys and values of {@code context} (a text context, fixed over a frame's steps), or
	 *     null to compute them; not used without fused projections
	 */
	public NDArray forward(NDArray x, NDArray context, ContextKeyValues cache) {
		NDArray a;
		if (kvWeight == null) {
			NDArray q = toQ.forward(x);
			NDArray k = toK.forward(context);
			NDArray v = toV.forward(context);
			a = Attention.multiHead(q, k, v, heads, maxScoreElements);
		} else if (qkvWeight != null && context == x) a = Attention.selfPacked(Linear.apply(x, qkvWeight, null), heads, maxScoreElements);
		else {
			NDArray q = toQ.forward(x); // the packed weight's first rows when fused as self-attention
			NDArray kv = cache == null ? keysValues(context) : cache.get(this, context, this::keysValues);
			a = Attention.packedKeysValues(q, kv, heads, maxScoreElements);
		}
		return toOut.forward(a);
	}

	/** {@code [B, M, 2·inner]}: keys and values of {@code context} side by side, one GEMM (in context's manager). */
	private NDArray keysValues(NDArray context) {
		return Linear.apply(context, kvWeight, null);
	}
}
