package org.rerender.testing;

import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mockito.MockedStatic;
import org.mockito.Mockito;

/**
 * Counts tensors made from host memory while a body runs: every {@code NDManager.create(float[]/Number/Buffer)} of
 * DJL's PyTorch engine, including the hidden one inside each scalar overload ({@code x.add(0.5f)} makes a 0-dim
 * tensor first), ends in {@code JniUtils.createNdFromByteBuffer} (libtorch {@code from_blob}, then a host→device
 * copy on a GPU manager); {@code JniUtils.set(array, ByteBuffer)} copies host memory into a tensor. Both are counted
 * through a Mockito static spy on {@code JniUtils} (real methods run), on the calling thread only. Each hit is
 * attributed to the first project frame outside DJL and this package.
 */
public final class HostTensors {
	private HostTensors() {}

	/** One host-created tensor: where ({@code Class.method:line}) and whether inside a DDIM sampler loop. */
	public record Hit(String site, boolean inSampler) {}

	/** Creation sites in call order, one entry per host-created tensor. */
	public static List<String> during(Runnable body) {
		return hits(body).stream().map(Hit::site).toList();
	}

	/** Hits in call order, one per host-created tensor. */
	public static List<Hit> hits(Runnable body) {
		List<Hit> sites = new ArrayList<>();
		try (MockedStatic<JniUtils> spy = Mockito.mockStatic(JniUtils.class, inv -> {
			String name = inv.getMethod().getName();
			if (name.equals("createNdFromByteBuffer") || name.equals("set")) {
				StackTraceElement[] t = new Throwable().getStackTrace();
				boolean inSampler = false;
				for (StackTraceElement e : t) inSampler |= e.getClassName().equals("org.rerender.diffusion.DdimSampler") && e.getMethodName().equals("sample");
				sites.add(new Hit(site(t), inSampler));
			}
			return inv.callRealMethod();
		})) {
			body.run();
		}
		return sites;
	}

	/** Sites with their counts, in first-seen order. */
	public static Map<String, Integer> histogram(List<String> sites) {
		Map<String, Integer> m = new LinkedHashMap<>();
		for (String s : sites) m.merge(s, 1, Integer::sum);
		return m;
	}

	private static String site(StackTraceElement[] trace) {
		for (StackTraceElement e : trace) {
			String c = e.getClassName();
			if (c.startsWith("org.rerender.") && !c.startsWith("org.rerender.testing.HostTensors"))
				return c.substring(c.lastIndexOf('.') + 1) + "." + e.getMethodName() + ":" + e.getLineNumber();
		}
		return "(outside the project)";
	}
}
