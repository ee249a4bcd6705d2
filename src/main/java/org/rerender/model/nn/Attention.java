package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;

/**
 * Multi-head scaled dot-product attention {@code softmax(q·kᵀ·d^-½)·v} as batched matmuls. When the score
 * tensor {@code [B·heads, Nq, Nk]} would exceed {@link #DEFAULT_MAX_SCORE_ELEMENTS}, it is computed in slices
 * (over batch·heads first, then over query rows), each slice's scores freed before the next. When {@link TorchExt}
 * is active, libtorch's fused {@code scaled_dot_product_attention} does it in one call (its CPU flash and CUDA
 * kernels never hold the whole score tensor, so no slicing).
 */
public final class Attention {
	/** 2^27 elements = 512 MiB at F32, 256 MiB at F16. */
	public static final long DEFAULT_MAX_SCORE_ELEMENTS = 1L << 27;

	private Attention() {}

	/**
	 * @param q {@code [B, Nq, heads·d]}, already projected
	 * @param k {@code [B, Nk, heads·d]}
	 * @param v {@code [B, Nk, heads·d]}
	 * @return {@code [B, Nq, heads·d]}
	 */
	public static NDArray multiHead(NDArray q, NDArray k, NDArray v, int heads, long maxScoreElements) {
		return TorchExt.active() ? TorchExt.attention(q, k, v, heads) : composed(q, k, v, heads, maxScoreElements);
	}

	/**
	 * Self-attention on one GEMM's packed output ({@link CrossAttention}'s fused {@code to_q/to_k/to_v}).
	 * @param qkv {@code [B, N, 3·heads·d]}: q, k and v side by side
	 * @return {@code [B, N, heads·d]}, in {@code qkv}'s manager
	 */
	public static NDArray selfPacked(NDArray qkv, int heads, long maxScoreElements) {
		if (TorchExt.active()) return TorchExt.attentionPacked(null, qkv, heads);
		NDList p = parts(qkv, 3, qkv.getManager());
		return composed(p.get(0), p.get(1), p.get(2), heads, maxScoreElements);
	}

	/**
	 * Attention with packed keys and values ({@link CrossAttention}'s fused {@code to_k/to_v}).
	 * @param q {@code [B, Nq, heads·d]}
	 * @param kv {@code [B, Nk, 2·heads·d]}: k and v side by side; may belong to a cache ({@link ContextKeyValues}):
	 *     nothing made from it stays in its manager
	 * @return {@code [B, Nq, heads·d]}, in {@code q}'s manager
	 */
	public static NDArray packedKeysValues(NDArray q, NDArray kv, int heads, long maxScoreElements) {
		if (TorchExt.active()) return TorchExt.attentionPacked(q, kv, heads);
		NDList p = parts(kv, 2, q.getManager());
		return composed(q, p.get(0), p.get(1), heads, maxScoreElements);
	}

	/** {@code packed}'s equal parts along the last axis (views), in {@code into}. */
	private static NDList parts(NDArray packed, int n, ai.djl.ndarray.NDManager into) {
		NDList p = packed.split(n, packed.getShape().dimension() - 1);
		for (NDArray a : p) a.attach(into);
		return p;
	}

	/** The composed DJL path. */
	static NDArray composed(NDArray q, NDArray k, NDArray v, int heads, long maxScoreElements) {
		long b = q.getShape().get(0), nq = q.getShape().get(1), c = q.getShape().get(2);
		long nk = k.getShape().get(1), d = c / heads;
		double scale = 1.0 / Math.sqrt(d);
		// [B·h, Nq, d], [B·h, d, Nk], [B·h, Nk, d]
		NDArray qh = Scalars.mul(q, scale).reshape(b, nq, heads, d).transpose(0, 2, 1, 3).reshape(b * heads, nq, d);
		NDArray kt = k.reshape(b, nk, heads, d).transpose(0, 2, 3, 1).reshape(b * heads, d, nk);
		NDArray vh = v.reshape(b, nk, heads, d).transpose(0, 2, 1, 3).reshape(b * heads, nk, d);
		long bh = b * heads;
		NDArray out;
		if (bh * nq * nk <= maxScoreElements) {
			out = qh.batchMatMul(kt).softmax(2).batchMatMul(vh);
		} else {
			long rowsPerSlice = Math.max(1, Math.min(nq, maxScoreElements / nk));
			long bhPerSlice = Math.max(1, maxScoreElements / (rowsPerSlice * nk));
			NDList parts = new NDList();
			for (long i = 0; i < bh; i += bhPerSlice) {
				long i1 = Math.min(bh, i + bhPerSlice);
				NDList rows = new NDList();
				for (long r = 0; r < nq; r += rowsPerSlice) {
					long r1 = Math.min(nq, r + rowsPerSlice);
					NDArray qs = qh.get(new NDIndex("{}:{}, {}:{}", i, i1, r, r1));
					try (Scope s = Scope.of(qs)) {
						NDArray ks = kt.get(new NDIndex("{}:{}", i, i1));
						NDArray vs = vh.get(new NDIndex("{}:{}", i, i1));
						ks.attach(qs.getManager());
						vs.attach(qs.getManager());
						rows.add(s.keep(qs.batchMatMul(ks).softmax(2).batchMatMul(vs)));
					}
					qs.close();
				}
				parts.add(rows.size() == 1 ? rows.get(0) : NDArrays.concat(rows, 1));
			}
			out = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
		}
		return out.reshape(b, heads, nq, d).transpose(0, 2, 1, 3).reshape(b, nq, c);
	}
}
