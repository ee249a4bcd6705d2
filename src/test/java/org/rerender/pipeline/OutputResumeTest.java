package org.rerender.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.config.RerenderConfig;
import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;
import org.rerender.video.TestClips;
import org.rerender.video.VideoReader;
import org.rerender.video.VideoWriter;

/** The output file: a job resumes over its own, refuses someone else's unless told to replace it. */
class OutputResumeTest {
	@TempDir
	Path dir;

	private static Rgb8Image invert(Rgb8Image in) {
		byte[] d = in.data().clone();
		for (int i = 0; i < d.length; i++) d[i] = (byte) (255 - (d[i] & 0xff));
		return new Rgb8Image(in.width(), in.height(), d);
	}

	private RerenderJob job(Path in, Path out) {
		RerenderConfig c = RerenderConfig.interactiveBuilder().input(in).output(out).workDir(dir.resolve("work"))
			.prompt("a painting").imageResolution(64).interval(4).build();
		return new RerenderJob(c, cfg -> { throw new AssertionError("no models in this test"); })
			.keyFrameFilter("invert", OutputResumeTest::invert);
	}

	@Test
	void aRunStoppedAfterTheVideoResumesOverItsOwnOutput() throws Exception {
		Path in = TestClips.smallClip(dir.resolve("in.mp4"), 5), out = dir.resolve("out/v.mp4");
		Cancel stop = new Cancel();
		// stopped after the video was moved into place, before its report and the step's completion
		assertThrows(CancelledException.class, () -> job(in, out).run(RerenderJob.Steps.ALL,
			(stage, d, t) -> { if (stage.startsWith("Warping error")) stop.request(); }, stop));
		assertTrue(Files.isRegularFile(out));
		RerenderJob.Result r = job(in, out).run(RerenderJob.Steps.ALL, null, null);
		assertTrue(r.counters().videoWritten);
		assertTrue(Files.isRegularFile(r.report()[0]));
		assertEquals(5, VideoReader.probe(out).frameCount());
	}

	@Test
	void someoneElsesFileIsReplacedOnlyWhenAllowed() throws Exception {
		Path in = TestClips.smallClip(dir.resolve("in.mp4"), 5), out = Files.createDirectories(dir.resolve("out")).resolve("v.mp4");
		Files.writeString(out, "someone's file");
		RerenderException e = assertThrows(RerenderException.class, () -> job(in, out).run(RerenderJob.Steps.ALL, null, null));
		assertTrue(e.getMessage().contains("already exists"), e.getMessage());
		assertEquals("someone's file", Files.readString(out));
		assertFalse(Files.exists(dir.resolve("work/frames/0000.png")), "refused before any work, not after the whole job");
		RerenderJob.Result r = job(in, out).replaceOutput(true).run(RerenderJob.Steps.ALL, null, null);
		assertTrue(r.counters().videoWritten);
		assertEquals(5, VideoReader.probe(out).frameCount());
		assertEquals(25, r.input().fps(), 1e-6, "the input as the run decoded it (its frame rate for the Fiji outputs)");
		assertEquals(5, r.input().frameCount());
		RerenderJob.Result resumed = job(in, out).run(RerenderJob.Steps.ALL, null, null);
		assertFalse(resumed.counters().videoWritten, "resumes: nothing to redo");
		assertEquals(r.input(), resumed.input(), "the input as the frames step recorded it: nothing of it was read again");
		// --overwrite with the same settings redoes nothing (only steps whose settings changed)
		RerenderJob.Counters n = job(in, out).overwrite(true).run(RerenderJob.Steps.ALL, null, null).counters();
		assertEquals(0, n.framesPrepared + n.anchorsTranslated + n.keyFramesTranslated + n.framesPropagated, n.toString());
		assertFalse(n.videoWritten, n.toString());
	}

	@Test
	void anOutputThatCannotBeAnMp4IsRefusedBeforeAnyWork() throws Exception {
		Path in = TestClips.smallClip(dir.resolve("in.mp4"), 3), outDir = Files.createDirectories(dir.resolve("out"));
		for (Path bad : List.of(outDir.resolve("v.avi"), outDir.resolve("v"), Files.createDirectories(outDir.resolve("folder.mp4")))) {
			RerenderException e = assertThrows(RerenderException.class, () -> job(in, bad).overwrite(true).replaceOutput(true)
				.run(RerenderJob.Steps.ALL, null, null));
			assertTrue(e.getMessage().contains(Files.isDirectory(bad) ? "is a folder" : "must be an .mp4 file"), e.getMessage());
			assertFalse(Files.exists(dir.resolve("work/frames/0000.png")), "refused before any work: " + bad);
		}
		assertFalse(Files.exists(outDir.resolve("v.avi")));
		// the steps that write no video do not care about the output's name
		assertEquals(1, job(in, outDir.resolve("v.avi")).run(RerenderJob.Steps.FIRST_FRAME, null, null).counters().anchorsTranslated);
		// nor does the writer take another name for an mp4
		assertThrows(RerenderException.class, () -> VideoWriter.write(outDir.resolve("v.mov"), TestClips.smallFrames().subList(0, 2),
			25, null, Progress.NONE, Cancel.NEVER));
		assertEquals(2, VideoReader.probe(VideoWriter.write(outDir.resolve("V.MP4"), TestClips.smallFrames().subList(0, 2), 25, null,
			Progress.NONE, Cancel.NEVER).file()).frameCount());
	}

	@Test
	void aSecondRunOnTheSameWorkFolderIsRefusedWhileTheFirstRuns() throws Exception {
		Path in = TestClips.smallClip(dir.resolve("in.mp4"), 3);
		try (org.rerender.work.WorkLock running = org.rerender.work.WorkLock.acquire(dir.resolve("work"))) {
			RerenderException e = assertThrows(RerenderException.class, () -> job(in, dir.resolve("out/v.mp4"))
				.run(RerenderJob.Steps.FIRST_FRAME, null, null));
			assertTrue(e.getMessage().contains("in use by another run"), e.getMessage());
			assertFalse(Files.exists(dir.resolve("work/frames")), "nothing written");
		}
		assertEquals(1, job(in, dir.resolve("out/v.mp4")).run(RerenderJob.Steps.FIRST_FRAME, null, null).counters().anchorsTranslated);
	}

	@Test
	void aFrameRateGivenForAVideoFileIsNotedNotUsed() throws Exception {
		Path in = TestClips.smallClip(dir.resolve("in.mp4"), 3);
		RerenderJob.Result r = job(in, dir.resolve("out/v.mp4")).sequenceFps(12).run(RerenderJob.Steps.FIRST_FRAME, null, null);
		assertEquals(1, r.notes().stream().filter(n -> n.contains("is for a folder of frames")).count(), r.notes().toString());
		assertEquals(25, r.input().fps(), 1e-6, "the file's own rate");
		RerenderJob.Result plain = job(in, dir.resolve("out/v.mp4")).run(RerenderJob.Steps.FIRST_FRAME, null, null);
		assertTrue(plain.notes().stream().noneMatch(n -> n.contains("folder of frames")), plain.notes().toString());
	}
}
