package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;

/**
 * ldm's {@code CrossAttention}: {@code to_q}/{@code to_k}/{@code to_v} without bias, {@code to_out.0} with bias.
 * Self-attention passes the same tensor as {@code x} and {@code context}; the cross-frame hook passes another
 * key/value input.
 */
public final class CrossAttention extends Module {
	private final Linear toQ, toK, toV, toOut;
	private final int heads;
	private long maxScoreElements = Attention.DEFAULT_MAX_SCORE_ELEMENTS;

	public CrossAttention(long queryDim, long contextDim, int heads, long dimHead) {
		long inner = heads * dimHead;
		this.heads = heads;
		toQ = child("to_q", new Linear(queryDim, inner, false));
		toK = child("to_k", new Linear(contextDim, inner, false));
		toV = child("to_v", new Linear(contextDim, inner, false));
		Container out = child("to_out", new Container());
		toOut = out.add("0", new Linear(inner, queryDim));
	}

	/** Memory budget of one score slice, in elements. */
	public void setMaxScoreElements(long n) {
		maxScoreElements = n;
	}

	/** @param x {@code [B, N, queryDim]}; @param context {@code [B, M, contextDim]} (keys and values input) */
	public NDArray forward(NDArray x, NDArray context) {
		NDArray q = toQ.forward(x);
		NDArray k = toK.forward(context);
		NDArray v = toV.forward(context);
		return toOut.forward(Attention.multiHead(q, k, v, heads, maxScoreElements));
	}
}
