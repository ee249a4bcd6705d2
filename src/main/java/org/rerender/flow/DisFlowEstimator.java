package org.rerender.flow;

import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_RGB2GRAY;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;

import java.nio.FloatBuffer;
import java.util.Locale;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_video.DISOpticalFlow;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;

/**
 * Dense optical flow with OpenCV's DIS (Dense Inverse Search, Kroeger et al. 2016) through JavaCV.
 * Frames are converted to grey (OpenCV's RGB→grey, 0.299R + 0.587G + 0.114B) and DIS runs on them with
 * the {@link Settings}. Needs no weights; it is the default when GMFlow is not installed.
 * <p>
 * Thread safety: one native DIS object per estimator, calls are serialised ({@code synchronized});
 * for parallel flow use one estimator per thread.
 */
public final class DisFlowEstimator implements FlowEstimator {

	/** OpenCV's three presets (values below are OpenCV's, see {@link Settings#of}). */
	public enum Preset {
		ULTRAFAST(DISOpticalFlow.PRESET_ULTRAFAST), FAST(DISOpticalFlow.PRESET_FAST), MEDIUM(DISOpticalFlow.PRESET_MEDIUM);

		final int cv;

		Preset(int cv) {
			this.cv = cv;
		}

		public static Preset parse(String s) {
			return valueOf(s.trim().toUpperCase(Locale.ROOT));
		}
	}

	/**
	 * DIS settings: a preset plus overrides; a negative override keeps the preset's value.
	 * OpenCV's presets (finest scale, patch size, patch stride, gradient-descent iterations,
	 * variational-refinement iterations): ULTRAFAST (2, 8, 4, 12, 0), FAST (2, 8, 4, 16, 5),
	 * MEDIUM (1, 8, 3, 25, 5) (checked by {@code DisFlowPaddingTest}). The finest scale is the pyramid level the result is computed at
	 * (0 = full resolution; the flow is upsampled from there); mean normalisation and spatial
	 * propagation are on in every preset.
	 *
	 * @param preset the base preset
	 * @param finestScale pyramid level of the output (0 = full resolution), or -1
	 * @param patchSize patch side in pixels, or -1
	 * @param patchStride stride between patches in pixels, or -1
	 * @param gradientDescentIterations inverse-search iterations per patch, or -1
	 * @param variationalRefinementIterations refinement iterations per level, or -1
	 */
	public record Settings(Preset preset, int finestScale, int patchSize, int patchStride,
		int gradientDescentIterations, int variationalRefinementIterations)
	{
		/** A preset with no overrides. */
		public static Settings of(Preset preset) {
			return new Settings(preset, -1, -1, -1, -1, -1);
		}

		/**
		 * The project default: MEDIUM refined down to full resolution (finest scale 0). On the EPE benchmark
		 * ({@code DisFlowBenchmarkTest}, README flow section) it has 2–3× less end-point error than plain
		 * MEDIUM for about 4× the time (a few hundred ms per 512×512 flow on 2 cores), small next to diffusion
		 * and patch synthesis, and the temporal consistency of the whole video rests on the flow.
		 */
		public static Settings defaults() {
			return of(Preset.MEDIUM).withFinestScale(0);
		}

		public Settings withFinestScale(int s) {
			return new Settings(preset, s, patchSize, patchStride, gradientDescentIterations, variationalRefinementIterations);
		}
	}

	private final Settings settings;
	private DISOpticalFlow dis;

	public DisFlowEstimator() {
		this(Settings.defaults());
	}

	public DisFlowEstimator(Settings settings) {
		this.settings = settings;
		DISOpticalFlow d = DISOpticalFlow.create(settings.preset().cv);
		if (settings.finestScale() >= 0) d.setFinestScale(settings.finestScale());
		if (settings.patchSize() > 0) d.setPatchSize(settings.patchSize());
		if (settings.patchStride() > 0) d.setPatchStride(settings.patchStride());
		if (settings.gradientDescentIterations() >= 0) d.setGradientDescentIterations(settings.gradientDescentIterations());
		if (settings.variationalRefinementIterations() >= 0)
			d.setVariationalRefinementIterations(settings.variationalRefinementIterations());
		this.dis = d;
	}

