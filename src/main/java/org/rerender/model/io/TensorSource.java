package org.rerender.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.util.Map;
import org.rerender.engine.RerenderException;

/**
 * A named collection of stored tensors: a safetensors file, a PyTorch {@code .ckpt/.pth}
 * archive, or a view of one of them under a key prefix. Readers expose raw little-endian
 * bytes; the default methods convert them to Java arrays or to engine tensors.
 */
public interface TensorSource extends AutoCloseable {

	/** Every tensor's name, type and shape, in file order. */
	Map<String, TensorInfo> tensors();

	/** The raw little-endian bytes of one tensor (a view; do not keep it past {@link #close()}). */
	ByteBuffer rawData(String name);

	@Override
	void close();

	default boolean contains(String name) {
		return tensors().containsKey(name);
	}

	default TensorInfo info(String name) {
		TensorInfo i = tensors().get(name);
		if (i == null) throw new RerenderException("Tensor '" + name + "' not found");
		return i;
	}

	/** The tensor as floats, whatever its stored type (BF16/F16/F64/ints are converted). */
	default float[] floats(String name) {
		return TensorConversions.toFloats(info(name), rawData(name));
	}

	/** The tensor as ints (I32/I64/I16/I8/U8/BOOL). */
	default int[] ints(String name) {
		return TensorConversions.toInts(info(name), rawData(name));
	}

	/** The raw bytes of a U8 tensor. */
	default byte[] bytes(String name) {
		TensorInfo i = info(name);
		if (i.dtype() != TensorDType.U8) throw new RerenderException("Tensor '" + name + "' is " + i.dtype() + ", not U8");
		ByteBuffer b = rawData(name);
		byte[] out = new byte[b.remaining()];
		b.get(out);
		return out;
	}

	/**
	 * The tensor as an engine array of type {@code target} (FLOAT32 or FLOAT16 for weights).
	 * BF16 is widened to F32 on load, because DJL's PyTorch engine aborts the JVM on BF16.
	 */
	default NDArray toNDArray(NDManager manager, String name, DataType target) {
		TensorInfo info = info(name);
		Shape shape = new Shape(info.shape());
		NDArray array;
		switch (info.dtype()) {
			case F32 -> array = DirectTensors.create(manager, rawData(name), shape, DataType.FLOAT32);
			case F16 -> array = DirectTensors.create(manager, rawData(name), shape, DataType.FLOAT16);
			case BF16, F64 -> array = manager.create(floats(name), shape);
			case I64 -> array = DirectTensors.create(manager, rawData(name), shape, DataType.INT64);
			case I32 -> array = DirectTensors.create(manager, rawData(name), shape, DataType.INT32);
			case U8 -> array = DirectTensors.create(manager, rawData(name), shape, DataType.UINT8);
			default -> array = manager.create(ints(name), shape);
		}
		if (target != null && array.getDataType() != target) {
			NDArray converted = array.toType(target, false);
			array.close();
			array = converted;
		}
		array.setName(name);
		return array;
	}

	/** A view of this source holding only keys that start with {@code prefix}, with the prefix removed. */
	default TensorSource withPrefix(String prefix) {
		return new PrefixedTensorSource(this, prefix);
	}
}
