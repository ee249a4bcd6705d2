package org.rerender.work;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.rerender.video.FramePreparation;
import org.rerender.video.TestClips;
import org.rerender.video.VideoInfo;
import org.rerender.video.VideoReader;

class WorkFolderTest {

	@TempDir
	Path tmp;

	/** The frames step as a job runs it (the input opened once). */
	private static WorkStep frames(WorkFolder w, FramePreparation prep, boolean overwrite, Progress progress, Cancel cancel) {
		return FramesStep.run(w, prep, 30, overwrite, progress, cancel).step();
	}

	private Path clip() throws IOException {
		Path dir = Files.createDirectories(tmp.resolve("entrée vidéo 日本"));
		Path p = dir.resolve("ville é.mp4");
		// 24 real frames, 192x108 (the full example would make this test slow on a shared machine)
		if (!Files.exists(p)) TestClips.smallClip(p, 24);
		return p;
	}

	@Test
	void jobFileRecordsLayoutInputAndParams() throws IOException {
		Path root = tmp.resolve("work with spaces ü");
		WorkFolder w = WorkFolder.open(root, clip(), Map.of("prompt", "a tiger", "interval", 10));
		JsonObject job = JsonParser.parseString(Files.readString(root.resolve("rerender.json"))).getAsJsonObject();
		assertEquals(WorkFolder.LAYOUT_VERSION, job.get("layout_version").getAsInt());
		assertEquals(WorkFolder.sha256File(clip()), job.get("input_hash").getAsString());
		assertEquals("a tiger", job.getAsJsonObject("params").get("prompt").getAsString());
		assertEquals(clip().toAbsolutePath().toString(), job.get("input").getAsString());
		assertEquals(w.inputHash(), job.get("input_hash").getAsString());
	}

	@Test
	void framesStepWritesResumesAndDetectsChanges() throws IOException {
		Path root = tmp.resolve("wörk dir");
		WorkFolder w = WorkFolder.open(root, clip(), Map.of());
		FramePreparation prep = new FramePreparation(0, 0, 0, 0, 128);
		WorkStep frames = frames(w, prep, false, Progress.NONE, Cancel.NEVER);
		assertEquals(24, frames.completeCount());
		assertEquals(24, frames.indices(WorkStep.PNG).size());
		Rgb8Image f0 = frames.readPng(0);
		assertEquals(128, f0.width());
		assertEquals(64, f0.height()); // 192x108 -> 128x72 -> rint(1.125)=1 -> 64
		assertEquals("0023.png", frames.file(23, "png").getFileName().toString());

		// resume: nothing rewritten
		Path f5 = frames.file(5, WorkStep.PNG);
		FileTime old = FileTime.fromMillis(1_000_000L);
		Files.setLastModifiedTime(f5, old);
		Files.delete(frames.file(7, WorkStep.PNG)); // a missing frame is redone, the others are kept
		WorkFolder again = WorkFolder.open(root, clip(), Map.of());
		WorkStep frames2 = frames(again, prep, false, Progress.NONE, Cancel.NEVER);
		assertEquals(frames.hash(), frames2.hash());
		assertEquals(old, Files.getLastModifiedTime(f5));
		assertTrue(frames2.has(7, WorkStep.PNG));

		// other settings: refused with a clear message, nothing destroyed
		RerenderException e = assertThrows(RerenderException.class, () -> frames(WorkFolder.open(root, clip(),
			Map.of()), new FramePreparation(0, 0, 0, 0, 256), false, Progress.NONE, Cancel.NEVER));
		assertTrue(e.getMessage().contains("image_resolution: 128 -> 256"), e.getMessage());
		assertTrue(e.getMessage().contains("overwrite"), e.getMessage());
		assertEquals(old, Files.getLastModifiedTime(f5));

		// overwrite with the same settings: nothing redone (only steps whose settings changed are)
		WorkStep kept = frames(WorkFolder.open(root, clip(), Map.of()), prep, true, Progress.NONE, Cancel.NEVER);
		assertEquals(frames.hash(), kept.hash());
		assertTrue(kept.isComplete());
		assertEquals(old, Files.getLastModifiedTime(f5));

		// overwrite: redone with the new settings
		WorkStep redone = frames(WorkFolder.open(root, clip(), Map.of()), new FramePreparation(0, 0, 0, 0, 256),
			true, Progress.NONE, Cancel.NEVER);
		assertNotEquals(frames.hash(), redone.hash());
		assertEquals(256, redone.readPng(5).width());
	}