	public Settings settings() {
		return settings;
	}

	@Override
	public FlowMethod method() {
		return FlowMethod.DIS;
	}

	@Override
	public synchronized FlowField flow(Rgb8Image from, Rgb8Image to) {
		FlowEstimator.checkPair(from, to);
		if (dis == null) throw new IllegalStateException("DisFlowEstimator is closed");
		int w = from.width(), h = from.height();
		// OpenCV's DIS refuses frames whose coarsest pyramid level would be negative ("must have either width or
		// height >= 12", see accepts): only those are padded, by repeating their edges on both sides, and the flow
		// is cut back to the frame
		int[] size = paddedSize(w, h, dis.getPatchSize());
		int padW = size[0] - w, padH = size[1] - h, left = padW / 2, top = padH / 2;
		try (Mat g0 = pad(grey(from), left, top, padW - left, padH - top);
			Mat g1 = pad(grey(to), left, top, padW - left, padH - top); Mat flow = new Mat())
		{
			if (padW + padH == 0) dis.calc(g0, g1, flow);
			else {
				try (Mat full = new Mat(); org.bytedeco.opencv.opencv_core.Rect frame = new org.bytedeco.opencv.opencv_core.Rect(left, top, w, h)) {
					dis.calc(g0, g1, full);
					try (Mat view = full.apply(frame)) {
						view.copyTo(flow);
					}
				}
			}
			if (flow.rows() != h || flow.cols() != w || flow.channels() != 2 || !flow.isContinuous())
				throw new RerenderException("OpenCV DIS returned an unexpected flow (" + flow.cols() + "x" + flow.rows() + ")");
			float[] out = new float[2 * w * h];
			FloatBuffer fb = flow.createBuffer();
			fb.get(out);
			return new FlowField(w, h, out);
		}
	}

	/**
	 * Whether OpenCV's DIS ({@code DISOpticalFlowImpl::calc}) takes a w×h frame with this patch size: it picks its
	 * coarsest pyramid level as the smaller of round-ish log2(longer side / (4·patch)) (the +0.5 then truncation
	 * toward zero of its C++ code) and log2(⌊shorter side / patch⌋), and refuses a negative one. So the shorter side
	 * must be at least one patch and the longer side more than patch·√2 (12 pixels for a patch of 8).
	 */
	static boolean accepts(int w, int h, int patch) {
		if (Math.min(w, h) < patch) return false;
		double level = Math.log(Math.max(w, h) / (4.0 * patch)) / Math.log(2.0) + 0.5;
		return (int) level >= 0;
	}

	/** The smallest size grown from w×h that DIS {@link #accepts} (w×h itself when it does), as {width, height}. */
	static int[] paddedSize(int w, int h, int patch) {
		int pw = Math.max(w, patch), ph = Math.max(h, patch);
		while (!accepts(pw, ph, patch)) {
			if (pw >= ph) pw++;
			else ph++;
		}
		return new int[] {pw, ph};
	}

	/** {@code g} grown by the given columns and rows repeating its edges (itself when none). */
	private static Mat pad(Mat g, int left, int top, int right, int bottom) {
		if (left + top + right + bottom == 0) return g;
		Mat p = new Mat();
		org.bytedeco.opencv.global.opencv_core.copyMakeBorder(g, p, top, bottom, left, right,
			org.bytedeco.opencv.global.opencv_core.BORDER_REPLICATE);
		g.close();
		return p;
	}

	private static Mat grey(Rgb8Image img) {
		try (Mat rgb = new Mat(img.height(), img.width(), CV_8UC3)) {
			rgb.data().put(img.data());
			Mat g = new Mat();
			cvtColor(rgb, g, COLOR_RGB2GRAY);
			return g;
		}
	}

	@Override
	public synchronized void close() {
		if (dis != null) {
			dis.close();
			dis = null;
		}
	}

	/** Registers DIS in {@link FlowEstimators}; always available. */
	static final class Provider implements FlowEstimatorProvider {
		@Override
		public FlowMethod method() {
			return FlowMethod.DIS;
		}

		@Override
		public String unavailableReason() {
			return null;
		}

		@Override
		public FlowEstimator create() {
			return new DisFlowEstimator();
		}
	}
}
