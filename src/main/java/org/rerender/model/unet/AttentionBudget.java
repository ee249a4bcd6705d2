package org.rerender.model.unet;

import org.rerender.model.nn.Module;

/** Pushes an attention memory budget down to every attention layer of a block. */
final class AttentionBudget {
	private AttentionBudget() {}

	static void apply(Module m, long maxScoreElements) {
		if (m instanceof Block b) {
			for (Layer l : b.layers())
				if (l instanceof SpatialTransformer st)
					for (TransformerBlock t : st.blocks()) {
						t.selfAttention().setMaxScoreElements(maxScoreElements);
						t.crossAttention().setMaxScoreElements(maxScoreElements);
					}
		}
	}
}