	/** A phone clip's frames step made before rotation support (stamp without rotation) is not resumed. */
	@Test
	void framesOfARotatedClipMadeWithoutTheRotationAreNotResumed() throws IOException {
		Path rotated = tmp.resolve("phone.mp4");
		List<Rgb8Image> f = TestClips.smallFrames().subList(0, 3);
		TestClips.writeTimed(rotated, "mp4", 90, f, new long[] {0, 40_000, 80_000});
		FramePreparation prep = new FramePreparation(0, 0, 0, 0, 64);
		Path root = tmp.resolve("old");
		WorkFolder w = WorkFolder.open(root, rotated, Map.of());
		WorkStep old = w.step(WorkFolder.FRAMES, FramesStep.params(prep), false); // the old stamp: crop + resolution
		for (int i = 0; i < 3; i++) old.writePng(i, f.get(i)); // unrotated (landscape) frames
		old.markComplete(3);
		RerenderException e = assertThrows(RerenderException.class, () -> frames(WorkFolder.open(root, rotated,
			Map.of()), prep, false, Progress.NONE, Cancel.NEVER));
		assertTrue(e.getMessage().contains("input_rotation"), e.getMessage());
		FramesStep.Result redone;
		try (VideoReader reader = VideoReader.open(rotated)) { // one open: its rotation stamps the step, its frames fill it
			redone = FramesStep.run(WorkFolder.open(root, rotated, Map.of()), reader, prep, true, Progress.NONE, Cancel.NEVER);
			assertEquals(3, reader.framesRead(), "the reader that gave the rotation decoded the frames");
		}
		assertTrue(redone.decoded());
		assertEquals(90, redone.input().rotation());
		assertEquals(WorkFolder.open(root, rotated, Map.of()).step(WorkFolder.FRAMES, FramesStep.params(prep, 90), false).hash(), redone.step().hash(), "stamped with the rotation");
		Rgb8Image upright;
		try (VideoReader r = VideoReader.open(rotated)) {
			upright = prep.apply(r.read());
		}
		assertEquals(0, TestClips.meanAbsDiff(upright, redone.step().readPng(0)), 0.5, "the frames are the upright ones");
		try (VideoReader reader = VideoReader.open(rotated)) {
			FramesStep.Result resumed = FramesStep.run(WorkFolder.open(root, rotated, Map.of()), reader, prep, false, Progress.NONE, Cancel.NEVER);
			assertEquals(0, reader.framesRead(), "finished: nothing decoded");
			assertFalse(resumed.decoded());
			assertEquals(redone.input(), resumed.input());
		}
		// an unrotated clip's stamp is unchanged, so its older work folders still resume
		assertEquals(FramesStep.params(prep), FramesStep.params(prep, 0));
	}

	@Test
	void runSaysWhatItDecodedAndAFinishedStepDecodesNothing() throws IOException {
		WorkFolder w = WorkFolder.open(tmp.resolve("fill"), clip(), Map.of());
		FramePreparation prep = new FramePreparation(0, 0, 0, 0, 64);
		FramesStep.Result first = FramesStep.run(w, prep, 30, false, Progress.NONE, Cancel.NEVER);
		VideoInfo info = first.input();
		WorkStep step = first.step();
		assertTrue(first.decoded());
		assertEquals(24, info.frameCount());
		assertEquals(25, info.fps(), 1e-6);
		assertEquals(24, step.completeCount());
		assertEquals(24, step.indices(WorkStep.PNG).size());
		try (VideoReader reader = VideoReader.open(clip())) {
			FramesStep.Result again = FramesStep.run(w, reader, prep, false, Progress.NONE, Cancel.NEVER);
			assertEquals(step.hash(), again.step().hash());
			assertEquals(info, again.input(), "complete: the recorded input");
			assertEquals(0, reader.framesRead(), "complete: nothing decoded");
		}
		// a step finished before the record existed: probed once, then recorded
		Files.delete(step.dir().resolve("input.json"));
		assertEquals(info, FramesStep.run(w, prep, 30, false, Progress.NONE, Cancel.NEVER).input());
		assertTrue(Files.isRegularFile(step.dir().resolve("input.json")));
		try (VideoReader reader = VideoReader.open(clip())) {
			reader.read();
			assertThrows(IllegalArgumentException.class, () -> VideoReader.forEachFrame(reader, (i, f) -> {}, Progress.NONE, Cancel.NEVER),
				"a reader that read already cannot give all frames");
		}
	}

	@Test
	void interruptedRunResumesAndLeftoverTempFilesNeverCount() throws IOException {
		Path root = tmp.resolve("crash");
		FramePreparation prep = new FramePreparation(0, 0, 0, 0, 64);
		Cancel cancel = new Cancel();
		WorkFolder w = WorkFolder.open(root, clip(), Map.of());
		// "crash" after 10 frames: cancel from the progress callback
		Progress stopAt10 = (s, done, total) -> { if (done == 10) cancel.request(); };
		assertThrows(CancelledException.class, () -> frames(w, prep, false, stopAt10, cancel));
		WorkStep partial = w.step(WorkFolder.FRAMES, FramesStep.params(prep, 0), false);
		assertFalse(partial.isComplete());
		assertEquals(new TreeSet<>(java.util.stream.IntStream.range(0, 10).boxed().toList()), partial.indices("png"));
		// a crash in the middle of writing frame 10 leaves only a temporary file
		Path temp = partial.dir().resolve(".0010.png.123abc.tmp");
		Files.write(temp, new byte[] { (byte) 0x89, 'P', 'N' });
		assertFalse(partial.has(10, WorkStep.PNG));
		assertFalse(partial.indices("png").contains(10));

		FileTime old = FileTime.fromMillis(2_000_000L);
		Files.setLastModifiedTime(partial.file(3, "png"), old);
		WorkStep done = frames(WorkFolder.open(root, clip(), Map.of()), prep, false, Progress.NONE, Cancel.NEVER);
		assertTrue(done.isComplete());
		assertEquals(24, done.indices("png").size());
		assertFalse(Files.exists(temp), "leftover temp file removed");
		assertEquals(old, Files.getLastModifiedTime(done.file(3, "png")), "finished frame kept");
		assertEquals(64, done.readPng(10).width());
	}

