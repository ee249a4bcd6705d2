package org.rerender.model.unet;

import ai.djl.ndarray.NDArray;
import java.util.function.BiConsumer;
import org.rerender.model.nn.ContextKeyValues;

/**
 * Per-call state of one UNet (+ControlNet) evaluation: no global mutable state. All fields may be null except
 * {@code step}.
 * @param step DDIM step index i (0 = first step, the highest noise level), or -1 outside a sampler
 * @param branch CFG branch of this call, null when a batch holds both branches
 * @param attentionHook decoder self-attention hook (cross-frame attention), or null
 * @param skipHook decoder skip hook (FreeU), or null
 * @param probe receives named intermediate tensors ({@code t_emb}, {@code emb}, {@code input_block.NN},
 *     {@code middle_block}, {@code guided_hint}); they are freed after the call unless the probe copies them
 * @param contextKv keeps the cross-attention keys/values of the call's text context for later calls (the frame's
 *     denoiser owns it; {@link ContextKeyValues}), or null to compute them in every call
 */
public record UNetCallContext(int step, Branch branch, AttentionHook attentionHook, SkipHook skipHook,
	BiConsumer<String, NDArray> probe, ContextKeyValues contextKv) {

	public static final UNetCallContext NONE = new UNetCallContext(-1, null, null, null, null);

	/** Without a keys/values cache. */
	public UNetCallContext(int step, Branch branch, AttentionHook attentionHook, SkipHook skipHook, BiConsumer<String, NDArray> probe) {
		this(step, branch, attentionHook, skipHook, probe, null);
	}

	public static UNetCallContext of(int step, Branch branch) {
		return new UNetCallContext(step, branch, null, null, null);
	}

	public UNetCallContext withProbe(BiConsumer<String, NDArray> p) {
		return new UNetCallContext(step, branch, attentionHook, skipHook, p, contextKv);
	}

	public UNetCallContext withHooks(AttentionHook a, SkipHook s) {
		return new UNetCallContext(step, branch, a, s, probe, contextKv);
	}

	/** The same call with the cross-attention keys/values kept in {@code c} (null: none kept). */
	public UNetCallContext withContextKv(ContextKeyValues c) {
		return new UNetCallContext(step, branch, attentionHook, skipHook, probe, c);
	}

	void report(String name, NDArray value) {
		if (probe != null) probe.accept(name, value);
	}
}
