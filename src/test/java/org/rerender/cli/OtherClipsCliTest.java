package org.rerender.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.rerender.cli.CliCapture.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.image.Rgb8Image;
import org.rerender.video.TestClips;
import org.rerender.video.VideoInfo;
import org.rerender.video.VideoReader;

/** {@code rerender example} (the weight-free job) on clips unlike the embedded one: short, single-frame, reruns. */
class OtherClipsCliTest {
	@TempDir
	Path dir;

	private String[] example(Path input, Path output, String... more) {
		List<String> args = new java.util.ArrayList<>(List.of("example", "--input", input.toString(), "--output", output.toString(),
			"--models", dir.resolve("no-models").toString()));
		if (!List.of(more).contains("--image_resolution")) args.addAll(List.of("--image_resolution", "64"));
		args.addAll(List.of(more));
		return run(args.toArray(String[]::new));
	}

	@Test
	void onlyTheEmbeddedClipUsesTheSharedWorkFolder() {
		Path out = Path.of("example-output", "city_rerendered.mp4").toAbsolutePath();
		assertEquals(out.getParent().resolve("work"), ExampleSubcommand.workDir(Path.of("examples", "city.mp4"), out));
		// another clip called city.mp4 (its default output has the same name) gets its own work folder
		assertEquals(out.getParent().resolve("city_rerendered_work"), ExampleSubcommand.workDir(dir.resolve("city.mp4"),
			Path.of("example-output", "city_rerendered.mp4")));
		assertEquals(dir.resolve("o/x_work"), ExampleSubcommand.workDir(Path.of("examples", "city.mp4"), dir.resolve("o/x.mp4")));
	}

	@Test
	void clipShorterThanTheIntervalIsDoneWithAShorterInterval() {
		Path in = TestClips.smallClip(dir.resolve("five.mp4"), 5);
		Path out = dir.resolve("out/five.mp4");
		String[] r = example(in, out); // default interval 10 > 4
		assertEquals("0", r[0], r[2]);
		assertTrue(r[2].contains("interval 10 is longer than the clip (5 frames): using 4"), r[2]);
		VideoInfo info = VideoReader.probe(out);
		assertEquals(5, info.frameCount());
		assertEquals(25.0, info.fps(), 1e-6);
		assertTrue(Files.isDirectory(dir.resolve("out/five_work/frames")), "own work folder beside the output");
	}

	@Test
	void singleFrameClipIsRefusedWithAWayOutAndErrorsStartOnTheirOwnLine() {
		Path in = TestClips.smallClip(dir.resolve("one.mp4"), 1);
		String[] r = example(in, dir.resolve("out/one.mp4"));
		assertEquals("1", r[0], r[2]);
		assertTrue(r[2].contains("at least 2 frames") && r[2].contains("rerender generate"), r[2]);
		assertTrue(r[2].contains("\nrerender example: "), "the error follows the progress line on a line of its own: " + r[2]);
		assertFalse(Files.exists(dir.resolve("out/one.mp4")));
	}

	@Test
	void anExistingOutputIsNotReplacedWithoutOverwrite() throws Exception {
		Path in = TestClips.smallClip(dir.resolve("three.mp4"), 3);
		Path out = Files.createDirectories(dir.resolve("out")).resolve("mine.mp4");
		Files.writeString(out, "someone's file");
		String[] r = example(in, out);
		assertEquals("1", r[0], r[2]);
		assertTrue(r[2].contains("already exists") && r[2].contains("--overwrite"), r[2]);
		assertEquals("someone's file", Files.readString(out));
		r = example(in, out, "--overwrite");
		assertEquals("0", r[0], r[2]);
		assertEquals(3, VideoReader.probe(out).frameCount());
		// the same job again resumes: its own output is not "someone else's"
		r = example(in, out);
		assertEquals("0", r[0], r[2]);
		assertTrue(r[1].contains("video written false"), r[1]);
	}

