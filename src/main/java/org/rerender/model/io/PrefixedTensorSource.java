package org.rerender.model.io;

import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A view of a {@link TensorSource} restricted to one key prefix (e.g. {@code control_model.}). */
final class PrefixedTensorSource implements TensorSource {
	private final TensorSource base;
	private final String prefix;
	private final Map<String, TensorInfo> tensors;

	PrefixedTensorSource(TensorSource base, String prefix) {
		this.base = base;
		this.prefix = prefix;
		Map<String, TensorInfo> m = new LinkedHashMap<>();
		base.tensors().forEach((k, v) -> {
			if (k.startsWith(prefix)) {
				String shortName = k.substring(prefix.length());
				m.put(shortName, new TensorInfo(shortName, v.dtype(), v.shape()));
			}
		});
		this.tensors = Collections.unmodifiableMap(m);
	}

	@Override
	public Map<String, TensorInfo> tensors() {
		return tensors;
	}

	@Override
	public ByteBuffer rawData(String name) {
		return base.rawData(prefix + name);
	}

	/** Closing a view does not close the underlying file. */
	@Override
	public void close() {}
}
