package org.rerender.fiji;

import ij.ImagePlus;
import ij.ImageStack;
import ij.process.ByteProcessor;
import ij.process.FloatProcessor;
import java.util.List;
import org.rerender.engine.RerenderException;
import org.rerender.flow.FlowEstimator;
import org.rerender.flow.FlowEstimators;
import org.rerender.flow.FlowField;
import org.rerender.flow.FlowMethod;
import org.rerender.flow.FlowSequence;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;

/**
 * {@code Plugins > Rerender > Compute Optical Flow}: flow and occlusion between neighbouring frames of a stack.
 * Outputs, with T = frames − 1 pairs (pair t = frames t and t+1, 1-based):
 * <ul>
 * <li>{@code forward_flow}: 32-bit hyperstack, 2 channels (c1 = x, c2 = y displacement in pixels), T frames; frame t
 * is the flow from frame t to t+1 on frame t's grid;</li>
 * <li>{@code backward_flow}: the same layout; frame t is the flow from frame t+1 to t on frame t+1's grid;</li>
 * <li>{@code occlusion}: 8-bit, 255 = occluded; direction "both": 2 channels (c1 forward = pixels of frame t not
 * visible in t+1, c2 backward = pixels of t+1 not visible in t), otherwise 1 channel of that direction.</li>
 * </ul>
 * Flows of a direction not asked for are not output (both are always computed: the occlusion test needs them).
 * Titles: the input's title without its extension, then " forward flow", " backward flow", " occlusion".
 */
@Plugin(type = Command.class, menuPath = "Plugins>Rerender>Compute Optical Flow", label = "Compute Optical Flow",
	headless = true)
public class ComputeOpticalFlowCommand extends EngineCommand {
	public static final String BOTH = "both", FORWARD = "forward", BACKWARD = "backward";

	@Parameter(label = "Frames", description = "A stack of at least 2 frames (RGB; other types use their display range)")
	private ImagePlus image;

	@Parameter(label = "Method", choices = { "auto", "dis", "gmflow" }, persist = false,
		description = "auto: GMFlow when its weights are installed, else DIS (OpenCV, no weights)")
	private String method = "auto";

	@Parameter(label = "Direction", choices = { BOTH, FORWARD, BACKWARD }, persist = false,
		description = "Which flows and occlusion masks to output")
	private String direction = BOTH;

	@Parameter(type = ItemIO.OUTPUT, label = "Forward flow", required = false)
	private ImagePlus forward_flow;

	@Parameter(type = ItemIO.OUTPUT, label = "Backward flow", required = false)
	private ImagePlus backward_flow;

	@Parameter(type = ItemIO.OUTPUT, label = "Occlusion")
	private ImagePlus occlusion;

	@Parameter
	private RerenderService rerender;

	@Override
	protected void execute() {
		if (image == null || image.getWidth() == 0) throw new RerenderException("No stack given: open a stack of at least 2 frames.");
		List<Rgb8Image> frames = ImageFrames.frames(image); // the time axis; composites merged as displayed
		int n = frames.size();
		if (n < 2) throw new RerenderException("Optical flow needs a stack of at least 2 frames; \"" + image.getTitle() + "\" has " + n + ".");
		if (!(direction.equals(BOTH) || direction.equals(FORWARD) || direction.equals(BACKWARD)))
			throw new RerenderException("direction must be both, forward or backward, not '" + direction + "'");
		boolean fwd = !direction.equals(BACKWARD), bwd = !direction.equals(FORWARD);
		int w = image.getWidth(), h = image.getHeight();
		ImageStack ff = new ImageStack(w, h), bf = new ImageStack(w, h), occ = new ImageStack(w, h);
		try (FlowEstimator est = FlowEstimators.create(FlowMethod.parse(method))) {
			FlowSequence.run(est, frames::get, n, null, p -> {
				if (fwd) addFlow(ff, p.flow().forward());
				if (bwd) addFlow(bf, p.flow().backward());
				if (fwd) occ.addSlice(mask(p.forwardOcclusion()));
				if (bwd) occ.addSlice(mask(p.backwardOcclusion()));
			}, rerender.progress(), cancelToken);
		}
		finally {
			rerender.done();
		}
		String t = ImageFrames.baseTitle(image); // "clip 1.mp4" -> "clip 1"
		forward_flow = fwd ? hyperstack(t + " forward flow", ff, 2, n - 1) : null;
		backward_flow = bwd ? hyperstack(t + " backward flow", bf, 2, n - 1) : null;
		occlusion = hyperstack(t + " occlusion", occ, fwd && bwd ? 2 : 1, n - 1);
	}

	/** Titled uniquely; the input's spatial calibration and frame rate are kept (the flow values stay in pixels). */
	private ImagePlus hyperstack(String title, ImageStack s, int channels, int frames) {
		ImagePlus imp = ImageFrames.newImage(title, s);
		imp.setDimensions(channels, 1, frames);
		if (channels > 1) imp.setOpenAsHyperStack(true);
		ImageFrames.copyCalibration(image, imp);
		return imp;
	}

	private static void addFlow(ImageStack s, FlowField f) {
		float[] d = f.data();
		int n = f.width() * f.height();
		float[] u = new float[n], v = new float[n];
		for (int i = 0; i < n; i++) {
			u[i] = d[2 * i];
			v[i] = d[2 * i + 1];
		}
		s.addSlice("x", new FloatProcessor(f.width(), f.height(), u));
		s.addSlice("y", new FloatProcessor(f.width(), f.height(), v));
	}

	private static ByteProcessor mask(FloatImage m) {
		byte[] b = new byte[m.data().length];
		for (int i = 0; i < b.length; i++) b[i] = m.data()[i] > 0.5f ? (byte) 255 : 0;
		return new ByteProcessor(m.width(), m.height(), b);
	}
}
