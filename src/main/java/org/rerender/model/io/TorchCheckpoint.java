package org.rerender.model.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.SafeUnpickler.StorageRef;
import org.rerender.model.io.SafeUnpickler.TensorRef;

/**
 * Reader for PyTorch {@code .ckpt}/{@code .pth} files written by {@code torch.save} (PyTorch 1.6 and later):
 * a zip archive holding {@code <name>/data.pkl} (the pickled object) and one raw little-endian storage
 * per {@code <name>/data/<key>} record.
 *
 * <p><b>Safety.</b> The pickle is read by {@link SafeUnpickler}, which only builds dictionaries, lists,
 * tuples, strings, numbers and tensor references, and refuses any other global (naming it) instead of
 * executing it. <b>Memory.</b> Storages are memory-mapped straight out of the archive (torch stores them
 * uncompressed); a tensor's bytes are read only when asked for, so multi-GB checkpoints open in
 * milliseconds. A strided or offset view (a tensor sharing a larger storage) is materialised contiguously
 * on read.
 *
 * <p><b>Names.</b> Nested dictionaries are flattened with dots: {@code {'model': {'conv.weight': t}}} gives
 * {@code model.conv.weight}. {@link #entry(String)} returns the view below one top-level key (for example
 * {@code entry("model")} for GMFlow files, {@code entry("state_dict")} for SD {@code .ckpt} files), and
 * {@link #stateDict()} picks that wrapper automatically. Values that are not tensors (epochs, step counters)
 * are ignored.
 */
public final class TorchCheckpoint implements TensorSource {

	/** The opened archive, shared by this checkpoint and its entry views. */
	private record Archive(Path path, FileChannel channel, ZipIndex zip, String recordPrefix) {}

	private record Entry(TensorInfo info, TensorRef ref, ZipIndex.Member member) {}

	private final Archive archive;
	private final Map<Object, Object> root;
	private final Map<String, Entry> entries;
	private final Map<String, TensorInfo> infos;
	private final boolean owner;

	private TorchCheckpoint(Archive archive, Map<Object, Object> root, boolean owner) {
		this.archive = archive;
		this.root = root;
		this.owner = owner;
		Map<String, Entry> e = new LinkedHashMap<>();
		collect(root, "", e, 0);
		this.entries = Collections.unmodifiableMap(e);
		Map<String, TensorInfo> i = new LinkedHashMap<>();
		e.forEach((k, v) -> i.put(k, v.info()));
		this.infos = Collections.unmodifiableMap(i);
	}

	/** Opens a checkpoint and reads its pickle; tensor data stay on disk until read. */
	public static TorchCheckpoint open(Path path) {
		FileChannel ch = ReadChannels.open(path);
		try {
			ZipIndex zip;
			try {
				zip = ZipIndex.read(ch);
			}
			catch (IOException e) {
				throw bad(path, e.getMessage());
			}
			String pkl = null;
			for (String name : zip.members().keySet()) {
				if (name.equals("data.pkl") || (name.endsWith("/data.pkl") && name.indexOf('/') == name.length() - 9)) {
					if (pkl != null) throw bad(path, "the archive holds more than one data.pkl");
					pkl = name;
				}
			}
			if (pkl == null) throw bad(path, "the archive holds no data.pkl (not a torch.save file)");
			String prefix = pkl.substring(0, pkl.length() - "data.pkl".length());
			ZipIndex.Member order = zip.members().get(prefix + "byteorder");
			if (order != null) {
				String bo = new String(zip.readAll(order), StandardCharsets.US_ASCII).trim();
				if (!bo.equals("little")) throw bad(path, "tensors are stored " + bo + "-endian; only little-endian is supported");
			}
			byte[] pickle = zip.readAll(zip.members().get(pkl));
			Object obj;
			try {
				obj = SafeUnpickler.load(pickle);
			}
			catch (SafeUnpickler.PickleRefusedException e) {
				throw new RerenderException("Refusing to load " + path.getFileName() + ": " + e.getMessage()
					+ ". Only plain weight files are accepted; convert this file to .safetensors with a trusted tool.");
			}
			if (!(obj instanceof Map<?, ?> m))
				throw bad(path, "the pickle holds " + SafeUnpickler.describe(obj) + ", not a dictionary of tensors");
			@SuppressWarnings("unchecked")
			Map<Object, Object> root = (Map<Object, Object>) m;
			return new TorchCheckpoint(new Archive(path, ch, zip, prefix), root, true);
		}
		catch (IOException e) {
			closeQuietly(ch);
			throw new RerenderException("Cannot read " + path + ": " + e.getMessage(), e);
		}
		catch (RuntimeException e) {
			closeQuietly(ch);
			throw e;
		}
	}

