package org.rerender.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.FolderFrames;
import org.rerender.propagate.PropagationTestAccess;
import org.rerender.video.VideoReader;

class PropagateCommandTest {

	@Test
	void standaloneLayoutResumeReblendAndVideo(@TempDir Path dir) throws Exception {
		List<Rgb8Image> frames = PropagationTestAccess.vtestFrames(7, 64, 48);
		for (int i = 0; i < 7; i++) {
			FolderFrames.write(frames.get(i), dir.resolve(String.format("video/%04d.png", i + 1)));
			if (i % 3 == 0) FolderFrames.write(PropagationTestAccess.stylize(frames.get(i)), dir.resolve(String.format("keys0/%04d.png", i + 1)));
		}
		// keys 1, 4, 7 with --itv 3
		assertEquals(0, RerenderCli.run(new String[] {"propagate", dir.toString(), "--itv", "3", "--n_proc", "2", "-tmp", "--flow", "dis"}));
		for (int i = 1; i <= 7; i++) assertTrue(Files.exists(dir.resolve(String.format("blend/%04d.png", i))), "frame " + i);
		assertTrue(Files.exists(dir.resolve("tmp/fwd/0002.png")));
		assertTrue(Files.exists(dir.resolve("tmp/bwd/0006.err")));
		// -ne: re-blend from the kept syntheses (with Poisson), write a video, drop the temporaries
		Path video = dir.resolve("out.mp4");
		assertEquals(0, RerenderCli.run(new String[] {"propagate", dir.toString(), "--itv", "3", "-ne", "-ps", "--output", video.toString(), "--fps", "10"}));
		assertEquals(7, VideoReader.readAll(video, org.rerender.engine.Progress.NONE, org.rerender.engine.Cancel.NEVER).size());
		assertFalse(Files.exists(dir.resolve("tmp")));
	}

	@Test
	void missingKeyAndBadIntervalAreClearErrors(@TempDir Path dir) throws Exception {
		List<Rgb8Image> frames = PropagationTestAccess.vtestFrames(5, 32, 24);
		for (int i = 0; i < 5; i++) FolderFrames.write(frames.get(i), dir.resolve(String.format("video/%04d.png", i + 1)));
		FolderFrames.write(frames.get(0), dir.resolve("keys/0001.png"));
		PrintStream old = System.err;
		ByteArrayOutputStream err = new ByteArrayOutputStream();
		System.setErr(new PrintStream(err, true));
		try {
			assertEquals(1, RerenderCli.run(new String[] {"propagate", dir.toString(), "--key", "keys", "--itv", "2"}));
			assertEquals(1, RerenderCli.run(new String[] {"propagate", dir.toString(), "--key", "keys", "--itv", "10"}));
			assertEquals(2, RerenderCli.run(new String[] {"propagate", dir.toString(), "--bogus"}));
		}
		finally {
			System.setErr(old);
		}
		String text = err.toString();
		assertTrue(text.contains("Missing stylised key frames [3, 5]"), text);
		assertTrue(text.contains("larger than the clip"), text);
		assertTrue(text.contains("unknown option --bogus"), text);
		// a key frame of another size is named by its file (the folder's numbers count from 1), and a video that would
		// not be an .mp4 is refused before the work
		for (int k : new int[] {3, 5}) FolderFrames.write(frames.get(k - 1), dir.resolve(String.format("keys/%04d.png", k)));
		FolderFrames.write(PropagationTestAccess.vtestFrames(1, 16, 12).get(0), dir.resolve("keys/0003.png"));
		err.reset();
		System.setErr(new PrintStream(err, true));
		try {
			assertEquals(1, RerenderCli.run(new String[] {"propagate", dir.toString(), "--key", "keys", "--itv", "2"}));
			assertEquals(1, RerenderCli.run(new String[] {"propagate", dir.toString(), "--key", "keys", "--itv", "2", "--output",
				dir.resolve("out.avi").toString()}));
		}
		finally {
			System.setErr(old);
		}
		text = err.toString();
		assertTrue(text.contains("Key frame " + dir.resolve("keys/0003.png") + " is 16x12 but the input frames are 32x24"), text);
		assertFalse(text.contains("counting from 1"), text);
		assertTrue(text.contains("must be an .mp4 file"), text);
		assertFalse(Files.exists(dir.resolve("blend/0002.png")), "nothing propagated");
	}
}
