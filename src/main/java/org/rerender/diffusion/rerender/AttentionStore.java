package org.rerender.diffusion.rerender;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.SafetensorsWriter;
import org.rerender.model.io.TensorDType;
import org.rerender.model.nn.Precision;
import org.rerender.model.nn.StepGraph;
import org.rerender.model.unet.Branch;

/**
 * Decoder self-attention inputs ({@code norm1(x)}, {@code [1, tokens, channels]}) keyed by (step, branch, layer),
 * not by call order, in a manager of its own. Entries are stored as {@code storage} (F16 on a GPU, F32 on the
 * CPU) and widened back to the compute type when read. Only what {@link #put} was given is held: the recorder
 * decides which steps and layers are worth keeping.
 * <p>For CFG-batched calls the two branches of a (step, layer) can be held as one {@code [uncond; cond]} array
 * ({@link #putPair}, {@link #pair}) whose halves are the branches' entries (views, no second copy): a batched call then
 * reads its keys/values input without concatenating the branches at every layer of every step.
 */
public final class AttentionStore implements AutoCloseable {
	/** One entry's identity. {@code layer} is {@link org.rerender.model.unet.SelfAttentionSite#layer()}. */
	public record Key(int step, Branch branch, int layer) implements Comparable<Key> {
		@Override
		public int compareTo(Key o) {
			int c = Integer.compare(step, o.step);
			if (c == 0) c = branch.compareTo(o.branch);
			return c != 0 ? c : Integer.compare(layer, o.layer);
		}
	}

	/** What {@link StepGraph#checkOutsideBody} names: a recorded key-frame step reads and writes copies, not the store. */
	private static final String STORE = "the cross-frame attention store";

	private final NDManager manager;
	private final DataType storage;
	private final Map<Key, NDArray> entries = new TreeMap<>();
	/** (step, layer) → the [uncond; cond] array whose halves are that step's and layer's two entries. */
	private final Map<Long, NDArray> pairs = new HashMap<>();

	/** @param parent the store gets a sub-manager of it, on its device; @param storage F16 or F32 */
	public AttentionStore(NDManager parent, DataType storage) {
		this(parent, storage, parent.getDevice());
	}

	/**
	 * @param where the device the entries live on: the compute device, or the CPU to keep a GPU's memory free (each
	 *     entry then crosses the bus once when stored and once per read; {@link CrossFrameAttention} moves it back)
	 */
	public AttentionStore(NDManager parent, DataType storage, Device where) {
		this.manager = parent.newSubManager(where);
		this.storage = storage;
	}

	public DataType storage() {
		return storage;
	}

	/** The device the entries live on. */
	public Device device() {
		return manager.getDevice();
	}

	/** Stores a copy of {@code value} (the caller's array is not kept), replacing and freeing an older entry. */
	public void put(Key key, NDArray value) {
		StepGraph.checkOutsideBody(STORE);
		NDArray p = pairs.remove(pairKey(key.step(), key.layer()));
		if (p != null) { // the other branch's entry, a view of the pair, would keep the whole pair alive: give it its own copy
			Key other = new Key(key.step(), key.branch() == Branch.COND ? Branch.UNCOND : Branch.COND, key.layer());
			NDArray half = entries.get(other);
			if (half != null) {
				NDArray own = half.duplicate();
				own.attach(manager);
				replace(other, own);
			}
			p.close();
		}
		replace(key, stored(value));
	}

	/** {@code value} in the store's type, device and manager, never the caller's array itself. */
	private NDArray stored(NDArray value) {
		NDArray moved = Precision.to(value, storage, manager.getDevice()); // F16 over the bus to a host store
		NDArray copy = moved == value ? value.duplicate() : moved;
		copy.attach(manager);
		return copy;
	}

	private void replace(Key key, NDArray value) {
		NDArray old = entries.put(key, value);
		if (old != null && old != value) old.close();
	}

	private static long pairKey(int step, int layer) {
		return ((long) step << 32) | (layer & 0xffffffffL);
	}

	/** Forgets the pair of (step, layer) (its halves stay valid as the entries: they hold the storage too). */
	private void unpair(int step, int layer) {
		NDArray p = pairs.remove(pairKey(step, layer));
		if (p != null) p.close();
	}

	/**
	 * Stores a copy of a CFG-batched input {@code both} ({@code [2B, tokens, channels]}, uncond half first) as one array:
	 * its halves become the entries (step, UNCOND, layer) and (step, COND, layer), replacing older ones.
	 */
	public void putPair(int step, int layer, NDArray both) {
		StepGraph.checkOutsideBody(STORE);
		long n = both.getShape().get(0);
		if (n % 2 != 0) throw new IllegalStateException("a batched call of " + n + " does not split into two branches");
		unpair(step, layer);
		NDArray copy = stored(both);
		halves(step, layer, copy);
	}

