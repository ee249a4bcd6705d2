package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.IJ;
import java.awt.event.KeyEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.fiji.ij1.CommandBridge;
import org.rerender.testing.Fixtures;
import org.rerender.video.TestClips;
import org.scijava.command.CommandModule;

/**
 * Cancelling a long Rerender run from Fiji: Esc (ImageJ's flag, as its key listener sets it) and an interrupted IJ1
 * caller (an aborted macro) stop the command within a few engine steps, with the cancelled state and no output
 * video. A 24-frame clip at interval 1 with the tiny models: 23 key frames, far longer than the wait for a stop.
 */
class EscapeCancelTest {
	@TempDir
	static Path dir;
	static Path clip;
	static TinyCommands fiji;

	@BeforeAll
	static void start() throws Exception {
		fiji = TinyCommands.open(dir);
		clip = TestClips.smallClip(dir.resolve("clip.mp4"), 24);
	}

	@AfterAll
	static void stop() {
		IJ.resetEscape();
		if (fiji != null) fiji.close();
	}

	static Map<String, Object> longRun(Path work) {
		Map<String, Object> m = fiji.settings(work);
		m.put("input_file", clip.toFile());
		m.put("image_resolution", 64);
		m.put("ddim_steps", 4);
		m.put("interval", 1);
		m.put("seed", 5L);
		return m;
	}

	@Test
	void escStopsTheRunWithTheCancelledStateAndNoOutput() throws Exception {
		Path work = dir.resolve("esc");
		IJ.setKeyDown(KeyEvent.VK_ESCAPE); // a stale Esc from before the command: cleared when it starts
		Future<CommandModule> run = fiji.commands.run(RerenderVideoCommand.class, true, longRun(work));
		awaitOrFail(() -> Files.exists(work.resolve("keys/0000.png")) || run.isDone(), "the first frame");
		assertFalse(run.isDone(), "the run ended before Esc (a stale Esc cancelled it?): " + reason(run));

		long t0 = System.nanoTime();
		IJ.setKeyDown(KeyEvent.VK_ESCAPE);
		CommandModule m = run.get(60, TimeUnit.SECONDS);
		double seconds = (System.nanoTime() - t0) / 1e9;
		assertTrue(seconds < 20, "stopped " + seconds + " s after Esc");
		assertTrue(m.isCanceled());
		assertEquals(EngineCommand.CANCELLED_BY_ESC, m.getCancelReason());
		assertNull(m.getOutput("output_video"), "no output published");
		assertNull(m.getOutput("key_frames"));
		assertFalse(Files.exists(work.resolve("output.mp4")), "no output video");
		assertTrue(keyCount(work) < 24, "stopped before the last key frame: " + keyCount(work));
		assertFalse(IJ.escapePressed(), "the Esc flag is reset once handled");
	}

	@Test
	void interruptedMacroThreadCancelsTheCommandAndWaitsForItsStop() throws Exception {
		Path work = dir.resolve("interrupt");
		String options = "input_file=[" + clip + "] work_dir=[" + work + "] prompt=[an oil painting] controlnet_model=["
			+ Fixtures.file("tiny-controlnet.safetensors") + "] sd_model=[" + Fixtures.file("tiny-sd15.safetensors") + "] models_dir=["
			+ fiji.models + "] control_type=canny image_resolution=64 ddim_steps=4 interval=1 seed=5 n_proc=1";
		AtomicReference<Throwable> failure = new AtomicReference<>();
		Thread caller = new Thread(() -> {
			try {
				CommandBridge.run(RerenderVideoCommand.class.getName(), options);
			}
			catch (Throwable t) {
				failure.set(t);
			}
		}, "macro");
		caller.start();
		awaitOrFail(() -> Files.exists(work.resolve("keys/0000.png")) || !caller.isAlive(), "the first frame");
		assertTrue(caller.isAlive(), "the run ended before the interrupt: " + failure.get());

		caller.interrupt();
		caller.join(60_000);
		assertFalse(caller.isAlive(), "the bridge returned once the command stopped");
		assertNotNull(failure.get(), "an interrupted run is not reported as done");
		assertTrue(failure.get().getMessage().startsWith("Cancelled"), failure.get().toString());
		int keys = keyCount(work);
		Thread.sleep(500);
		assertEquals(keys, keyCount(work), "the command wrote nothing after the bridge returned");
		assertTrue(keys < 24, "stopped before the last key frame: " + keys);
		assertFalse(Files.exists(work.resolve("output.mp4")), "no output video");
	}

	private static void awaitOrFail(BooleanSupplier done, String what) throws InterruptedException {
		long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
		while (!done.getAsBoolean()) {
			assertTrue(System.nanoTime() < end, "timed out waiting for " + what);
			Thread.sleep(20);
		}
	}

	private static int keyCount(Path work) throws Exception {
		try (Stream<Path> s = Files.list(work.resolve("keys"))) {
			return s.filter(p -> p.getFileName().toString().matches("\\d{4}\\.png")).mapToInt(p -> 1).sum();
		}
	}

	private static String reason(Future<CommandModule> run) {
		try {
			return run.isDone() ? String.valueOf(run.get().getCancelReason()) : "";
		}
		catch (Exception e) {
			return e.toString();
		}
	}
}
