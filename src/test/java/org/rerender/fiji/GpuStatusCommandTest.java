package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.engine.Djl;
import org.rerender.pipeline.GpuStatus;
import org.rerender.testing.MacroRunner;
import org.scijava.Context;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;
import org.scijava.log.LogService;

/** GPU Status headless through the CommandService and through ImageJ 1.x's macro interpreter. */
class GpuStatusCommandTest {
	static Context context;
	static CommandService commands;

	@BeforeAll
	static void start() {
		context = new Context(CommandService.class, LogService.class);
		commands = context.service(CommandService.class);
	}

	@AfterAll
	static void stop() {
		context.dispose();
	}

	/** A GPU index this machine does not have. */
	private static boolean noSecondGpu() {
		Engine e = Djl.engine();
		return !e.hasCapability("CUDA") || e.getGpuCount() < 2;
	}

	@Test
	void reportsWhatTheCliPrints() throws Exception {
		CommandModule m = commands.run(GpuStatusCommand.class, true, Map.of("device", "cpu")).get();
		assertFalse(m.isCanceled(), m.getCancelReason());
		String status = (String) m.getOutput("gpu_status");
		assertEquals(GpuStatus.probe("cpu").line(), status, "one implementation for the CLI and the command");
		assertTrue(status.startsWith("libtorch " + Djl.engine().getVersion() + ", CUDA natives: "), status);
		assertTrue(status.contains("; device: cpu, F32; fused ops: "), status);

		String auto = (String) commands.run(GpuStatusCommand.class, true, Map.of()).get().getOutput("gpu_status");
		assertEquals(GpuStatus.probe("auto").line(), auto);
		if (!Djl.engine().hasCapability("CUDA"))
			assertTrue(auto.contains("device: cpu, F32 (auto: the PyTorch natives have no CUDA; see README, GPU)"), auto);
	}

	@Test
	void anImpossibleGpuCancelsWithTheReason() throws Exception {
		if (!noSecondGpu()) return; // this machine has cuda:1
		CommandModule m = commands.run(GpuStatusCommand.class, true, Map.of("device", "cuda:1")).get();
		assertTrue(m.isCanceled());
		assertTrue(m.getCancelReason().startsWith("Device cuda:1 asked for, but "), m.getCancelReason());
		assertEquals(m.getCancelReason(), m.getOutput("gpu_status"));
	}

	@Test
	void macro() {
		assertEquals("org.rerender.fiji.ij1.CommandBridge(\"org.rerender.fiji.GpuStatusCommand\")",
			MacroRunner.registerCommands().get("GPU Status"));
		String out = MacroRunner.run("run(\"GPU Status\", \"device=cpu\"); return \"ok\";", "");
		assertEquals("ok", out);
		if (noSecondGpu()) {
			AssertionError e = assertThrows(AssertionError.class, () -> MacroRunner.run("run(\"GPU Status\", \"device=cuda:1\");", ""));
			assertTrue(e.getMessage().contains("Device cuda:1 asked for, but "), e.getMessage());
		}
	}
}