	private static RerenderException bad(Path path, String why) {
		return new RerenderException("Not a valid PyTorch checkpoint: " + path.getFileName() + " (" + why + ")");
	}

	/** Nesting deeper than this is refused (it also stops a self-referencing dictionary). */
	private static final int MAX_DEPTH = 32;

	private void collect(Map<Object, Object> node, String prefix, Map<String, Entry> out, int depth) {
		if (depth > MAX_DEPTH) throw bad(archive.path(), "dictionaries nested more than " + MAX_DEPTH + " deep (cyclic?)");
		for (Map.Entry<Object, Object> e : node.entrySet()) {
			if (!(e.getKey() instanceof String key)) continue;
			String name = prefix + key;
			if (e.getValue() instanceof TensorRef t) out.put(name, resolve(name, t));
			else if (e.getValue() instanceof Map<?, ?> sub) {
				@SuppressWarnings("unchecked")
				Map<Object, Object> s = (Map<Object, Object>) sub;
				collect(s, name + ".", out, depth + 1);
			}
		}
	}

	private Entry resolve(String name, TensorRef t) {
		StorageRef s = t.storage();
		ZipIndex.Member m = archive.zip().members().get(archive.recordPrefix() + "data/" + s.key());
		if (m == null) throw bad(archive.path(), "tensor '" + name + "' refers to a missing storage record " + s.key());
		long elem = s.dtype().bytes();
		if (s.numel() * elem > m.size())
			throw bad(archive.path(), "storage " + s.key() + " of tensor '" + name + "' is shorter than declared (truncated?)");
		long numel = 1, last = t.offset();
		for (int i = 0; i < t.shape().length; i++) {
			numel *= t.shape()[i];
			if (t.shape()[i] > 0) last += (t.shape()[i] - 1) * t.stride()[i];
		}
		if (numel > 0 && (last + 1) * elem > m.size())
			throw bad(archive.path(), "tensor '" + name + "' reaches past the end of its storage");
		return new Entry(new TensorInfo(name, s.dtype(), t.shape().clone()), t, m);
	}

	/** The checkpoint's file. */
	public Path path() {
		return archive.path();
	}

	/** The keys of this level of the pickled dictionary (tensor names and wrappers such as {@code state_dict}). */
	public List<String> topLevelKeys() {
		List<String> r = new ArrayList<>();
		for (Object k : root.keySet()) if (k instanceof String s) r.add(s);
		return r;
	}

	/**
	 * The dictionary stored under {@code key} (e.g. {@code "model"}, {@code "state_dict"}) as its own source.
	 * The view shares this checkpoint's file: keep this checkpoint open while using it.
	 */
	public TorchCheckpoint entry(String key) {
		Object v = root.get(key);
		if (!(v instanceof Map<?, ?> m))
			throw new RerenderException("Checkpoint " + archive.path().getFileName() + " has no dictionary '" + key
				+ "' (top-level keys: " + topLevelKeys() + ")");
		@SuppressWarnings("unchecked")
		Map<Object, Object> sub = (Map<Object, Object>) m;
		return new TorchCheckpoint(archive, sub, false);
	}

