package org.rerender.propagate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.rerender.engine.Cancel;
import org.rerender.engine.RerenderException;
import org.rerender.engine.Sha256;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.synth.Guide;
import org.rerender.propagate.synth.PatchSynthesizer;
import org.rerender.propagate.synth.SynthesisParams;
import org.rerender.propagate.synth.SynthesisRequest;
import org.rerender.propagate.synth.SynthesisResult;

/**
 * One interval between neighbouring key frames: the forward sequence from the left key, the
 * backward sequence from the right key (frame after frame, algorithm notes §4), then blending of
 * every in-between frame. Not thread-safe; one instance per interval and run.
 */
final class IntervalPropagation {
	private final FrameSource source;
	private final FrameFlow frameFlow;
	private final PatchSynthesizer synthesizer;
	private final PropagationOptions options;
	private final SynthesisParams params;
	private final IntermediateStore store;
	private final Runnable onStep;
	private final Map<Long, FrameFlow.Pair> flows = new HashMap<>();

	IntervalPropagation(FrameSource source, FrameFlow frameFlow, PatchSynthesizer synthesizer, PropagationOptions options,
		int synthesisThreads, IntermediateStore store, Runnable onStep)
	{
		this.source = source;
		this.frameFlow = frameFlow;
		this.synthesizer = synthesizer;
		this.options = options;
		this.params = options.synthesis().withThreads(synthesisThreads);
		this.store = store;
		this.onStep = onStep;
	}

	/** Outputs for frames {@code left … right} (both keys included, as the stylised keys themselves). */
	List<Rgb8Image> run(int left, int right, Cancel cancel) {
		Rgb8Image leftKey = source.key(left), rightKey = source.key(right);
		int k = right - left;
		List<Rgb8Image> out = new ArrayList<>(k + 1);
		out.add(leftKey);
		if (k >= 2) {
			SynthesisResult[] fwd = direction(left, right, true, cancel);
			SynthesisResult[] bwd = direction(right, left, false, cancel);
			byte[] previousMask = null;
			for (int i = 0; i <= k - 2; i++) {
				cancel.check();
				int frame = left + i + 1;
				SynthesisResult a = fwd[i + 1], b = bwd[k - 1 - i];
				double w1 = SelectionMask.backwardWeight(i, k);
				byte[] mask = SelectionMask.select(a.error(), b.error(), w1);
				if (previousMask != null) SelectionMask.orWarped(mask, previousMask, flow(frame - 1, frame).flow());
				previousMask = mask;
				Rgb8Image composite = SelectionMask.composite(a.image(), b.image(), mask);
				Rgb8Image blended = HistogramBlend.blend(a.image(), b.image(), composite, 1 - w1, w1);
				if (options.poisson()) blended = PoissonFusion.fuse(blended, a.image(), b.image(), mask);
				out.add(blended);
			}
		}
		out.add(rightKey);
		flows.clear();
		return out;
	}

	/**
	 * Synthesises frames {@code key, key±1, …} up to (excluding) {@code other}; element t is the
	 * t-th frame from the key (element 0, the key itself, is left null).
	 */
	private SynthesisResult[] direction(int key, int other, boolean forward, Cancel cancel) {
		int step = forward ? 1 : -1;
		int len = Math.abs(other - key);
		SynthesisResult[] results = new SynthesisResult[len];
		Rgb8Image style = source.key(key);
		Rgb8Image keyFrame = source.frame(key);
		Rgb8Image keyEdge = GuideImages.laplacianEdge(keyFrame);
		Rgb8Image coords = GuideImages.coordinateImage(keyFrame.width(), keyFrame.height());
		Rgb8Image positional = coords;
		Rgb8Image previous = style;
		byte[] request = sequenceRequest(key, forward, style, keyFrame);
		for (int t = 1; t < len; t++) {
			cancel.check();
			int j = key + t * step;
			FrameFlow.Step s = flow(j - step, j);
			positional = OpenCvOps.inpaintTelea(GuideImages.warpNearest(positional, s.flow()), s.occlusion(), OpenCvOps.TELEA_RADIUS);
			Rgb8Image frame = checkedFrame(j, keyFrame);
			request = frameRequest(request, j, frame);
			String requestText = "sha256:" + Sha256.hex(request);
			SynthesisResult r = store.load(forward, j, requestText);
			if (r == null) {
				if (options.synthesisFromStore())
					throw new RerenderException("No stored " + (forward ? "forward" : "backward") + " synthesis for frame " + j
						+ " made from these key frames, frames and settings (synthesis was switched off: run once with synthesis on,"
						+ " keeping temporary files, after any change of the key frames, frames, flow or settings).");
				Rgb8Image temporal = OpenCvOps.inpaintTelea(GuideImages.warpNearest(previous, s.flow()), s.occlusion(), OpenCvOps.TELEA_RADIUS);
				List<Guide> guides = new ArrayList<>(4);
				addGuide(guides, keyFrame, frame, options.colourWeight());
				addGuide(guides, keyEdge, GuideImages.laplacianEdge(frame), options.edgeWeight());
				addGuide(guides, style, temporal, options.temporalWeight());
				addGuide(guides, coords, positional, options.positionalWeight());
				r = synthesizer.synthesize(new SynthesisRequest(style, guides, params), cancel);
				store.save(forward, j, requestText, r);
			}
			results[t] = r;
			previous = r.image();
			onStep.run();
		}
		return results;
	}

