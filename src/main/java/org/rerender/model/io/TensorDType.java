package org.rerender.model.io;

/** Element types found in checkpoint files, with their size in bytes. */
public enum TensorDType {
	F64(8), F32(4), F16(2), BF16(2), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

	private final int bytes;

	TensorDType(int bytes) {
		this.bytes = bytes;
	}

	public int bytes() {
		return bytes;
	}

	/** Parses a safetensors dtype name ("F32", "BF16", ...). */
	public static TensorDType fromSafetensors(String name) {
		try {
			return valueOf(name);
		}
		catch (IllegalArgumentException e) {
			throw new IllegalArgumentException("Unsupported tensor dtype '" + name + "'");
		}
	}
}
