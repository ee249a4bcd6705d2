package org.rerender.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.flow.FlowField;
import org.rerender.flow.FlowFiles;
import org.rerender.flow.FlowOps;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.rerender.video.TestClips;

/** {@code rerender flow} on a few frames of the real example clip. */
class FlowSubcommandTest {
	@TempDir
	Path dir;

	@Test
	void writesFlowsAndMasksAndResumes() throws Exception {
		List<Rgb8Image> frames = TestClips.smallFrames().subList(0, 5);
		Path clip = dir.resolve("clip ü.avi");
		TestClips.write(clip, "avi", "mjpeg", 25, 0, frames);
		Path work = dir.resolve("work dir");
		assertEquals(0, RerenderCli.run(new String[] { "flow", clip.toString(), "--out", work.toString(), "--resolution", "0",
			"--method", "dis" }));
		for (int n = 0; n < 5; n++) {
			assertEquals(n < 4, Files.exists(work.resolve("flow").resolve(String.format("%04d.fwd.flo", n))), "fwd " + n);
			assertEquals(n > 0, Files.exists(work.resolve("flow").resolve(String.format("%04d.bwd.flo", n))), "bwd " + n);
			assertEquals(n < 4, Files.exists(work.resolve("masks").resolve(String.format("%04d.fwd.png", n))));
			assertEquals(n > 0, Files.exists(work.resolve("masks").resolve(String.format("%04d.bwd.png", n))));
		}
		FlowField fwd = FlowFiles.readFlo(work.resolve("flow/0001.fwd.flo"));
		FlowField bwd = FlowFiles.readFlo(work.resolve("flow/0002.bwd.flo"));
		assertEquals(frames.get(0).width(), fwd.width());
		assertEquals(frames.get(0).height(), fwd.height());
		FloatImage occ = FlowFiles.readMaskPng(work.resolve("masks/0002.bwd.png"));
		assertEquals(FlowOps.occlusion(bwd, fwd).data().length, occ.data().length);
		assertTrue(java.util.Arrays.equals(FlowOps.occlusion(bwd, fwd).data(), occ.data()), "stored mask = check of stored flows");

		Path f = work.resolve("flow/0000.fwd.flo");
		FileTime t = Files.getLastModifiedTime(f);
		Files.delete(work.resolve("masks/0003.bwd.png"));
		assertEquals(0, RerenderCli.run(new String[] { "flow", clip.toString(), "--out", work.toString(), "--resolution", "0",
			"--method", "dis" }));
		assertEquals(t, Files.getLastModifiedTime(f), "finished pairs are not recomputed");
		assertTrue(Files.exists(work.resolve("masks/0003.bwd.png")), "the missing file is redone");
		try (var s = Files.list(work.resolve("flow"))) {
			assertFalse(s.anyMatch(p -> p.getFileName().toString().endsWith(".tmp")));
		}
	}

	/** A phone clip (display rotation 90°): the one reader both stamps the frames step and decodes upright frames. */
	@Test
	void rotatedClipGivesUprightFramesAndFlow() throws Exception {
		List<Rgb8Image> frames = TestClips.smallFrames().subList(0, 3);
		Path clip = dir.resolve("phone.mp4");
		TestClips.writeTimed(clip, "mp4", 90, frames, new long[] { 0, 40_000, 80_000 });
		Path work = dir.resolve("work");
		assertEquals(0, RerenderCli.run(new String[] { "flow", clip.toString(), "--out", work.toString(), "--resolution", "0",
			"--method", "dis" }));
		Rgb8Image first = org.rerender.image.Png.read(work.resolve("frames/0000.png"));
		assertEquals(frames.get(0).height(), first.width(), "upright: width and height swapped");
		assertEquals(frames.get(0).width(), first.height());
		assertEquals(first.width(), FlowFiles.readFlo(work.resolve("flow/0000.fwd.flo")).width());
		assertTrue(Files.readString(work.resolve("rerender.json")).contains("input_rotation"), "the frames step is stamped with the rotation");
	}

	@Test
	void clearErrors() throws Exception {
		Path notVideo = dir.resolve("notes.mp4");
		Files.writeString(notVideo, "not a video");
		assertEquals(1, RerenderCli.run(new String[] { "flow", notVideo.toString(), "--out", dir.resolve("w").toString() }));
		assertFalse(Files.exists(dir.resolve("w")), "nothing written for a bad input");
		assertEquals(1, RerenderCli.run(new String[] { "flow", notVideo.toString(), "--out", "x", "--method", "gmflow" }),
			"gmflow is not installed in this build");
		assertEquals(1, RerenderCli.run(new String[] { "flow", dir.resolve("missing.mp4").toString(), "--out", "x" }),
			"a missing input is said by VideoReader.requireFile (exit 1, like the other subcommands)");
		assertEquals(2, RerenderCli.run(new String[] { "flow", notVideo.toString() }), "--out is required");
		assertEquals(2, RerenderCli.run(new String[] { "flow", notVideo.toString(), "--out", "x", "--crop", "1,2" }));
		assertEquals(1, RerenderCli.run(new String[] { "flow", notVideo.toString(), "--out", "x", "--method", "raft" }));
		assertEquals(0, RerenderCli.run(new String[] { "flow", "--help" }));
	}
}
