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
		assertTrue(Files.isRegularFile(dir.resolve("tmp/bwd/0003.err")), "the backward synthesis of frame 3 is kept");

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

	private static FolderFrames clip(Path dir, KeySchedule s, int keyValue) {
		List<Rgb8Image> frames = PropagatorTest.frames(9);
		for (int i = 1; i <= 8; i++) FolderFrames.write(frames.get(i), dir.resolve(String.format("video/%04d.png", i)));
		writeKeys(dir, s, keyValue);
		return FolderFrames.standalone(dir, "keys");
	}

	private static void writeKeys(Path dir, KeySchedule s, int value) {
		for (int k : s.keys()) FolderFrames.write(PropagatorTest.solid(PropagatorTest.W, PropagatorTest.H, value), dir.resolve(String.format("keys/%04d.png", k)));
	}

	private static void deleteOutputs(Path dir) throws Exception {
		for (int i = 1; i <= 8; i++) Files.deleteIfExists(dir.resolve(String.format("blend/%04d.png", i)));
	}

	private static final PropagationOptions ONE = PropagationOptions.defaults().withThreads(1).withProcesses(1).withPoisson(false);

	/** The reviewer's scenario: a run stopped with its syntheses kept, key frames re-rendered, outputs deleted, rerun. */
	@Test
	void synthesesOfOtherKeyFramesAreNotReused(@TempDir Path dir) throws Exception {
		KeySchedule s = KeySchedule.regular(1, 8, 4);
		FolderFrames folder = clip(dir, s, 10);
		FakeSynthesizer synth = new FakeSynthesizer();
		Propagator p = new Propagator(synth, PropagatorTest.ZERO_FLOW);
		p.run(folder, s, ONE, folder, folder, Progress.NONE, Cancel.NEVER); // tmp kept, as by a run killed before deleteTemporaries
		writeKeys(dir, s, 200);
		deleteOutputs(dir);
		synth.calls.set(0);
		p.run(folder, s, ONE, folder, folder, Progress.NONE, Cancel.NEVER);
		assertEquals(2 * (3 + 2), synth.calls.get(), "every synthesis is redone for the new key frames");
		// every key is solid 200 and the fake synthesizer returns the style: a correct run gives 200 everywhere
		for (int i = 1; i <= 8; i++)
			assertArrayEquals(PropagatorTest.solid(PropagatorTest.W, PropagatorTest.H, 200).data(),
				FolderFrames.read(dir.resolve(String.format("blend/%04d.png", i))).data(), "frame " + i + " blended from stale syntheses");
	}

	@Test
	void otherFramesFlowOrWeightsRedoTheSyntheses(@TempDir Path dir) throws Exception {
		KeySchedule s = KeySchedule.regular(1, 8, 4);
		FolderFrames folder = clip(dir, s, 10);
		FakeSynthesizer synth = new FakeSynthesizer();
		new Propagator(synth, PropagatorTest.ZERO_FLOW).run(folder, s, ONE, folder, folder, Progress.NONE, Cancel.NEVER);
		assertEquals(10, synth.calls.get());

		synth.calls.set(0); // the same request: nothing is synthesised again
		deleteOutputs(dir);
		new Propagator(synth, PropagatorTest.ZERO_FLOW).run(folder, s, ONE, folder, folder, Progress.NONE, Cancel.NEVER);
		assertEquals(0, synth.calls.get());

		synth.calls.set(0); // another flow
		deleteOutputs(dir);
		FrameFlow other = new FrameFlow() {
			@Override public Step step(Rgb8Image from, Rgb8Image to) { return PropagatorTest.ZERO_FLOW.step(from, to); }
			@Override public String id() { return "another flow"; }
		};
		new Propagator(synth, other).run(folder, s, ONE, folder, folder, Progress.NONE, Cancel.NEVER);
		assertEquals(10, synth.calls.get());

		synth.calls.set(0); // other guide weights
		deleteOutputs(dir);
		new Propagator(synth, other).run(folder, s, ONE.withWeights(6, 0.5, 0.5, 3), folder, folder, Progress.NONE, Cancel.NEVER);
		assertEquals(10, synth.calls.get());

		synth.calls.set(0); // frame 3 changed: the syntheses from key 1 up to it and from key 5 down past it
		deleteOutputs(dir);
		FolderFrames.write(PropagatorTest.solid(PropagatorTest.W, PropagatorTest.H, 77), dir.resolve("video/0003.png"));
		new Propagator(synth, other).run(folder, s, ONE.withWeights(6, 0.5, 0.5, 3), folder, folder, Progress.NONE, Cancel.NEVER);
		assertEquals(2 + 2, synth.calls.get(), "forward 3, 4 and backward 3, 2 are redone; frames 6, 7 are not");

		synth.calls.set(0); // an image that is not the one its record names (e.g. a run killed between the two files)
		deleteOutputs(dir);
		FolderFrames.write(PropagatorTest.solid(PropagatorTest.W, PropagatorTest.H, 99), dir.resolve("tmp/fwd/0003.png"));
		new Propagator(synth, other).run(folder, s, ONE.withWeights(6, 0.5, 0.5, 3), folder, folder, Progress.NONE, Cancel.NEVER);
		assertEquals(1, synth.calls.get());
	}

	/** {@code -ne}: re-blending the kept syntheses works while their inputs are unchanged, and refuses stale ones. */
	@Test
	void reblendOnlyFromSynthesesOfTheSameInputs(@TempDir Path dir) throws Exception {
		KeySchedule s = KeySchedule.regular(1, 8, 4);
		FolderFrames folder = clip(dir, s, 10);
		FakeSynthesizer synth = new FakeSynthesizer();
		Propagator p = new Propagator(synth, PropagatorTest.ZERO_FLOW);
		p.run(folder, s, ONE, folder, folder, Progress.NONE, Cancel.NEVER);
		byte[] before = FolderFrames.read(dir.resolve("blend/0003.png")).data();
		synth.calls.set(0);
		PropagationOptions reblend = ONE.withSynthesisFromStore(true);
		p.run(folder, s, reblend, folder::put, folder, Progress.NONE, Cancel.NEVER);
		assertEquals(0, synth.calls.get());
		assertArrayEquals(before, FolderFrames.read(dir.resolve("blend/0003.png")).data(), "the same syntheses, blended again");

		writeKeys(dir, s, 200);
		RerenderException e = assertThrows(RerenderException.class,
			() -> p.run(folder, s, reblend, folder::put, folder, Progress.NONE, Cancel.NEVER));
		assertTrue(e.getMessage().contains("made from these key frames"), e.getMessage());
		assertEquals(0, synth.calls.get());
	}
}
