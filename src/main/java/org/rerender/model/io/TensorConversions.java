package org.rerender.model.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.rerender.engine.RerenderException;

/** Element-type conversions for raw little-endian tensor bytes. */
final class TensorConversions {

	private TensorConversions() {}

	static float[] toFloats(TensorInfo info, ByteBuffer raw) {
		ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
		long n = info.numel();
		if (n > Integer.MAX_VALUE) throw new RerenderException("Tensor '" + info.name() + "' is too large for a Java array");
		float[] out = new float[(int) n];
		switch (info.dtype()) {
			case F32 -> b.asFloatBuffer().get(out);
			case F16 -> {
				for (int i = 0; i < out.length; i++) out[i] = halfToFloat(b.getShort(2 * i));
			}
			case BF16 -> {
				for (int i = 0; i < out.length; i++) out[i] = Float.intBitsToFloat((b.getShort(2 * i) & 0xffff) << 16);
			}
			case F64 -> {
				for (int i = 0; i < out.length; i++) out[i] = (float) b.getDouble(8 * i);
			}
			default -> {
				int[] ints = toInts(info, raw);
				for (int i = 0; i < out.length; i++) out[i] = ints[i];
			}
		}
		return out;
	}

	static int[] toInts(TensorInfo info, ByteBuffer raw) {
		ByteBuffer b = raw.duplicate().order(ByteOrder.LITTLE_ENDIAN);
		int n = Math.toIntExact(info.numel());
		int[] out = new int[n];
		switch (info.dtype()) {
			case I32 -> b.asIntBuffer().get(out);
			case I64 -> {
				for (int i = 0; i < n; i++) out[i] = Math.toIntExact(b.getLong(8 * i));
			}
			case I16 -> {
				for (int i = 0; i < n; i++) out[i] = b.getShort(2 * i);
			}
			case I8 -> {
				for (int i = 0; i < n; i++) out[i] = b.get(i);
			}
			case U8, BOOL -> {
				for (int i = 0; i < n; i++) out[i] = b.get(i) & 0xff;
			}
			default -> throw new RerenderException("Tensor '" + info.name() + "' is " + info.dtype() + ", not an integer type");
		}
		return out;
	}

	/** IEEE 754 binary16 to binary32 (Java 17 has no Float.float16ToFloat). */
	static float halfToFloat(short h) {
		int bits = h & 0xffff;
		int sign = (bits & 0x8000) << 16;
		int exp = (bits >>> 10) & 0x1f;
		int mant = bits & 0x3ff;
		if (exp == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
		if (exp == 0) {
			if (mant == 0) return Float.intBitsToFloat(sign);
			float v = mant * 0x1p-24f; // subnormal: mant * 2^-24
			return sign != 0 ? -v : v;
		}
		return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
	}

	/** A direct little-endian copy, as the engine needs for zero-conversion creation. */
	static ByteBuffer direct(ByteBuffer raw) {
		ByteBuffer src = raw.duplicate();
		if (src.isDirect()) return src.order(ByteOrder.LITTLE_ENDIAN);
		ByteBuffer d = ByteBuffer.allocateDirect(src.remaining()).order(ByteOrder.LITTLE_ENDIAN);
		d.put(src).flip();
		return d;
	}
}
