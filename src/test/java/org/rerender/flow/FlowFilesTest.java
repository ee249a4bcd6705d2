package org.rerender.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

class FlowFilesTest {
	@TempDir
	Path dir;

	@Test
	void floRoundTripAndLayout() throws Exception {
		FlowField f = FlowField.zeros(3, 2);
		f.set(2, 1, 1.5f, -7.25f);
		Path p = dir.resolve("sub dir/ünï.flo");
		FlowFiles.writeFlo(p, f);
		byte[] raw = Files.readAllBytes(p);
		assertEquals(12 + 8 * 6, raw.length);
		assertEquals("PIEH", new String(raw, 0, 4, java.nio.charset.StandardCharsets.US_ASCII));
		ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
		assertEquals(3, b.getInt(4));
		assertEquals(2, b.getInt(8));
		assertEquals(-7.25f, b.getFloat(12 + 4 * 11));
		assertArrayEquals(f.data(), FlowFiles.readFlo(p).data());
		try (var s = Files.list(p.getParent())) {
			assertEquals(1, s.count(), "no temporary file left");
		}
		Files.write(dir.resolve("bad.flo"), new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 });
		assertThrows(RerenderException.class, () -> FlowFiles.readFlo(dir.resolve("bad.flo")));
		Files.write(dir.resolve("short.flo"), java.util.Arrays.copyOf(raw, 30));
		assertThrows(RerenderException.class, () -> FlowFiles.readFlo(dir.resolve("short.flo")));
	}

	@Test
	void maskPngIs0Or255() {
		FloatImage m = new FloatImage(4, 3, 1);
		m.set(1, 2, 0, 1f);
		Path p = dir.resolve("m.png");
		FlowFiles.writeMaskPng(p, m);
		assertArrayEquals(m.data(), FlowFiles.readMaskPng(p).data());
	}

	@Test
	void sequenceComputesEveryPairOnceAndHonoursDoneAndCancel() {
		java.util.Random r = new java.util.Random(3);
		List<Rgb8Image> frames = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			Rgb8Image im = new Rgb8Image(32, 24);
			r.nextBytes(im.data());
			frames.add(im);
		}
		List<Integer> got = new ArrayList<>();
		List<Integer> fetched = new ArrayList<>();
		try (FlowEstimator dis = FlowEstimators.create(FlowMethod.DIS)) {
			FlowSequence.run(dis, i -> {
				fetched.add(i);
				return frames.get(i);
			}, 4, i -> i == 1, p -> {
				got.add(p.index());
				assertEquals(32, p.forwardOcclusion().width());
			}, Progress.NONE, Cancel.NEVER);
			assertEquals(List.of(0, 2), got);
			assertEquals(List.of(0, 1, 2, 3), fetched, "each frame decoded once when pairs are consecutive");
			Cancel c = new Cancel();
			c.request();
			assertThrows(CancelledException.class, () -> FlowSequence.run(dis, frames::get, 4, null, p -> {}, Progress.NONE, c));
		}
	}
}
