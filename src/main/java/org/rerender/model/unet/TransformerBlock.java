package org.rerender.model.unet;

import ai.djl.ndarray.NDArray;
import org.rerender.model.nn.Container;
import org.rerender.model.nn.CrossAttention;
import org.rerender.model.nn.Functional;
import org.rerender.model.nn.LayerNorm;
import org.rerender.model.nn.Linear;
import org.rerender.model.nn.Module;
import org.rerender.model.nn.Scope;

/**
 * ldm's {@code BasicTransformerBlock}: self-attention on norm1, cross-attention on norm2 with the context,
 * GEGLU feed-forward on norm3 (inner 4·dim), each added residually. Decoder blocks carry a
 * {@link SelfAttentionSite}; their self-attention keys/values go through the call's {@link AttentionHook}.
 */
final class TransformerBlock extends Module {
	private final CrossAttention attn1, attn2;
	private final Linear ffIn, ffOut;
	private final LayerNorm norm1, norm2, norm3;
	private final SelfAttentionSite site;

	TransformerBlock(long dim, int heads, long dimHead, long contextDim, SelfAttentionSite site) {
		this.site = site;
		attn1 = child("attn1", new CrossAttention(dim, dim, heads, dimHead));
		Container net = child("ff", new Container()).add("net", new Container());
		ffIn = net.add("0", new Container()).add("proj", new Linear(dim, dim * 4 * 2));
		ffOut = net.add("2", new Linear(dim * 4, dim));
		attn2 = child("attn2", new CrossAttention(dim, contextDim, heads, dimHead));
		norm1 = child("norm1", new LayerNorm(dim, 1e-5f));
		norm2 = child("norm2", new LayerNorm(dim, 1e-5f));
		norm3 = child("norm3", new LayerNorm(dim, 1e-5f));
	}

	SelfAttentionSite site() {
		return site;
	}

	CrossAttention selfAttention() {
		return attn1;
	}

	CrossAttention crossAttention() {
		return attn2;
	}

	/** @param x {@code [B, tokens, dim]} */
	NDArray forward(NDArray x, NDArray context, UNetCallContext ctx) {
		try (Scope s = Scope.of(x, context)) {
			NDArray n1 = norm1.forward(x);
			NDArray kv = n1;
			if (site != null && ctx.attentionHook() != null) kv = ctx.attentionHook().keyValueInput(ctx, site, n1);
			NDArray h = x.add(attn1.forward(n1, kv));
			h = h.add(attn2.forward(norm2.forward(h), context, ctx.contextKv()));
			h = h.add(ffOut.forward(Functional.geglu(ffIn.forward(norm3.forward(h)))));
			return s.keep(h);
		}
	}
}
