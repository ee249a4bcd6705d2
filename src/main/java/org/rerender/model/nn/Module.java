package org.rerender.model.nn;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node of a network tree whose child and parameter names are the checkpoint key segments
 * (e.g. {@code input_blocks.1.0.in_layers.2.weight}). Registration order is the original's
 * {@code state_dict()} order. Constructing a module allocates no tensors: {@link #specs()} lists
 * every key and shape, and {@link WeightLoader} fills the values.
 */
public abstract class Module {
	private final Map<String, Module> children = new LinkedHashMap<>();
	private final Map<String, Param> params = new LinkedHashMap<>();
	/**
	 * Set by {@link ChannelsLast#apply} on every module of a converted network (weights channels-last, activations NHWC
	 * inside). Volatile: GroupNorm reads it on every call to decide whether our NHWC kernel may run.
	 */
	private volatile boolean channelsLast;

	protected final <M extends Module> M child(String name, M module) {
		children.put(name, module);
		return module;
	}

	protected final Param param(String name, long... shape) {
		Param p = new Param(new Shape(shape));
		params.put(name, p);
		return p;
	}

	/** Called once after all of this module's parameters were loaded (to prepare derived views). */
	protected void onLoaded() {}

	/**
	 * Called by {@link ChannelsLast#apply} (through {@link #convertToChannelsLast}) on every module of a network whose
	 * activations will be channels-last, after loading, for modules with work to do (a convolution converts its weight).
	 */
	protected void onChannelsLast() {}

	/**
	 * Converts this one module (not its children) to channels-last, once: {@link #onChannelsLast}, then
	 * {@link #channelsLast()} is true. {@link ChannelsLast#apply} calls it for every module of a network.
	 */
	final void convertToChannelsLast() {
		if (channelsLast) return;
		onChannelsLast();
		channelsLast = true;
	}

	/**
	 * Whether this module was converted to channels-last ({@link ChannelsLast#apply}, decided when its network was
	 * loaded): for a network, it keeps its activations channels-last; for a GroupNorm, channels-last CUDA inputs may take
	 * our NHWC kernel (networks left NCHW never reach it, whatever their inputs' layout); for a convolution, its weight
	 * is held channels-last.
	 */
	public final boolean channelsLast() {
		return channelsLast;
	}

	/** This module and every descendant, parents first. */
	final void visit(java.util.function.Consumer<Module> action) {
		action.accept(this);
		for (Module c : children.values()) c.visit(action);
	}

	/** The first loaded parameter (its device and type are the module's). */
	final ai.djl.ndarray.NDArray firstParam() {
		ai.djl.ndarray.NDArray a = firstParamOrNull();
		if (a != null) return a;
		throw new IllegalStateException(getClass().getSimpleName() + " has no loaded parameters");
	}

	private ai.djl.ndarray.NDArray firstParamOrNull() {
		for (Param p : params.values())
			if (p.isLoaded()) return p.get();
		for (Module c : children.values()) {
			ai.djl.ndarray.NDArray a = c.firstParamOrNull();
			if (a != null) return a;
		}
		return null;
	}

	/** Every parameter under this module, depth-first in registration order, with full key names. */
	public final Map<String, Param> namedParams() {
		Map<String, Param> out = new LinkedHashMap<>();
		collect("", out);
		return out;
	}

	private void collect(String prefix, Map<String, Param> out) {
		params.forEach((n, p) -> out.put(prefix + n, p));
		children.forEach((n, c) -> c.collect(prefix + n + ".", out));
	}

	/** The expected checkpoint keys and shapes, without allocating anything. */
	public final List<ParamSpec> specs() {
		List<ParamSpec> out = new ArrayList<>();
		namedParams().forEach((n, p) -> out.add(new ParamSpec(n, p.shape())));
		return out;
	}

	/** The type this module's weights were loaded in (that of its first parameter). */
	public final ai.djl.ndarray.types.DataType dtype() {
		return firstParam().getDataType();
	}

	/** Number of scalar parameters. */
	public final long parameterCount() {
		long n = 0;
		for (Param p : namedParams().values()) n += p.shape().size();
		return n;
	}

	final void notifyLoaded() {
		for (Module c : children.values()) c.notifyLoaded();
		onLoaded();
	}
}