	@Test
	void changedSettingsNameTheCliOptionAndOverwriteRedoesThem() {
		Path in = TestClips.smallClip(dir.resolve("four.mp4"), 4);
		Path out = dir.resolve("out/four.mp4");
		assertEquals("0", example(in, out, "--interval", "1")[0]);
		String[] r = example(in, out, "--interval", "1", "--frame_count", "3");
		assertEquals("1", r[0], r[2]);
		assertTrue(r[2].contains("frame_count") && r[2].contains("--overwrite"), r[2]);
		r = example(in, out, "--interval", "1", "--frame_count", "3", "--overwrite");
		assertEquals("0", r[0], r[2]);
		assertEquals(3, VideoReader.probe(out).frameCount());
		// another clip written to the same folder gets its own work folder: no "input changed" refusal
		Path other = TestClips.smallClip(dir.resolve("other.mp4"), 3);
		r = example(other, dir.resolve("out/other.mp4"), "--interval", "1");
		assertEquals("0", r[0], r[2]);
	}

	@Test
	void flowKeepingTheSizeOfThinClips() throws Exception {
		// rerender flow --resolution 0 keeps the clip's size: 40x3 works (DIS pads it), 1x40 is refused in words
		for (int[] size : new int[][] {{40, 3}, {1, 40}}) {
			Path f = dir.resolve("thin" + size[0] + "x" + size[1] + ".mkv"), raw = dir.resolve("thin.rgb");
			// FFmpeg's own program (JavaCV ships it): FFmpegFrameRecorder would not keep a 1-pixel width
			try (var out = Files.newOutputStream(raw)) {
				for (int i = 0; i < 3; i++) {
					// one picture whose content moves 2 pixels right per frame: the flow must say so
					Rgb8Image img = org.rerender.video.TestClips.smallFrames().get(0);
					for (int y = 0; y < size[1]; y++) out.write(img.data(), 3 * (y + 40) * img.width() + 3 * (60 - 2 * i), 3 * size[0]);
				}
			}
			org.rerender.video.TestClips.ffmpeg("-f", "rawvideo", "-pix_fmt", "rgb24", "-s", size[0] + "x" + size[1], "-r", "25",
				"-i", raw.toString(), "-c:v", "png", f.toString());
			assertEquals(size[0], VideoReader.probe(f).width());
			String[] r = run("flow", f.toString(), "--out", dir.resolve("flow" + size[0]).toString(), "--method", "dis", "--resolution", "0");
			if (size[0] == 40) {
				assertEquals("0", r[0], r[2]);
				org.rerender.flow.FlowField fwd = org.rerender.flow.FlowFiles.readFlo(dir.resolve("flow40/flow/0000.fwd.flo"));
				assertEquals(40, fwd.width());
				assertEquals(3, fwd.height());
				double[] mean = org.rerender.video.TestClips.meanFlow(fwd);
				assertEquals(2, mean[0], 0.5, "mean u");
				assertEquals(0, mean[1], 0.5, "mean v");
			}
			else {
				assertEquals("1", r[0], r[2]);
				assertTrue(r[2].contains("1x40 pixels are too small for optical flow"), r[2]);
			}
		}
	}

	@Test
	void folderInputIsExplained() throws Exception {
		Path frames = Files.createDirectories(dir.resolve("frames"));
		String[] r = example(frames, dir.resolve("out/x.mp4"));
		assertEquals("1", r[0], r[2]);
		assertTrue(r[2].contains("is empty") && r[2].contains("numbered frames"), r[2]);
		r = example(dir.resolve("missing.mp4"), dir.resolve("out/x.mp4"));
		assertEquals("1", r[0], r[2]);
		assertTrue(r[2].contains("Video file not found: " + dir.resolve("missing.mp4").toAbsolutePath()), "said by the job's check: " + r[2]);
	}