	/** Makes {@code pair}'s halves the entries of (step, layer) and keeps it as their pair. */
	private void halves(int step, int layer, NDArray pair) {
		long per = pair.getShape().get(0) / 2;
		NDArray u = pair.get(new NDIndex("0:{}", per)), c = pair.get(new NDIndex("{}:", per));
		u.attach(manager);
		c.attach(manager);
		replace(new Key(step, Branch.UNCOND, layer), u);
		replace(new Key(step, Branch.COND, layer), c);
		pairs.put(pairKey(step, layer), pair);
	}

	/**
	 * The entries (step, UNCOND, layer) and (step, COND, layer) as one {@code [uncond; cond]} array (owned by the store; do
	 * not close), or null when either is missing. Entries stored one by one ({@link #put}, a loaded or separately recorded
	 * store) are joined here once, the first time, and the joined array replaces them (the same values, held once).
	 */
	public NDArray pair(int step, int layer) {
		StepGraph.checkOutsideBody(STORE);
		NDArray p = pairs.get(pairKey(step, layer));
		if (p != null) return p;
		NDArray u = entries.get(new Key(step, Branch.UNCOND, layer)), c = entries.get(new Key(step, Branch.COND, layer));
		if (u == null || c == null) return null;
		p = NDArrays.concat(new NDList(u, c), 0);
		p.attach(manager);
		halves(step, layer, p);
		return p;
	}

	/** The stored entry (owned by the store; do not close), or null. */
	public NDArray get(Key key) {
		StepGraph.checkOutsideBody(STORE);
		return entries.get(key);
	}

	public boolean contains(Key key) {
		return entries.containsKey(key);
	}

	/** All entries in (step, branch, layer) order (a read-only view). */
	public Map<Key, NDArray> entries() {
		StepGraph.checkOutsideBody(STORE);
		return Collections.unmodifiableMap(entries);
	}

	public int size() {
		return entries.size();
	}

	/**
	 * Bytes held by the stored arrays (a pair's halves share its storage: counted once; a pair is only ever kept while
	 * both its halves are entries, so this is the memory held).
	 */
	public long bytes() {
		long n = 0;
		for (NDArray a : entries.values()) n += a.getShape().size() * a.getDataType().getNumOfBytes();
		return n;
	}

	/** A deep copy in a new sub-manager of {@code parent}, on this store's device (pairs copied as pairs). */
	public AttentionStore copy(NDManager parent) {
		AttentionStore c = new AttentionStore(parent, storage, device());
		pairs.forEach((k, p) -> c.putPair((int) (k >> 32), (int) (long) k, p));
		entries.forEach((k, v) -> {
			if (!c.contains(k)) c.put(k, v);
		});
		return c;
	}

	/** Adds every entry to {@code w} as {@code PREFIX.SSS.cond|uncond.LL} (F16 or F32 as stored). */
	void writeTo(SafetensorsWriter w, String prefix) {
		for (Map.Entry<Key, NDArray> e : entries.entrySet()) {
			Key k = e.getKey();
			NDArray a = e.getValue();
			String name = String.format("%s.%03d.%s.%02d", prefix, k.step(), k.branch().name().toLowerCase(), k.layer());
			long[] shape = a.getShape().getShape();
			if (a.getDataType() == DataType.FLOAT16) {
				ByteBuffer b = a.toByteBuffer();
				byte[] out = new byte[b.remaining()];
				b.get(out);
				w.add(name, TensorDType.F16, shape, out);
			}
			else w.addF32(name, shape, a.toType(DataType.FLOAT32, false).toFloatArray());
		}
	}

	/** Reads the entries {@link #writeTo} wrote under {@code prefix}. */
	void readFrom(SafetensorsFile f, String prefix) {
		for (String n : new ArrayList<>(f.tensors().keySet())) {
			if (!n.startsWith(prefix + ".")) continue;
			String[] p = n.substring(prefix.length() + 1).split("\\.");
			Key k = new Key(Integer.parseInt(p[0]), Branch.valueOf(p[1].toUpperCase()), Integer.parseInt(p[2]));
			try (NDManager tmp = manager.newSubManager()) {
				put(k, f.toNDArray(tmp, n, null));
			}
		}
	}

	@Override
	public void close() {
		entries.clear();
		pairs.clear();
		manager.close();
	}
}