	/**
	 * The weights dictionary: {@code state_dict} if present (Lightning/SD {@code .ckpt}); else, when this level
	 * holds no tensors itself, its only dictionary of tensors or the one named {@code model} (GMFlow's
	 * {@code {'model': …, 'optimizer': …}}); else this.
	 * The returned source takes over closing the file when called on the result of {@link #open}.
	 */
	public TorchCheckpoint stateDict() {
		String key = null;
		if (root.get("state_dict") instanceof Map) key = "state_dict";
		else {
			boolean direct = false;
			List<String> dicts = new ArrayList<>();
			for (Map.Entry<Object, Object> e : root.entrySet()) {
				if (e.getValue() instanceof TensorRef) direct = true;
				else if (e.getKey() instanceof String k && e.getValue() instanceof Map<?, ?> && hasTensors(e.getValue(), 0))
					dicts.add(k);
			}
			if (!direct && dicts.size() == 1) key = dicts.get(0);
			else if (!direct && dicts.contains("model")) key = "model"; // e.g. {'model': …, 'optimizer': …}
		}
		if (key == null) return this;
		TorchCheckpoint view = entry(key);
		return new TorchCheckpoint(archive, view.root, owner);
	}

	private static boolean hasTensors(Object o, int depth) {
		if (o instanceof TensorRef) return true;
		if (depth < MAX_DEPTH && o instanceof Map<?, ?> m) for (Object v : m.values()) if (hasTensors(v, depth + 1)) return true;
		return false;
	}

	@Override
	public Map<String, TensorInfo> tensors() {
		return infos;
	}

	@Override
	public ByteBuffer rawData(String name) {
		Entry e = entries.get(name);
		if (e == null) throw new RerenderException("Tensor '" + name + "' is not in " + archive.path().getFileName());
		TensorRef t = e.ref();
		int elem = e.info().dtype().bytes();
		long[] shape = t.shape(), stride = t.stride();
		long numel = e.info().numel();
		try {
			if (numel == 0) return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
			if (isContiguous(shape, stride)) return archive.zip().map(e.member(), t.offset() * elem, numel * elem);
			// A strided view: map the span it touches and gather it in row-major order.
			long last = t.offset();
			for (int i = 0; i < shape.length; i++) last += (shape[i] - 1) * stride[i];
			ByteBuffer src = archive.zip().map(e.member(), t.offset() * elem, (last - t.offset() + 1) * elem);
			if (numel * elem > Integer.MAX_VALUE) throw new RerenderException("Tensor '" + name + "' is too large");
			ByteBuffer dst = ByteBuffer.allocateDirect((int) (numel * elem)).order(ByteOrder.LITTLE_ENDIAN);
			long[] idx = new long[shape.length];
			byte[] one = new byte[elem];
			for (long n = 0; n < numel; n++) {
				long off = 0;
				for (int d = 0; d < shape.length; d++) off += idx[d] * stride[d];
				src.get((int) (off * elem), one);
				dst.put(one);
				for (int d = shape.length - 1; d >= 0; d--) {
					if (++idx[d] < shape[d]) break;
					idx[d] = 0;
				}
			}
			dst.flip();
			return dst;
		}
		catch (IOException ex) {
			throw new RerenderException("Cannot read tensor '" + name + "' of " + archive.path() + ": " + ex.getMessage(), ex);
		}
	}

	/** Row-major contiguity, ignoring the strides of dimensions of size 1. */
	static boolean isContiguous(long[] shape, long[] stride) {
		long expect = 1;
		for (int i = shape.length - 1; i >= 0; i--) {
			if (shape[i] != 1 && stride[i] != expect) return false;
			expect *= shape[i];
		}
		return true;
	}

	@Override
	public void close() {
		if (owner) closeQuietly(archive.channel());
	}

	private static void closeQuietly(FileChannel ch) {
		try {
			ch.close();
		}
		catch (IOException ignored) {
			// nothing useful to do
		}
	}
}
