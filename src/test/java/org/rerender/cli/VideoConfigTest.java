package org.rerender.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.config.RerenderConfig;

/** {@code video --cfg FILE} with options over the file (no job is run). */
class VideoConfigTest {
	@TempDir
	Path dir;

	private Path write(String json) throws Exception {
		Path f = dir.resolve("c.json");
		Files.writeString(f, "{\"input\":\"in.mp4\",\"output\":\"out/o.mp4\",\"prompt\":\"p\"," + json + "}");
		return f;
	}

	@Test
	void anOriginalStyleUpdateFrequencyFollowsAnIntervalGivenOnTheCommandLine() throws Exception {
		String cfg = write("\"interval\":10,\"style_update_freq\":10").toString();
		assertEquals(1, VideoSubcommand.config("--cfg", cfg).styleUpdateFreq, "every 10 frames at interval 10: every key frame");
		RerenderConfig five = VideoSubcommand.config("--cfg", cfg, "--interval", "5");
		assertEquals(5, five.interval);
		assertEquals(2, five.styleUpdateFreq, "every 10 frames at interval 5: every 2nd key frame");
		assertEquals(5, VideoSubcommand.config("--cfg", cfg, "--interval", "4").styleUpdateFreq, "lcm(10, 4) = 20 frames = 5 keys");
		assertEquals(3, VideoSubcommand.config("--cfg", cfg, "--interval", "5", "--style_update_freq", "3").styleUpdateFreq,
			"an explicit --style_update_freq counts key frames and wins");
		// the original default (10) when the file has none
		assertEquals(2, VideoSubcommand.config("--cfg", write("\"interval\":10").toString(), "--interval", "5").styleUpdateFreq);
	}

	@Test
	void ourFormatCountsKeyFramesAtAnyInterval() throws Exception {
		String cfg = write("\"format\":\"rerender-fiji/1\",\"interval\":10,\"style_update_freq\":3").toString();
		assertEquals(3, VideoSubcommand.config("--cfg", cfg, "--interval", "5").styleUpdateFreq);
	}
}
