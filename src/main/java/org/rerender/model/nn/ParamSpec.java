package org.rerender.model.nn;

import ai.djl.ndarray.types.Shape;

/** A parameter's full checkpoint key (relative to the network's prefix) and expected shape. */
public record ParamSpec(String name, Shape shape) {

	/** The manifest form {@code name<TAB>F32<TAB>d0,d1,...}, as in {@code fixtures/sd15-*.keys.txt}. */
	public String manifestLine() {
		StringBuilder b = new StringBuilder(name).append("\tF32\t");
		long[] d = shape.getShape();
		for (int i = 0; i < d.length; i++) {
			if (i > 0) b.append(',');
			b.append(d[i]);
		}
		return b.toString();
	}
}
