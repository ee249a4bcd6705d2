package org.rerender.pipeline;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;

/**
 * {@code over} loaded over {@code base}, like PyTorch's non-strict {@code load_state_dict}: every tensor of
 * {@code over} replaces the tensor of the same name (or adds it); the rest comes from {@code base}. A tensor whose
 * shape differs from the base's is refused with a clear message (PyTorch refuses it too). Closes neither source.
 */
final class OverlaySource implements TensorSource {
	private final TensorSource base, over;
	private final Map<String, TensorInfo> merged;

	OverlaySource(TensorSource base, TensorSource over, String overName) {
		this.base = base;
		this.over = over;
		Map<String, TensorInfo> m = new LinkedHashMap<>(base.tensors());
		for (Map.Entry<String, TensorInfo> e : over.tensors().entrySet()) {
			TensorInfo b = m.get(e.getKey());
			if (b != null && !Arrays.equals(b.shape(), e.getValue().shape()))
				throw new RerenderException(overName + ": tensor " + e.getKey() + " has shape "
					+ Arrays.toString(e.getValue().shape()) + " but the ControlNet checkpoint's is " + Arrays.toString(b.shape())
					+ "; is it a Stable Diffusion 1.5 model?");
			m.put(e.getKey(), e.getValue());
		}
		this.merged = Collections.unmodifiableMap(m);
	}

	@Override
	public Map<String, TensorInfo> tensors() {
		return merged;
	}

	@Override
	public ByteBuffer rawData(String name) {
		return over.contains(name) ? over.rawData(name) : base.rawData(name);
	}

	@Override
	public void close() {}
}
