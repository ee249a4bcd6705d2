package org.rerender.fiji;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ColorProcessor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rerender.flow.DisFlowEstimator;
import org.rerender.flow.FlowField;
import org.rerender.flow.FlowOps;
import org.rerender.image.Rgb8Image;
import org.rerender.video.TestClips;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;

/** Compute Optical Flow headless through the CommandService, with snake_case keys as a macro passes them. */
class ComputeOpticalFlowCommandTest {
	static Context context;
	static CommandService commands;
	static List<Rgb8Image> frames;
	static ImagePlus stack;

	@BeforeAll
	static void setUp() {
		context = new Context(CommandService.class, StatusService.class, RerenderService.class);
		commands = context.service(CommandService.class);
		frames = TestClips.smallFrames().subList(0, 4);
		ImageStack s = new ImageStack(frames.get(0).width(), frames.get(0).height());
		for (Rgb8Image f : frames) {
			int[] px = new int[f.width() * f.height()];
			for (int i = 0; i < px.length; i++)
				px[i] = (f.data()[3 * i] & 0xff) << 16 | (f.data()[3 * i + 1] & 0xff) << 8 | (f.data()[3 * i + 2] & 0xff);
			s.addSlice(new ColorProcessor(f.width(), f.height(), px));
		}
		stack = new ImagePlus("city", s);
	}

	@AfterAll
	static void tearDown() {
		context.dispose();
	}

	private static FlowField flowAt(ImagePlus flow, int t) {
		ImageStack s = flow.getStack();
		float[] u = (float[]) s.getPixels(flow.getStackIndex(1, 1, t)), v = (float[]) s.getPixels(flow.getStackIndex(2, 1, t));
		float[] d = new float[2 * u.length];
		for (int i = 0; i < u.length; i++) {
			d[2 * i] = u[i];
			d[2 * i + 1] = v[i];
		}
		return new FlowField(flow.getWidth(), flow.getHeight(), d);
	}

	@Test
	void bothDirections() throws Exception {
		CommandModule m = commands.run(ComputeOpticalFlowCommand.class, true,
			Map.of("image", stack, "method", "dis", "direction", "both")).get();
		ImagePlus ff = (ImagePlus) m.getOutput("forward_flow"), bf = (ImagePlus) m.getOutput("backward_flow");
		ImagePlus occ = (ImagePlus) m.getOutput("occlusion");
		for (ImagePlus f : new ImagePlus[] { ff, bf }) {
			assertEquals(2, f.getNChannels());
			assertEquals(3, f.getNFrames());
			assertEquals(ImagePlus.GRAY32, f.getType());
		}
		assertEquals(2, occ.getNChannels());
		assertEquals(3, occ.getNFrames());
		assertEquals(ImagePlus.GRAY8, occ.getType());
		try (DisFlowEstimator dis = new DisFlowEstimator()) {
			assertArrayEquals(dis.flow(frames.get(1), frames.get(2)).data(), flowAt(ff, 2).data(), 1e-4f, "forward t=2: 2 -> 3");
			assertArrayEquals(dis.flow(frames.get(2), frames.get(1)).data(), flowAt(bf, 2).data(), 1e-4f, "backward t=2: 3 -> 2");
		}
		byte[] bwdOcc = (byte[]) occ.getStack().getPixels(occ.getStackIndex(2, 1, 3));
		float[] want = FlowOps.occlusion(flowAt(bf, 3), flowAt(ff, 3)).data();
		int occluded = 0;
		for (int i = 0; i < want.length; i++) {
			assertEquals(want[i] > 0 ? 255 : 0, bwdOcc[i] & 0xff);
			if (want[i] > 0) occluded++;
		}
		assertTrue(occluded < want.length / 2, "real neighbouring frames are mostly consistent");
	}

	@Test
	void forwardOnlyAndErrors() throws Exception {
		CommandModule m = commands.run(ComputeOpticalFlowCommand.class, true,
			Map.of("image", stack, "method", "dis", "direction", "forward")).get();
		assertNull(m.getOutput("backward_flow"));
		assertEquals(1, ((ImagePlus) m.getOutput("occlusion")).getNChannels());
		ImagePlus one = new ImagePlus("one", stack.getStack().getProcessor(1));
		m = commands.run(ComputeOpticalFlowCommand.class, true, Map.of("image", one, "method", "dis")).get();
		assertTrue(m.isCanceled(), "a clear cancel reason, no exception");
		assertTrue(m.getCancelReason().contains("at least 2 frames"), m.getCancelReason());
	}
}
