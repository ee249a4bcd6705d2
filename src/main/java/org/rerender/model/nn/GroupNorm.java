package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * GroupNorm composed from primitives (DJL has none): per sample and group, subtract the mean and divide by
 * sqrt(biased variance + eps), then the per-channel affine. Normalisation and affine are always computed in F32, even
 * when activations are F16 (as ldm's {@code GroupNorm32}), and the result is cast back to the input's type. {@code eps} differs by module: 1e-5 for the
 * UNet/ControlNet ResBlocks and output norm, 1e-6 for the SpatialTransformer norm and all VAE norms. When
 * {@link TorchExt} is active it is one native call, {@code at::group_norm} in the input's own type: for F16 its
 * kernels accumulate the statistics and apply the affine in F32 and round the result once (no F32 copy).
 */
public final class GroupNorm extends Module {
	public static final int GROUPS = 32;
	private final Param weight, bias;
	private final int groups;
	private final float eps;
	private NDArray gamma, beta; // [C,1,1] views, made once after loading
	/** Tests only: sees every GroupNorm's input before it is normalised (null: nothing to do). */
	static volatile java.util.function.BiConsumer<GroupNorm, NDArray> inputProbe;

	public GroupNorm(int groups, long channels, float eps) {
		this.groups = groups;
		this.eps = eps;
		this.weight = param("weight", channels);
		this.bias = param("bias", channels);
	}

	public GroupNorm(long channels, float eps) {
		this(GROUPS, channels, eps);
	}

	@Override
	protected void onLoaded() {
		long c = weight.shape().get(0);
		gamma = weight.get().reshape(c, 1, 1);
		beta = bias.get().reshape(c, 1, 1);
	}

	/** {@code x [N,C,H,W]}. */
	public NDArray forward(NDArray x) {
		probe(x);
		if (TorchExt.active()) return TorchExt.groupNorm(x, weight.get(), bias.get(), groups, eps, false, channelsLast());
		return composed(x, gamma, beta, groups, eps, false);
	}

	/** {@code silu(forward(x))}, one fused call when {@link TorchExt} is active. */
	public NDArray forwardSilu(NDArray x) {
		probe(x);
		if (TorchExt.active()) return TorchExt.groupNorm(x, weight.get(), bias.get(), groups, eps, true, channelsLast());
		return composed(x, gamma, beta, groups, eps, true);
	}

	private void probe(NDArray x) {
		var p = inputProbe;
		if (p != null) p.accept(this, x);
	}

	/** The composed DJL path; {@code gamma, beta [C,1,1]}. */
	static NDArray composed(NDArray x, NDArray gamma, NDArray beta, int groups, float eps, boolean silu) {
		Shape shape = x.getShape();
		DataType dt = x.getDataType();
		NDArray xf = dt == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
		NDArray g = xf.reshape(shape.get(0), groups, -1);
		NDArray centred = g.sub(g.mean(new int[] {2}, true));
		NDArray var = centred.square().mean(new int[] {2}, true);
		NDArray out = centred.div(Scalars.add(var, eps).sqrt()).reshape(shape).mul(gamma).add(beta);
		out = dt == DataType.FLOAT32 ? out : out.toType(dt, false);
		return silu ? Functional.composedSilu(out) : out;
	}
}
