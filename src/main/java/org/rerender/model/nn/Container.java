package org.rerender.model.nn;

/** A module with only named children (a key segment such as {@code to_out} or {@code input_blocks}). */
public final class Container extends Module {
	public <M extends Module> M add(String name, M module) {
		return child(name, module);
	}
}
