package org.rerender.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.rerender.engine.Djl;
import org.rerender.model.nn.TorchExtCudaMemory;

/**
 * Loaded components by name, each stored with the key that determines it (its files' stamps, device, dtype, ...).
 * {@link #get} returns the stored component while the key is equal and otherwise frees the old one (its manager and
 * the files it opened) and loads the new one: a reload touches only what changed. Not thread-safe (the owner
 * synchronizes), except {@link #remember}.
 */
public final class ComponentCache implements AutoCloseable {

	/** What a loader gets: a weights manager of its own and a list of things to close with the component. */
	public static final class Scope implements AutoCloseable {
		private final Device device;
		private NDManager manager;
		private final List<AutoCloseable> resources = new ArrayList<>();

		Scope(Device device) {
			this.device = device;
		}

		/** The component's own weights manager on the device (created on first use, closed with the component). */
		public NDManager manager() {
			if (manager == null) manager = Djl.newManager(device);
			return manager;
		}

		/** Closes {@code r} with the component, after its manager (weights may map opened files). */
		public <T extends AutoCloseable> T own(T r) {
			resources.add(r);
			return r;
		}

		@Override
		public void close() {
			if (manager != null) manager.close();
			for (int i = resources.size() - 1; i >= 0; i--) {
				try {
					resources.get(i).close();
				}
				catch (Exception ignored) {
					// closing a read-only file; nothing to recover
				}
			}
		}
	}

	/** Loads one component into a fresh scope. */
	@FunctionalInterface
	public interface Loader<T> {
		T load(Scope scope);
	}

	private record Entry(Object key, Object value, Scope scope) {}

	private record Memo(Object key, Object value) {}

	private final Map<String, Entry> entries = new LinkedHashMap<>();
	private final AtomicReference<Memo> memo = new AtomicReference<>();

	/**
	 * The component {@code name} for {@code key}: the stored one when its key equals {@code key}, else the old one is
	 * freed first (it is of no use any more) and {@code loader} loads the new one on {@code device}.
	 */
	@SuppressWarnings("unchecked")
	public <T> T get(String name, Object key, Device device, Loader<T> loader) {
		Objects.requireNonNull(key, "key");
		Entry e = entries.get(name);
		if (e != null && e.key().equals(key)) return (T) e.value();
		drop(name); // no releaseCached: the allocator reuses the freed blocks for the replacement
		Scope scope = new Scope(device);
		try {
			T value = Objects.requireNonNull(loader.load(scope), name);
			entries.put(name, new Entry(key, value, scope));
			return value;
		}
		catch (RuntimeException | Error ex) {
			scope.close();
			TorchExtCudaMemory.releaseCached(device); // after a failed (e.g. out-of-memory) load, leave the GPU free
			throw ex;
		}
	}

	/**
	 * The value that {@code compute} gave for the last {@code key} when {@code key} equals it, else {@code compute}'s
	 * new value, remembered in its place (one value at a time: what the keys of the loaded set were derived from, such
	 * as what the model files' headers say). Not remembered when {@code compute} throws. Thread-safe.
	 */
	@SuppressWarnings("unchecked")
	public <T> T remember(Object key, Supplier<T> compute) {
		Objects.requireNonNull(key, "key");
		Memo m = memo.get();
		if (m != null && m.key().equals(key)) return (T) m.value();
		T value = Objects.requireNonNull(compute.get(), "value");
		memo.set(new Memo(key, value));
		return value;
	}

	/** Frees every component whose name is not in {@code keep}; the freed GPU memory goes back to the driver once. */
	public void retainOnly(Collection<String> keep) {
		Set<Device> freed = new java.util.HashSet<>();
		for (String name : List.copyOf(entries.keySet()))
			if (!keep.contains(name)) {
				Device d = drop(name);
				if (d != null) freed.add(d);
			}
		freed.forEach(TorchExtCudaMemory::releaseCached);
	}

	/** Frees the component {@code name} when loaded, and gives its GPU memory back to the driver. */
	public void free(String name) {
		Device d = drop(name);
		if (d != null) TorchExtCudaMemory.releaseCached(d);
	}

	/**
	 * Closes the component {@code name}; returns its device, or null when it was not loaded. libtorch's caching allocator
	 * keeps the freed blocks reserved for this process until {@code releaseCached} (callers decide when: once per batch).
	 */
	private Device drop(String name) {
		Entry e = entries.remove(name);
		if (e == null) return null;
		e.scope().close();
		return e.scope().device;
	}

	/** The names of the loaded components, in the order they were (re)loaded. */
	public Set<String> names() {
		return java.util.Collections.unmodifiableSet(new java.util.LinkedHashSet<>(entries.keySet()));
	}

	/** The key a component was loaded for, or null. */
	public Object key(String name) {
		Entry e = entries.get(name);
		return e == null ? null : e.key();
	}

	/** The weights manager of a loaded component, or null (for tests and diagnostics). */
	NDManager manager(String name) {
		Entry e = entries.get(name);
		return e == null ? null : e.scope().manager;
	}

	public boolean isEmpty() {
		return entries.isEmpty();
	}

	/** Frees every component. */
	public void clear() {
		retainOnly(Set.of());
	}

	@Override
	public void close() {
		clear();
	}

	/** What identifies a file's content cheaply: absolute path, size and modification time; null for null. */
	public static FileStamp stamp(Path p) {
		return p == null ? null : FileStamp.of(p);
	}

	/** See {@link #stamp}. */
	public record FileStamp(Path path, long size, long modified) {
		static FileStamp of(Path p) {
			Path abs = p.toAbsolutePath().normalize();
			java.io.File f = abs.toFile();
			return new FileStamp(abs, f.length(), f.lastModified());
		}
	}
}
