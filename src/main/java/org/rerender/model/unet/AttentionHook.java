package org.rerender.model.unet;

import ai.djl.ndarray.NDArray;

/**
 * Cross-frame attention hook of the UNet decoder self-attention layers, called once per layer per UNet call.
 * It receives the layer's self-attention input {@code norm1(x)} ({@code [B, tokens, channels]}, before
 * {@code to_k}/{@code to_v}) and returns the tensor the layer's {@code to_k}/{@code to_v} should use:
 * {@code normedInput} itself for ordinary attention, or e.g. {@code concat([first; previous], axis 1)}.
 * In one method the hook can (a) record the input under ({@link UNetCallContext#step()},
 * {@link UNetCallContext#branch()}, {@link SelfAttentionSite#layer()}), (b) substitute keys/values, and
 * (c) overwrite its stored "previous" entry after reading it.
 * <p>Arrays passed in belong to the UNet call's scope and are freed when the layer returns: a hook that keeps
 * one must {@code duplicate()} it and attach the copy to its own manager. A returned replacement is only
 * read (never closed) by the UNet.
 */
@FunctionalInterface
public interface AttentionHook {
	NDArray keyValueInput(UNetCallContext ctx, SelfAttentionSite site, NDArray normedInput);
}
