package org.rerender.model.unet;

/** Classifier-free guidance branch of a UNet call. */
public enum Branch {
	COND, UNCOND;

	/** 0 for cond, 1 for uncond (the Rerender store's branch axis). */
	public int index() {
		return ordinal();
	}
}
