package org.rerender.diffusion.rerender;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.Set;
import org.rerender.model.unet.AttentionHook;
import org.rerender.model.unet.SelfAttentionSite;
import org.rerender.model.unet.UNetCallContext;

/**
 * Rerender's cross-frame attention on the UNet decoder self-attention layers (rerender-algorithm.md §3).
 * <ul>
 * <li>{@link #recorder}: the anchor pass stores every eligible layer's input under (step, branch, layer) for
 * the steps it is asked to keep, and attends normally.</li>
 * <li>{@link #constrainer}: a key-frame pass; at the window's steps keys and values come from
 * {@code concat([first; previous], tokens)} at the same (step, branch, layer) — the current frame's tokens are
 * not included. With {@code refresh} (pass 2 of a refreshing key frame) every layer then overwrites its
 * "previous" entry with its own input, after having read it.</li>
 * </ul>
 * Loose mode skips the widest (4·mc-channel) layers entirely: they are neither stored nor constrained.
 */
public final class CrossFrameAttention implements AttentionHook {
	private final AttentionStore first, previous;
	private final Set<Integer> window, keptSteps;
	private final long skipChannels;
	private final boolean record, refresh;

	private CrossFrameAttention(AttentionStore first, AttentionStore previous, Set<Integer> window, Set<Integer> keptSteps,
		long skipChannels, boolean record, boolean refresh)
	{
		this.first = first;
		this.previous = previous;
		this.window = window;
		this.keptSteps = keptSteps;
		this.skipChannels = skipChannels;
		this.record = record;
		this.refresh = refresh;
	}

	/**
	 * @param store receives the anchor's inputs
	 * @param keptSteps the steps to keep (the cross-attention window; everything else is never read)
	 * @param skipChannels layers with at least this many channels are skipped (4·mc in loose mode, else
	 *     {@link Long#MAX_VALUE})
	 */
	public static CrossFrameAttention recorder(AttentionStore store, Set<Integer> keptSteps, long skipChannels) {
		return new CrossFrameAttention(store, null, Set.of(), keptSteps, skipChannels, true, false);
	}

	/**
	 * @param first the anchor's store (read only)
	 * @param previous the "previous key frame" store (overwritten when {@code refresh})
	 * @param window the cross_period steps
	 * @param refreshedSteps the steps whose "previous" entry a refresh overwrites (the window: other steps are never
	 *     read; the original refreshes every step)
	 */
	public static CrossFrameAttention constrainer(AttentionStore first, AttentionStore previous, Set<Integer> window,
		Set<Integer> refreshedSteps, long skipChannels, boolean refresh)
	{
		return new CrossFrameAttention(first, previous, window, refreshedSteps, skipChannels, false, refresh);
	}

	/** The channel threshold for {@code loose}: 4·modelChannels, or none. */
	public static long skipChannels(boolean loose, int modelChannels) {
		return loose ? 4L * modelChannels : Long.MAX_VALUE;
	}

	@Override
	public NDArray keyValueInput(UNetCallContext ctx, SelfAttentionSite site, NDArray normedInput) {
		if (site.channels() >= skipChannels || ctx.branch() == null) return normedInput;
		AttentionStore.Key key = new AttentionStore.Key(ctx.step(), ctx.branch(), site.layer());
		if (record) {
			if (keptSteps.contains(ctx.step())) first.put(key, normedInput);
			return normedInput;
		}
		NDArray kv = normedInput;
		if (window.contains(ctx.step())) {
			NDArray f = first.get(key), p = previous.get(key);
			if (f == null || p == null)
				throw new IllegalStateException("No stored attention input for " + key + " (the anchor state does not cover this step/layer)");
			NDArray fc = f.toType(normedInput.getDataType(), false).toDevice(normedInput.getDevice(), false);
			NDArray pc = p.toType(normedInput.getDataType(), false).toDevice(normedInput.getDevice(), false);
			kv = NDArrays.concat(new NDList(fc, pc), 1);
			kv.attach(normedInput.getManager()); // freed with the layer's scope
			if (fc != f) fc.close();
			if (pc != p) pc.close();
		}
		if (refresh && keptSteps.contains(ctx.step())) previous.put(key, normedInput);
		return kv;
	}
}
