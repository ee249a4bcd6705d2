package org.rerender.flow.gmflow;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import org.rerender.engine.Djl;
import org.rerender.engine.RerenderException;
import org.rerender.flow.BidirectionalFlow;
import org.rerender.flow.FlowEstimator;
import org.rerender.flow.FlowEstimatorProvider;
import org.rerender.flow.FlowField;
import org.rerender.flow.FlowMethod;
import org.rerender.image.Rgb8Image;
import org.rerender.model.download.ModelEntry;
import org.rerender.model.download.ModelManifest;
import org.rerender.model.download.ModelStore;
import org.rerender.model.io.Checkpoints;
import org.rerender.model.io.TensorSource;
import org.rerender.model.nn.WeightLoader;

/**
 * GMFlow as a {@link FlowEstimator}: both directions in one pass, called as Rerender calls it
 * ({@code attn_splits 2}, global matching and propagation, bidirectional). Frames are padded as
 * GMFlow's InputPadder does (to multiples of 8; to multiples of 16 when 8 would leave an odd feature
 * size, which the original rejects). Calls are serialised.
 */
public final class GmflowFlowEstimator implements FlowEstimator {
	static final int ATTN_SPLITS = 2;
	/** The smallest frame side: each of the 2×2 windows must hold at least 2×2 feature pixels (8 px each). */
	public static final int MIN_SIDE = 8 * ATTN_SPLITS * 2;

	private final NDManager weights;
	private final GmflowNetwork network;

	public GmflowFlowEstimator(Path checkpoint) {
		NDManager m = Djl.newCpuManager();
		try (TensorSource src = Checkpoints.open(checkpoint)) {
			GmflowNetwork net = new GmflowNetwork(GmflowConfig.fromShapes(src));
			WeightLoader.load(net, src, m, DataType.FLOAT32, "GMFlow (" + checkpoint.getFileName() + ")");
			this.network = net;
			this.weights = m;
		}
		catch (RuntimeException e) {
			m.close();
			throw e;
		}
	}

	/** An estimator over an already loaded network (tests, benchmarks); takes ownership of {@code weights}. */
	public GmflowFlowEstimator(GmflowNetwork network, NDManager weights) {
		this.network = network;
		this.weights = weights;
	}

	public GmflowNetwork network() {
		return network;
	}

	@Override
	public FlowMethod method() {
		return FlowMethod.GMFLOW;
	}

	@Override
	public FlowField flow(Rgb8Image from, Rgb8Image to) {
		return both(from, to).forward();
	}

	@Override
	public synchronized BidirectionalFlow both(Rgb8Image a, Rgb8Image b) {
		FlowEstimator.checkPair(a, b);
		int h = a.height(), w = a.width();
		String tooSmall = unsupportedSize(w, h);
		if (tooSmall != null)
			throw new RerenderException(tooSmall + ". Choose the optical-flow method 'dis' for frames this small (or 'auto',"
				+ " which uses DIS for them).");
		int factor = GmflowNetwork.STRIDE;
		InputPadder p = InputPadder.of(h, w, factor);
		if ((p.paddedHeight() / factor) % ATTN_SPLITS != 0 || (p.paddedWidth() / factor) % ATTN_SPLITS != 0)
			p = InputPadder.of(h, w, factor * ATTN_SPLITS);
		float[] out = network.forward(weights, p.pad(planar(a), 3), p.pad(planar(b), 3), p.paddedHeight(), p.paddedWidth(),
			ATTN_SPLITS, null);
		int n = 2 * p.paddedHeight() * p.paddedWidth();
		float[] f = new float[n], bw = new float[n];
		System.arraycopy(out, 0, f, 0, n);
		System.arraycopy(out, n, bw, 0, n);
		return new BidirectionalFlow(FlowField.fromPlanar(w, h, p.unpad(f, 2)), FlowField.fromPlanar(w, h, p.unpad(bw, 2)));
	}

	@Override
	public String unsupportedSize(int width, int height) {
		return width < MIN_SIDE || height < MIN_SIDE ? "Frames of " + width + "x" + height + " are too small for GMFlow: each side"
			+ " needs at least " + MIN_SIDE + " px (2x2 attention windows of 1/8-resolution features)" : null;
	}

	static float[] planar(Rgb8Image im) {
		int n = im.width() * im.height();
		byte[] d = im.data();
		float[] out = new float[3 * n];
		for (int i = 0; i < n; i++)
			for (int c = 0; c < 3; c++) out[c * n + i] = d[3 * i + c] & 0xff;
		return out;
	}

	@Override
	public synchronized void close() {
		weights.close();
	}

	/** Registered through {@code META-INF/services}: available when the manifest's GMFlow weights are installed. */
	public static final class Provider implements FlowEstimatorProvider {
		static final String MODEL_ID = "gmflow";

		@Override
		public FlowMethod method() {
			return FlowMethod.GMFLOW;
		}

		private static Path weightsPath() {
			ModelEntry e = ModelManifest.packaged().get(MODEL_ID);
			ModelStore.Status s = ModelStore.standard().status(e);
			return s.installed() ? s.path() : null;
		}

		@Override
		public String unavailableReason() {
			try {
				return weightsPath() != null ? null
					: "GMFlow weights (gmflow_sintel-0c07dcb3.pth) are not installed: run 'bin/rerender download gmflow' "
						+ "or Plugins>Rerender>Download Models, or choose the optical-flow method 'dis'";
			}
			catch (RuntimeException e) {
				return "GMFlow weights cannot be located: " + e.getMessage();
			}
		}

		@Override
		public FlowEstimator create() {
			Path p = weightsPath();
			if (p == null) throw new RerenderException(unavailableReason());
			return new GmflowFlowEstimator(p);
		}
	}
}
