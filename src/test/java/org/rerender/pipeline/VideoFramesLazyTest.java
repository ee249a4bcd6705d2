package org.rerender.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.image.Rgb8Image;
import org.rerender.work.WorkFolder;
import org.rerender.work.WorkStep;

/** The output video and its report read the work folder's frames one at a time (the clip is never all in memory). */
class VideoFramesLazyTest {

	private static Rgb8Image solid(int v) {
		Rgb8Image im = new Rgb8Image(8, 6);
		java.util.Arrays.fill(im.data(), (byte) v);
		return im;
	}

	@Test
	void framesAreDecodedWhenAskedForAndNotKept(@TempDir Path dir) {
		WorkFolder w = WorkFolder.open(dir, null, Map.of());
		WorkStep frames = w.step(WorkFolder.FRAMES, Map.of(), false), keys = w.step(WorkFolder.KEYS, Map.of(), false, frames),
			prop = w.step(WorkFolder.PROPAGATED, Map.of(), false, keys);
		keys.writePng(0, solid(100));
		for (int i = 0; i < 4; i++) frames.writePng(i, solid(i));
		for (int i = 1; i < 4; i++) prop.writePng(i, solid(10 + i));
		List<Rgb8Image> out = RerenderJob.outputFrames(keys, prop, 4), in = RerenderJob.inputFrames(frames, 4);
		assertEquals(4, out.size());
		assertEquals(4, in.size());
		// nothing was read when the lists were made: a frame written afterwards is what get returns
		prop.writePng(2, solid(77));
		frames.writePng(3, solid(88));
		assertArrayEquals(solid(100).data(), out.get(0).data(), "frame 0 is the first key frame");
		assertArrayEquals(solid(77).data(), out.get(2).data());
		assertArrayEquals(solid(88).data(), in.get(3).data());
		assertNotSame(out.get(1), out.get(1), "decoded again on each get, none kept");
	}
}
