package org.rerender.propagate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.synth.SynthesisResult;
import org.rerender.work.AtomicFiles;

/** Work-folder propagation resumes per frame: finished outputs and stored syntheses are not redone. */
class FolderResumeTest {

	@Test
	void resumesPerFrame(@TempDir Path dir) {
		List<Rgb8Image> frames = PropagatorTest.frames(9);
		KeySchedule s = KeySchedule.regular(1, 8, 4); // keys 1, 5, 8 (file numbers)
		Map<Integer, Rgb8Image> keys = PropagatorTest.keys(s);
		for (int i = 1; i <= 8; i++) FolderFrames.write(frames.get(i), dir.resolve(String.format("video/%04d.png", i)));
		for (int k : s.keys()) FolderFrames.write(keys.get(k), dir.resolve(String.format("keys/%04d.png", k)));
		FolderFrames folder = FolderFrames.standalone(dir, "keys");
		assertEquals(9, folder.frameCount());
		assertEquals(1, folder.firstFrame());
		FakeSynthesizer synth = new FakeSynthesizer();
		Propagator p = new Propagator(synth, PropagatorTest.ZERO_FLOW);
		PropagationOptions o = PropagationOptions.defaults().withThreads(1).withProcesses(1);
		p.run(folder, s, o, folder, folder, Progress.NONE, Cancel.NEVER);
		assertEquals(2 * (3 + 2), synth.calls.get());
		for (int i = 1; i <= 8; i++) assertTrue(folder.has(i), "output " + i);
		assertArrayEquals(keys.get(8).data(), FolderFrames.read(dir.resolve("blend/0008.png")).data(), "last key is output");
		SynthesisResult stored = folder.load(false, 3);
		assertEquals(frames.get(0).width(), stored.error().width());

		// a run "killed" in the first interval: two outputs and one stored synthesis are missing
		byte[] before = FolderFrames.read(dir.resolve("blend/0003.png")).data();
		for (String f : List.of("blend/0003.png", "blend/0004.png", "tmp/fwd/0004.png")) assertTrue(dir.resolve(f).toFile().delete(), f);
		synth.calls.set(0);
		p.run(folder, s, o, folder, folder, Progress.NONE, Cancel.NEVER);
		assertEquals(1, synth.calls.get(), "only the missing synthesis is redone; the second interval is skipped");
		assertArrayEquals(before, FolderFrames.read(dir.resolve("blend/0003.png")).data(), "resumed output equals the first run's");
		assertTrue(Files.exists(dir.resolve("blend/0004.png")));
		folder.deleteTemporaries();
		assertTrue(!Files.exists(dir.resolve("tmp")));
	}

	@Test
	void aFailedWriteLeavesOnlyTemporariesThatWorkStepsIgnore(@TempDir Path dir) throws Exception {
		Path target = dir.resolve("propagated/0001.png");
		Files.createDirectories(target.resolve("blocker")); // a non-empty folder where the frame goes: the rename fails
		assertThrows(RerenderException.class, () -> FolderFrames.write(PropagatorTest.solid(8, 8, 1), target));
		try (Stream<Path> s = Files.list(dir.resolve("propagated"))) {
			List<String> left = s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("0001.png")).toList();
			assertTrue(left.stream().allMatch(AtomicFiles::isTemp), "only hidden .tmp files (never results) may be left: " + left);
		}
	}
}
