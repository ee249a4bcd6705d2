package org.rerender.diffusion.rerender;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import org.rerender.diffusion.constraints.FreeU;
import org.rerender.model.unet.SkipHook;
import org.rerender.model.unet.UNetCallContext;

/** FreeU as the UNet's decoder {@link SkipHook}; installed on every call, also with (1,1,1,1), as the original. */
public record FreeUHook(FreeU freeU, long modelChannels) implements SkipHook {
	@Override
	public HSkip apply(UNetCallContext ctx, int outputBlock, NDArray h, NDArray skip) {
		NDList r = freeU.apply(h, skip, modelChannels);
		return new HSkip(r.get(0), r.get(1));
	}
}
