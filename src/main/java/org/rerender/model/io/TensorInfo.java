package org.rerender.model.io;

import java.util.Arrays;

/** Name, element type and shape of one stored tensor (no data). */
public record TensorInfo(String name, TensorDType dtype, long[] shape) {

	public long numel() {
		long n = 1;
		for (long d : shape) n *= d;
		return n;
	}

	public long byteSize() {
		return numel() * dtype.bytes();
	}

	public String shapeString() {
		return Arrays.toString(shape);
	}
}
