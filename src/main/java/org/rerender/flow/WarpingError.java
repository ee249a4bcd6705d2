package org.rerender.flow;

import java.util.ArrayList;
import java.util.List;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/**
 * Temporal consistency as warping error: for each frame t ≥ 1, frame t−1 is warped to t with the backward
 * flow of the <em>input</em> frames, and the mean absolute difference (0..255 units, mean over channels)
 * is taken over the pixels the consistency check marks visible. Computed for the input (the clip's own
 * error, a baseline) and the output; a stylised video is temporally consistent when its error stays close
 * to the input's.
 */
public final class WarpingError {
	private WarpingError() {}

	/** The error of frame t against the warped frame t−1, for the input and the output. */
	public record FrameError(int frame, double input, double output, double visibleFraction) {}

	public static List<FrameError> compute(List<Rgb8Image> input, List<Rgb8Image> output, FlowEstimator flow,
		Progress progress, Cancel cancel)
	{
		if (input.size() != output.size())
			throw new RerenderException("Input has " + input.size() + " frames but output has " + output.size());
		if (input.isEmpty()) throw new RerenderException("No frames to compare");
		// each frame is taken from the lists once (they may decode it on get: a long clip is never all in memory)
		Rgb8Image previousIn = input.get(0), previousOut = output.get(0);
		if (!previousIn.sameSize(previousOut))
			throw new RerenderException("Input frames are " + previousIn.width() + "x" + previousIn.height()
				+ " but output frames are " + previousOut.width() + "x" + previousOut.height());
		List<FrameError> out = new ArrayList<>();
		for (int t = 1; t < input.size(); t++) {
			cancel.check();
			Rgb8Image in = input.get(t), outFrame = output.get(t);
			BidirectionalFlow f = flow.both(previousIn, in);
			FloatImage occ = f.backwardOcclusion();
			double ei = error(previousIn, in, f.backward(), occ);
			double eo = error(previousOut, outFrame, f.backward(), occ);
			out.add(new FrameError(t, ei, eo, visible(occ)));
			previousIn = in;
			previousOut = outFrame;
			progress.report("Warping error", t, input.size() - 1);
		}
		return out;
	}

	/** Mean |current − warp(previous)| over visible pixels (occlusion 0); NaN when nothing is visible. */
	static double error(Rgb8Image previous, Rgb8Image current, FlowField backward, FloatImage occ) {
		FloatImage warped = FlowOps.warpBilinear(previous.toFloat(), backward);
		float[] w = warped.data(), o = occ.data();
		byte[] c = current.data();
		double sum = 0;
		long n = 0;
		for (int i = 0; i < o.length; i++) {
			if (o[i] != 0f) continue;
			for (int ch = 0; ch < 3; ch++) sum += Math.abs(w[3 * i + ch] - (c[3 * i + ch] & 0xff));
			n += 3;
		}
		return n == 0 ? Double.NaN : sum / n;
	}

	private static double visible(FloatImage occ) {
		long v = 0;
		for (float x : occ.data()) if (x == 0f) v++;
		return (double) v / occ.data().length;
	}
}
