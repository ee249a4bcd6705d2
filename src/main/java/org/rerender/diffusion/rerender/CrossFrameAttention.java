package org.rerender.diffusion.rerender;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.rerender.model.nn.Precision;
import org.rerender.model.nn.StepGraph;
import org.rerender.model.unet.Branch;
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

	/** Whether this hook records (the anchor pass) rather than constrains. */
	public boolean records() {
		return record;
	}

	/** The channel threshold for {@code loose}: 4·modelChannels, or none. */
	public static long skipChannels(boolean loose, int modelChannels) {
		return loose ? 4L * modelChannels : Long.MAX_VALUE;
	}

	/**
	 * A single-branch call ({@code [B, tokens, C]}) reads and writes its own branch's entries. A CFG-batched call
	 * (branch null, batch {@code [uncond; cond]}) acts per half exactly as the two separate calls: records each half
	 * under its branch, attends to each half's own stored inputs (the branches' entries concatenated along the batch
	 * axis in the same order) and refreshes each half's "previous" entry.
	 */
	@Override
	public NDArray keyValueInput(UNetCallContext ctx, SelfAttentionSite site, NDArray normedInput) {
		StepGraph.checkOutsideBody("the cross-frame attention hook");
		if (!touches(site)) return normedInput;
		int step = ctx.step();
		NDArray kv = normedInput;
		if (attendsStoredAt(step)) {
			List<NDArray> temps = new ArrayList<>();
			DataType type = normedInput.getDataType();
			Device device = normedInput.getDevice();
			NDArray f = storedInput(true, step, ctx.branch(), site.layer(), type, device, temps);
			NDArray p = storedInput(false, step, ctx.branch(), site.layer(), type, device, temps);
			kv = NDArrays.concat(new NDList(f, p), 1);
			kv.attach(normedInput.getManager()); // freed with the layer's scope
			temps.forEach(NDArray::close);
		}
		AttentionStore written = writtenAt(step); // after the reads: a refresh overwrites what this step attended to
		if (written != null) store(written, step, ctx.branch(), site.layer(), normedInput);
		return kv;
	}

	/** The CFG-batched call's halves, in batch order. */
	private static final List<Branch> BATCHED = List.of(Branch.UNCOND, Branch.COND);

	// The hook's decisions and store accesses, one place for keyValueInput and for a recorded call (KeyFrameGraphs), which
	// makes them outside the recorded body, before (reads) and after (writes) each replay.

	/** Whether this hook acts on {@code site} at all (loose mode leaves the widest layers alone). */
	boolean touches(SelfAttentionSite site) {
		return site.channels() < skipChannels;
	}

	/** Whether a call at {@code step} takes its keys/values from the stores ({@code [first | previous]}) instead of its own input. */
	boolean attendsStoredAt(int step) {
		return !record && window.contains(step);
	}

	/** The store a call at {@code step} writes its layers' inputs into (the anchor's when recording, "previous" when refreshing), or null. */
	AttentionStore writtenAt(int step) {
		if (!keptSteps.contains(step)) return null;
		return record ? first : refresh ? previous : null;
	}

	/**
	 * What {@link #keyValueInput} concatenates for a call at (step, {@code branch}; null = CFG-batched) in {@code layer}: the
	 * first ({@code fromFirst}) or previous store's entry (or [uncond; cond] pair), in {@code type} on {@code device}. A
	 * converted array goes to {@code temps} (the caller closes it); else it is the store's own array (read it, do not keep it).
	 */
	NDArray storedInput(boolean fromFirst, int step, Branch branch, int layer, DataType type, Device device, List<NDArray> temps) {
		List<Branch> branches = branch == null ? BATCHED : List.of(branch);
		List<AttentionStore.Key> keys = new ArrayList<>(branches.size());
		for (Branch b : branches) keys.add(new AttentionStore.Key(step, b, layer));
		return gather(fromFirst ? first : previous, keys, type, device, temps);
	}

	/** Stores a call's layer input {@code x} in {@code store} as {@link #keyValueInput} would (a batched call's as one pair). */
	static void store(AttentionStore store, int step, Branch branch, int layer, NDArray x) {
		if (branch != null) store.put(new AttentionStore.Key(step, branch, layer), x);
		else store.putPair(step, layer, x);
	}

	/**
	 * The entries of {@code keys} in {@code type} on {@code device}: one entry, or for a batched call the store's
	 * {@code [uncond; cond]} pair (kept joined, so not concatenated per call). A converted array goes to {@code temps}
	 * (the caller closes it); one needing no conversion is the store's own array.
	 */
	private static NDArray gather(AttentionStore store, List<AttentionStore.Key> keys, DataType type, Device device, List<NDArray> temps) {
		AttentionStore.Key k = keys.get(0);
		NDArray e = keys.size() == 1 ? store.get(k) : store.pair(k.step(), k.layer());
		if (e == null)
			throw new IllegalStateException("No stored attention input for " + (keys.size() == 1 ? k : keys)
				+ " (the anchor state does not cover this step/layer)");
		NDArray c = Precision.to(e, type, device); // F16 over the bus from a host store
		if (c != e) temps.add(c);
		return c;
	}
}