	@Test
	void stepsDependOnlyOnWhatTheyRead() {
		Path root = tmp.resolve("chain");
		WorkFolder w = WorkFolder.open(root, null, Map.of());
		WorkStep frames = w.step(WorkFolder.FRAMES, Map.of("crop", List.of(0, 0, 0, 0), "image_resolution", 512), false);
		frames.writePng(0, new Rgb8Image(8, 8));
		WorkStep flow = w.step(WorkFolder.FLOW, Map.of("method", "dis"), false, frames);
		FloatImage fl = new FloatImage(8, 8, 2);
		fl.set(3, 4, 1, -2.5f);
		flow.writeFloat(0, fl);
		WorkStep keys = w.step(WorkFolder.KEYS, Map.of("prompt", "a"), false, frames);
		keys.writePng(1, new Rgb8Image(8, 8));

		// a new prompt invalidates keys only; flow stays
		WorkFolder w2 = WorkFolder.open(root, null, Map.of());
		WorkStep frames2 = w2.step(WorkFolder.FRAMES, Map.of("image_resolution", 512, "crop", List.of(0, 0, 0, 0)), false);
		assertEquals(frames.hash(), frames2.hash(), "parameter order does not matter");
		assertEquals(-2.5f, w2.step(WorkFolder.FLOW, Map.of("method", "dis"), false, frames2).readFloat(0).get(3, 4, 1));
		RerenderException e = assertThrows(RerenderException.class,
			() -> w2.step(WorkFolder.KEYS, Map.of("prompt", "b"), false, frames2));
		assertTrue(e.getMessage().contains("prompt: \"a\" -> \"b\""), e.getMessage());

		// redoing frames with other settings invalidates the steps downstream of it
		WorkStep frames3 = w2.step(WorkFolder.FRAMES, Map.of("crop", List.of(0, 0, 0, 0), "image_resolution", 768), true);
		e = assertThrows(RerenderException.class, () -> w2.step(WorkFolder.FLOW, Map.of("method", "dis"), false, frames3));
		assertTrue(e.getMessage().contains("earlier step"), e.getMessage());
	}

	@Test
	void floatFilesRoundTripExactly() {
		WorkFolder w = WorkFolder.open(tmp.resolve("f"), null, Map.of());
		WorkStep masks = w.step(WorkFolder.MASKS, Map.of(), false);
		FloatImage m = new FloatImage(37, 21, 1);
		for (int i = 0; i < m.data().length; i++) m.data()[i] = (float) Math.sin(i) * 1e3f;
		masks.writeFloat(12, m);
		assertEquals(Set.of(12), masks.indices(WorkStep.F32));
		FloatImage back = masks.readFloat(12);
		assertEquals(37, back.width());
		assertEquals(1, back.channels());
		org.junit.jupiter.api.Assertions.assertArrayEquals(m.data(), back.data());
	}

	@Test
	void wrongLayoutVersionAndUnwritableFolderAreClearErrors() throws IOException {
		Path root = Files.createDirectories(tmp.resolve("old"));
		Files.writeString(root.resolve("rerender.json"), "{\"layout_version\": 0, \"steps\": {}}");
		RerenderException e = assertThrows(RerenderException.class, () -> WorkFolder.open(root, null, Map.of()));
		assertTrue(e.getMessage().contains("layout version 0"), e.getMessage());

		Path file = tmp.resolve("plain-file");
		Files.writeString(file, "x");
		e = assertThrows(RerenderException.class, () -> WorkFolder.open(file.resolve("work"), null, Map.of()));
		assertTrue(e.getMessage().contains("Cannot create the work folder"), e.getMessage());
	}

	@Test
	void atomicWriteFailureLeavesNoFile() throws IOException {
		WorkFolder w = WorkFolder.open(tmp.resolve("a"), null, Map.of());
		WorkStep out = w.step(WorkFolder.OUT, Map.of(), false);
		assertThrows(RerenderException.class, () -> out.write("video.mp4", p -> {
			Files.writeString(p, "half");
			throw new IOException("disk full");
		}));
		try (var s = Files.list(out.dir())) { assertEquals(0, s.count()); }
	}
}