	@Test
	void aFolderOfFramesIsAClipAtTheGivenRateAndResumesUntilAFrameChanges() throws Exception {
		Path frames = Files.createDirectories(dir.resolve("my frames"));
		for (int i = 0; i < 4; i++)
			org.rerender.image.Png.write(TestClips.smallFrames().get(i), frames.resolve(String.format("frame_%04d.png", i + 1)));
		Files.writeString(frames.resolve("notes.txt"), "not a frame");
		Path out = dir.resolve("out/seq.mp4");
		String[] r = example(frames, out, "--fps", "12", "--interval", "2");
		assertEquals("0", r[0], r[2]);
		VideoInfo info = VideoReader.probe(out);
		assertEquals(4, info.frameCount());
		assertEquals(12.0, info.fps(), 1e-6);
		assertFalse(info.hasAudio());
		r = example(frames, out, "--fps", "12", "--interval", "2");
		assertEquals("0", r[0], r[2]);
		assertTrue(r[1].contains("frames prepared 0") && r[1].contains("video written false"), "resumed: " + r[1]);
		// another frame rate: only the video is written again
		r = example(frames, out, "--fps", "24", "--interval", "2");
		assertEquals("0", r[0], r[2]);
		assertTrue(r[1].contains("frames prepared 0") && r[1].contains("video written true"), r[1]);
		assertEquals(24.0, VideoReader.probe(out).fps(), 1e-6);
		// a changed frame is a changed input: refused, then redone with --overwrite
		org.rerender.image.Png.write(TestClips.smallFrames().get(12), frames.resolve("frame_0003.png"));
		r = example(frames, out, "--fps", "24", "--interval", "2");
		assertEquals("1", r[0], r[2]);
		assertTrue(r[2].contains("the input video changed"), r[2]);
		r = example(frames, out, "--fps", "24", "--interval", "2", "--overwrite");
		assertEquals("0", r[0], r[2]);
		assertTrue(r[1].contains("frames prepared 4"), r[1]);
	}

	@Test
	void videoTakesTheFrameRateOfAFolderAndFlowReadsOne() throws Exception {
		Path frames = Files.createDirectories(dir.resolve("seq"));
		for (int i = 0; i < 3; i++) org.rerender.image.Png.write(TestClips.smallFrames().get(i), frames.resolve("f" + (i + 1) + ".png"));
		String[] r = run("video", "--input", frames.toString(), "--output", dir.resolve("v/out.mp4").toString(), "--prompt", "x",
			"--fps", "0", "--models", dir.resolve("no-models").toString());
		assertEquals("1", r[0], r[2]);
		assertTrue(r[2].contains("Invalid frame rate 0.0"), "--fps reaches the job: " + r[2]);
		r = run("flow", frames.toString(), "--out", dir.resolve("flowseq").toString(), "--method", "dis", "--resolution", "0");
		assertEquals("0", r[0], r[2]);
		assertTrue(Files.isRegularFile(dir.resolve("flowseq/flow/0001.fwd.flo")), r[1]);
	}

	/** 6 frames of the example, times 40 ms apart then 120 ms apart; {@code rotation} as a phone's display matrix. */
	private Path unevenClip(String name, String format, double rotation) throws Exception {
		Path f = dir.resolve(name);
		TestClips.writeTimed(f, format, rotation, TestClips.smallFrames().subList(0, 6), TestClips.unevenTimes(6, 3, 40_000, 120_000));
		return f;
	}

	@Test
	void phoneClipComesOutUpright() throws Exception {
		Path f = unevenClip("phone.mp4", "mp4", 90);
		VideoInfo in = VideoReader.probe(f);
		assertEquals(108, in.width(), in.toString());
		Path out = dir.resolve("out/phone.mp4");
		String[] r = example(f, out, "--interval", "2", "--image_resolution", "128");
		assertEquals("0", r[0], r[2]);
		VideoInfo o = VideoReader.probe(out);
		assertEquals(6, o.frameCount());
		assertEquals(64, o.width(), o.toString());
		assertEquals(128, o.height(), o.toString());
	}

	@Test
	void variableFrameRateKeepsTheDuration() throws Exception {
		Path f = unevenClip("uneven.mkv", "matroska", 0);
		Path out = dir.resolve("out/uneven.mp4");
		String[] r = example(f, out, "--interval", "2");
		assertEquals("0", r[0], r[2]);
		assertTrue(r[2].contains("variable frame rate"), r[2]);
		VideoInfo o = VideoReader.probe(out);
		assertEquals(6, o.frameCount());
		assertEquals(5 / 0.36, o.fps(), 0.3, "5 intervals over 0.36 s: " + o);
	}
}
