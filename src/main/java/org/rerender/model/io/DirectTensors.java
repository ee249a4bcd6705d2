package org.rerender.model.io;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * Engine arrays made over direct (often memory-mapped) tensor bytes without a copy, with those bytes kept alive as long
 * as the array's manager.
 *
 * <p>Why: on the CPU, DJL's PyTorch engine wraps a direct buffer with {@code from_blob} (no copy) and only the Java
 * array it returns holds the buffer. Every other array over the same storage — a view (reshape, transpose), or a
 * layout conversion that finds nothing to convert, such as a 1×1 convolution weight made channels-last — is a separate
 * handle that does not. Once the first array is closed, a mapped buffer can be unmapped by the garbage collector (a
 * heap-allocated direct copy freed) while those handles still read it: a crash in the next convolution, or silently
 * wrong weights. So the buffer is also attached to the manager, which frees it when it closes.
 */
final class DirectTensors {

	private DirectTensors() {}

	/** {@code raw} as an array of {@code type} and {@code shape} in {@code manager}; no copy on the CPU. */
	static NDArray create(NDManager manager, ByteBuffer raw, Shape shape, DataType type) {
		ByteBuffer data = TensorConversions.direct(raw);
		NDArray array = manager.create(data, shape, type);
		// on another device the engine copied the bytes there: nothing aliases the buffer
		if (Device.Type.CPU.equals(manager.getDevice().getDeviceType())) manager.attachInternal("tensor-bytes-" + UUID.randomUUID(), new Pinned(data));
		return array;
	}

	/** Holds a buffer until its manager closes. */
	private static final class Pinned implements AutoCloseable {
		private ByteBuffer bytes;

		Pinned(ByteBuffer bytes) {
			this.bytes = bytes;
		}

		@Override
		public void close() {
			bytes = null;
		}
	}
}
