package org.rerender.model.unet;

/**
 * Stable identity of one UNet decoder self-attention layer ({@code attn1} of an output block's transformer).
 * @param outputBlock index of the output block (3…11 in SD 1.5)
 * @param layer running index over the decoder's self-attention layers (0…8 in SD 1.5: output block 3 → 0)
 * @param depthIndex transformer block index inside the block (0 in SD 1.x)
 * @param channels the layer's width (1280, 640, 320 in SD 1.5; loose mode skips the widest)
 */
public record SelfAttentionSite(int outputBlock, int layer, int depthIndex, long channels) {}
