package org.rerender.propagate.synth;

import java.util.List;

import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.engine.Progress;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;

/**
 * CPU synthesis in {@code libRerenderSynth.so} (C++17, POSIX threads). Packs the request into
 * channel-interleaved buffers (grey images count as 1 channel), splits each weight evenly
 * over its channels and calls the native code; cancel is polled between PatchMatch sweeps.
 * Thread-safe: the native side keeps no global state.
 */
public final class NativePatchSynthesizer implements PatchSynthesizer {

	private final Progress progress;
	private final boolean fullSearch;

	public NativePatchSynthesizer() {
		this(Progress.NONE);
	}

	/** @param progress receives ("synthesis", level*iterations+iteration, levels*iterations) */
	public NativePatchSynthesizer(Progress progress) {
		this(progress, false);
	}

	/** @param fullSearch plain PatchMatch random search at every level (benchmark baseline) */
	NativePatchSynthesizer(Progress progress, boolean fullSearch) {
		this.progress = progress;
		this.fullSearch = fullSearch;
	}

	@Override
	public SynthesisResult synthesize(SynthesisRequest request, Cancel cancel) {
		cancel.check();
		NativeLibrary.load();
		Rgb8Image style = request.style();
		List<Guide> guides = request.guides();
		SynthesisParams p = request.params();
		int sw = style.width(), sh = style.height();
		int tw = request.targetWidth(), th = request.targetHeight();

		int styleCh = request.styleChannels();
		byte[] styleBuf = pack(List.of(style), new int[] { styleCh }, sw * sh);
		float[] styleW = new float[styleCh];
		java.util.Arrays.fill(styleW, 1f / styleCh);

		int[] chans = new int[guides.size()];
		int guideCh = 0;
		for (int i = 0; i < chans.length; i++) guideCh += chans[i] = guides.get(i).effectiveChannels();
		float[] guideW = new float[guideCh];
		List<Rgb8Image> srcs = new java.util.ArrayList<>(), tgts = new java.util.ArrayList<>();
		for (int i = 0, c = 0; i < chans.length; i++) {
			Guide g = guides.get(i);
			srcs.add(g.source());
			tgts.add(g.target());
			for (int k = 0; k < chans[i]; k++) guideW[c++] = (float) g.channelWeight();
		}
		byte[] srcBuf = pack(srcs, chans, sw * sh);
		byte[] tgtBuf = pack(tgts, chans, tw * th);

		byte[] out = new byte[tw * th * styleCh];
		float[] err = new float[tw * th];
		EbsynthNative.Callback cb = (level, levels, it, its) -> {
			progress.report("synthesis", (long) level * its + it, (long) levels * its);
			return cancel.isRequested();
		};
		int rc = EbsynthNative.synthesize(styleCh, sw, sh, styleBuf, guideCh, srcBuf, tw, th, tgtBuf, styleW, guideW,
			p.patchSize(), (float) p.uniformityWeight(), p.pyramidLevels(), p.searchVoteIterations(),
			p.patchMatchIterations(), p.stopThreshold(), p.seed(), p.threads(), fullSearch, out, err, cb);
		if (rc == EbsynthNative.CANCELLED) throw new CancelledException();
		return new SynthesisResult(unpack(out, styleCh, tw, th), new FloatImage(tw, th, 1, err));
	}

	/** Interleaves the images' first chans[i] channels per pixel. */
	static byte[] pack(List<Rgb8Image> images, int[] chans, int pixels) {
		int total = 0;
		for (int c : chans) total += c;
		byte[] buf = new byte[pixels * total];
		int off = 0;
		for (int i = 0; i < images.size(); i++) {
			byte[] d = images.get(i).data();
			int n = chans[i];
			for (int px = 0; px < pixels; px++)
				for (int c = 0; c < n; c++) buf[px * total + off + c] = d[3 * px + c];
			off += n;
		}
		return buf;
	}

	private static Rgb8Image unpack(byte[] out, int ch, int w, int h) {
		if (ch == 3) return new Rgb8Image(w, h, out);
		byte[] rgb = new byte[3 * w * h];
		for (int i = 0; i < w * h; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = out[i];
		return new Rgb8Image(w, h, rgb);
	}
}