	/**
	 * The digest a direction's requests start from: everything its syntheses depend on besides the frames after the
	 * key (style key image, the key's frame, flow, guide weights, synthesis settings except the thread count, which
	 * does not change results). Each frame then chains its own index and pixels ({@link #frameRequest}), so frame
	 * {@code j}'s request names the whole sequence from the key to it (its temporal and positional guides come from
	 * the frames before it).
	 */
	private byte[] sequenceRequest(int key, boolean forward, Rgb8Image style, Rgb8Image keyFrame) {
		MessageDigest md = Sha256.digest();
		text(md, "rerender-synthesis 1\n" + (forward ? "forward" : "backward") + " from key " + key + "\nflow " + frameFlow.id()
			+ "\nweights " + options.colourWeight() + " " + options.edgeWeight() + " " + options.temporalWeight() + " "
			+ options.positionalWeight() + "\nsynthesis " + params.withThreads(1) + "\n");
		image(md, style);
		image(md, keyFrame);
		return md.digest();
	}

	private static byte[] frameRequest(byte[] previous, int frame, Rgb8Image pixels) {
		MessageDigest md = Sha256.digest();
		md.update(previous);
		text(md, "\nframe " + frame + "\n");
		image(md, pixels);
		return md.digest();
	}

	private static void text(MessageDigest md, String s) {
		md.update(s.getBytes(StandardCharsets.UTF_8));
	}

	private static void image(MessageDigest md, Rgb8Image img) {
		text(md, img.width() + "x" + img.height() + "\n");
		md.update(img.data());
	}

	private static void addGuide(List<Guide> guides, Rgb8Image src, Rgb8Image dst, double weight) {
		if (weight > 0) guides.add(new Guide(src, dst, weight));
	}

	private Rgb8Image checkedFrame(int j, Rgb8Image like) {
		Rgb8Image f = source.frame(j);
		if (!f.sameSize(like))
			throw new RerenderException("Frame " + j + " is " + f.width() + "x" + f.height() + " but the other frames are " + like.width() + "x" + like.height() + ".");
		return f;
	}

	/**
	 * Flow and occlusion for the step between two neighbouring frames. Both steps of a pair of frames come from one
	 * {@link FrameFlow#pair} call, cached for the interval under the unordered pair: the forward sequence's step
	 * {@code j−1 → j} and the backward sequence's {@code j → j−1} share their flows.
	 */
	private FrameFlow.Step flow(int from, int to) {
		int lo = Math.min(from, to), hi = Math.max(from, to);
		long key = ((long) lo << 32) | (hi & 0xffffffffL);
		FrameFlow.Pair pair = flows.computeIfAbsent(key, x -> {
			Rgb8Image a = source.frame(lo), b = source.frame(hi);
			if (!a.sameSize(b))
				throw new RerenderException("Frames " + lo + " and " + hi + " differ in size (" + a.width() + "x" + a.height() + " vs " + b.width() + "x" + b.height() + ").");
			return frameFlow.pair(a, b);
		});
		return from < to ? pair.forward() : pair.backward();
	}
}
