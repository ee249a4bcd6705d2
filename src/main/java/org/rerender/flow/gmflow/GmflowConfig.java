package org.rerender.flow.gmflow;

import java.util.ArrayList;
import java.util.List;
import org.rerender.engine.RerenderException;
import org.rerender.model.io.TensorSource;

/**
 * The shape of a GMFlow network (one scale, one head, swin attention): every width comes from the
 * weight shapes, since the checkpoint stores none of them as a number.
 *
 * @param featureChannels  transformer / matching feature width C ({@code backbone.conv2} output)
 * @param width1           CNN width of conv1 and layer1 (64 in the original)
 * @param width2           layer2 width (96)
 * @param width3           layer3 width (128)
 * @param layers           transformer blocks (6)
 * @param ffnExpansion     FFN hidden width = 2C·expansion (4)
 * @param upsampleFactor   convex upsampling factor (8)
 * @param upsamplerHidden  hidden channels of the upsampler (256)
 */
public record GmflowConfig(int featureChannels, int width1, int width2, int width3, int layers, int ffnExpansion,
	int upsampleFactor, int upsamplerHidden)
{
	/** The configuration Rerender uses with {@code gmflow_sintel-0c07dcb3.pth}. */
	public static GmflowConfig sintel() {
		return new GmflowConfig(128, 64, 96, 128, 6, 4, 8, 256);
	}

	/** Reads every width from the weight shapes; a source that is not GMFlow is named by its missing keys. */
	public static GmflowConfig fromShapes(TensorSource src) {
		String[] needed = {"backbone.conv1.weight", "backbone.layer2.0.conv1.weight", "backbone.layer3.0.conv1.weight",
			"backbone.conv2.weight", "transformer.layers.0.cross_attn_ffn.mlp.0.weight", "feature_flow_attn.q_proj.weight",
			"upsampler.0.weight", "upsampler.2.weight"};
		List<String> missing = new ArrayList<>();
		for (String k : needed) if (!src.contains(k)) missing.add(k);
		if (!missing.isEmpty())
			throw new RerenderException("This checkpoint is not a GMFlow model: missing keys " + missing
				+ ". Use gmflow_sintel-0c07dcb3.pth (see 'bin/rerender models').");
		int c = (int) src.info("backbone.conv2.weight").shape()[0];
		int layers = 0;
		while (src.contains("transformer.layers." + layers + ".self_attn.q_proj.weight")) layers++;
		long ffnHidden = src.info("transformer.layers.0.cross_attn_ffn.mlp.0.weight").shape()[0];
		long up2 = src.info("upsampler.2.weight").shape()[0];
		int factor = (int) Math.round(Math.sqrt(up2 / 9.0));
		if (factor * factor * 9L != up2 || ffnHidden % (2L * c) != 0)
			throw new RerenderException("Unexpected GMFlow weight shapes (upsampler.2 " + up2 + " channels, FFN " + ffnHidden + ")");
		if (factor != GmflowNetwork.STRIDE)
			throw new RerenderException("This GMFlow checkpoint upsamples by " + factor + " (a multi-scale/refinement model); "
				+ "Rerender uses the one-scale model with x" + GmflowNetwork.STRIDE + " upsampling: use gmflow_sintel-0c07dcb3.pth.");
		return new GmflowConfig(c, (int) src.info("backbone.conv1.weight").shape()[0],
			(int) src.info("backbone.layer2.0.conv1.weight").shape()[0],
			(int) src.info("backbone.layer3.0.conv1.weight").shape()[0], layers, (int) (ffnHidden / (2L * c)), factor,
			(int) src.info("upsampler.0.weight").shape()[0]);
	}
}
