package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Frees a block's intermediate tensors as soon as the block returns. The inputs are temporarily attached to a
 * sub-manager, so every op on them produces its result there; {@link #keep} moves the block's output to the
 * caller's manager, and {@link #close} frees everything else and gives the inputs back to their owners.
 * <pre>try (Scope s = Scope.of(x, emb)) { ...; return s.keep(out); }</pre>
 * Never pass a weight as an input, and never {@code keep} an input itself.
 */
public final class Scope implements AutoCloseable {
	private final NDManager parent;
	private final NDManager manager;
	private final NDArray main;
	private final NDArray[] others;

	private Scope(NDArray main, NDArray... others) {
		this.main = main;
		this.others = others;
		parent = main.getManager();
		manager = parent.newSubManager();
		main.tempAttach(manager);
		for (NDArray o : others)
			if (o != null && o != main) o.tempAttach(manager);
	}

	public static Scope of(NDArray main, NDArray... others) {
		return new Scope(main, others);
	}

	/** Moves {@code out} to the manager that owned the main input. */
	public NDArray keep(NDArray out) {
		out.attach(parent);
		return out;
	}

	/**
	 * Frees {@code done}, an intermediate of this block that nothing reads any more, now rather than when the block
	 * returns, and returns {@code next}; an input of the scope (or {@code next} itself) is left alone. For chains of
	 * large activations (a VAE's blocks at full resolution): DJL frees an array only when it or its manager is closed,
	 * so without this every activation of the chain stays on the device until the block ends, where PyTorch frees each
	 * as its last reference goes.
	 */
	public NDArray free(NDArray done, NDArray next) {
		if (done == next || done == main) return next;
		for (NDArray o : others)
			if (done == o) return next;
		done.close();
		return next;
	}

	@Override
	public void close() {
		manager.close();
	}
}
