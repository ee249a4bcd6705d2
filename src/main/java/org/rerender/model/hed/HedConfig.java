package org.rerender.model.hed;

import java.util.LinkedHashMap;
import java.util.Map;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;

/**
 * The HED network's shape (ControlNet's {@code ControlNetHED_Apache2}): per block, its width and number of
 * 3×3 convs. Not stored anywhere as numbers: {@link #fromWeights} reads them off the weight shapes.
 */
public record HedConfig(int[] channels, int[] convs) {

	public HedConfig {
		if (channels.length == 0 || channels.length != convs.length)
			throw new RerenderException("HED config needs one conv count per block");
	}

	/** The real {@code ControlNetHED.pth}: widths 64/128/256/512/512, convs 2/2/3/3/3. */
	public static HedConfig controlNetHed() {
		return new HedConfig(new int[] {64, 128, 256, 512, 512}, new int[] {2, 2, 3, 3, 3});
	}

	public static HedConfig fromWeights(TensorSource w) {
		int blocks = 0;
		while (w.contains("block" + (blocks + 1) + ".convs.0.weight")) blocks++;
		if (blocks == 0) throw new RerenderException("Not a HED annotator file: no block1.convs.0.weight");
		int[] ch = new int[blocks], cv = new int[blocks];
		for (int b = 0; b < blocks; b++) {
			TensorInfo first = w.info("block" + (b + 1) + ".convs.0.weight");
			ch[b] = (int) first.shape()[0];
			while (w.contains("block" + (b + 1) + ".convs." + cv[b] + ".weight")) cv[b]++;
		}
		return new HedConfig(ch, cv);
	}

	public int blocks() {
		return channels.length;
	}

	/** Every parameter with its shape, in state_dict order. */
	public Map<String, long[]> expectedShapes() {
		Map<String, long[]> m = new LinkedHashMap<>();
		m.put("norm", new long[] {1, 3, 1, 1});
		int in = 3;
		for (int b = 0; b < blocks(); b++) {
			String p = "block" + (b + 1) + ".";
			int c = channels[b];
			for (int k = 0; k < convs[b]; k++) {
				m.put(p + "convs." + k + ".weight", new long[] {c, k == 0 ? in : c, 3, 3});
				m.put(p + "convs." + k + ".bias", new long[] {c});
			}
			m.put(p + "projection.weight", new long[] {1, c, 1, 1});
			m.put(p + "projection.bias", new long[] {1});
			in = c;
		}
		return m;
	}
}
