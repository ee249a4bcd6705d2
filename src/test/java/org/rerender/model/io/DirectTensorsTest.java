package org.rerender.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;

/**
 * Arrays made over direct tensor bytes keep those bytes alive as long as their manager, not only as long as the first
 * array: a second handle over the same storage (here a reshape; in the networks a 1×1 convolution weight made
 * channels-last) outlived the first one's close, and the garbage collector then freed (for a mapped file: unmapped) the
 * memory it still read — a crash inside the next convolution.
 */
class DirectTensorsTest {
	private static final float[] VALUES = {1, 2, 3, 4, 5, 6};

	@Test
	void theBytesOutliveTheFirstArrayWhileItsManagerIsOpen() throws Exception {
		try (NDManager m = Djl.newCpuManager()) {
			WeakReference<ByteBuffer> bytes = new WeakReference<>(directFloats());
			NDArray first = DirectTensors.create(m, bytes.get(), new Shape(2, 3), DataType.FLOAT32);
			NDArray alias = first.reshape(3, 2); // the same storage, another handle
			first.close();
			collectGarbage(bytes, 5);
			assertNotNull(bytes.get(), "the tensor bytes were freed while an array of the open manager still reads them");
			assertArrayEquals(VALUES, alias.toFloatArray());
		}
	}

	@Test
	void closingTheManagerReleasesTheBytes() throws Exception {
		WeakReference<ByteBuffer> bytes;
		try (NDManager m = Djl.newCpuManager()) {
			bytes = new WeakReference<>(directFloats());
			DirectTensors.create(m, bytes.get(), new Shape(6), DataType.FLOAT32).close();
		}
		collectGarbage(bytes, 50);
		assertNull(bytes.get(), "the manager kept the tensor bytes after it closed");
	}

	private static ByteBuffer directFloats() {
		ByteBuffer b = ByteBuffer.allocateDirect(4 * VALUES.length).order(ByteOrder.LITTLE_ENDIAN);
		for (float v : VALUES) b.putFloat(v);
		return b.flip();
	}

	/** Full collections until {@code ref} is cleared or {@code rounds} are done. */
	private static void collectGarbage(WeakReference<?> ref, int rounds) throws InterruptedException {
		for (int i = 0; i < rounds && ref.get() != null; i++) {
			System.gc();
			Thread.sleep(20);
		}
	}
}
