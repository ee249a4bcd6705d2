package org.rerender.model.unet;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import org.rerender.model.nn.Container;
import org.rerender.model.nn.DeviceConstants;
import org.rerender.model.nn.Functional;
import org.rerender.model.nn.Linear;
import org.rerender.model.nn.Module;

/**
 * Sinusoidal timestep embedding and the {@code time_embed} MLP (Linear, SiLU, Linear).
 * <p>The sinusoid is computed on the Java side with F32 rounding at every step, as ldm does on the reference
 * (F32 frequencies {@code exp(-ln(10000)·i/half)}, F32 argument {@code t·f}, then cos/sin rounded to F32): at
 * t = 999 the argument's F32 rounding moves cos/sin by up to ~1e-5, so emulating it keeps parity tight.
 */
final class TimeEmbedding extends Module {
	private static final double MAX_PERIOD = 10000;
	private final Linear lin1, lin2;
	private final int dim;

	TimeEmbedding(int modelChannels, int embDim) {
		this.dim = modelChannels;
		lin1 = child("0", new Linear(modelChannels, embDim));
		child("1", new Container()); // SiLU has no weights; keeps the key numbering (0, 2) visible
		lin2 = child("2", new Linear(embDim, embDim));
	}

	/** {@code cat[cos(t·f), sin(t·f)]}, shape {@code [B, dim]}, in {@code dtype} on the manager's device. */
	static NDArray sinusoid(NDManager manager, int[] timesteps, int dim, DataType dtype) {
		int half = dim / 2;
		float[] freqs = new float[half];
		float negLog = (float) -Math.log(MAX_PERIOD);
		for (int i = 0; i < half; i++) freqs[i] = (float) Math.exp((negLog * (float) i) / (float) half);
		float[] out = new float[timesteps.length * dim];
		for (int b = 0; b < timesteps.length; b++) {
			for (int i = 0; i < half; i++) {
				float arg = (float) timesteps[b] * freqs[i];
				out[b * dim + i] = (float) Math.cos(arg);
				out[b * dim + half + i] = (float) Math.sin(arg);
			}
		}
		NDArray a = manager.create(out, new ai.djl.ndarray.types.Shape(timesteps.length, dim));
		return dtype == DataType.FLOAT32 ? a : a.toType(dtype, false);
	}

	/** Timesteps below this come from a table of all of them, made once per (device, dtype) and sliced on the device. */
	static final int TABLE_SIZE = 1000;

	private record TableKey(int dim, DataType dtype) {}

	/**
	 * {@link #sinusoid(NDManager, int[], int, DataType)} without a host-made tensor per call: rows of a table of
	 * timesteps 0…{@value #TABLE_SIZE}−1 (made once per device and dtype, see {@link DeviceConstants}), the same
	 * values; the result belongs to {@code manager}.
	 */
	NDArray sinusoid(NDManager manager, int[] timesteps, DataType dtype) {
		for (int t : timesteps)
			if (t < 0 || t >= TABLE_SIZE) return sinusoid(manager, timesteps, dim, dtype);
		NDArray table = DeviceConstants.get(manager.getDevice(), new TableKey(dim, dtype), m -> {
			int[] all = new int[TABLE_SIZE];
			for (int t = 0; t < TABLE_SIZE; t++) all[t] = t;
			try (NDManager work = m.newSubManager()) { // its intermediates (an F32 table cast to F16) are not kept
				NDArray made = sinusoid(work, all, dim, dtype);
				made.attach(m);
				return made;
			}
		});
		if (table == null) return sinusoid(manager, timesteps, dim, dtype);
		boolean same = true;
		for (int t : timesteps) same &= t == timesteps[0];
		if (same) {
			NDArray row = table.get(new NDIndex("{}:{}", timesteps[0], timesteps[0] + 1));
			row.attach(manager);
			return timesteps.length == 1 ? row : row.repeat(0, timesteps.length);
		}
		NDList rows = new NDList();
		for (int t : timesteps) {
			NDArray row = table.get(new NDIndex("{}:{}", t, t + 1));
			row.attach(manager);
			rows.add(row);
		}
		return NDArrays.concat(rows, 0);
	}

	NDArray forward(NDArray tEmb) {
		return lin2.forward(Functional.silu(lin1.forward(tEmb)));
	}
}
