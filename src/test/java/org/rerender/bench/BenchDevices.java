package org.rerender.bench;

import ai.djl.Device;

import org.rerender.engine.RerenderException;

/** Parses the benchmark's device argument: {@code cpu}, {@code cuda} / {@code cuda:N} (also {@code gpu:N}). */
final class BenchDevices {
	private BenchDevices() {}

	static Device parse(String s) {
		String v = s.trim().toLowerCase(java.util.Locale.ROOT);
		if (v.equals("cpu")) return Device.cpu();
		if (v.equals("cuda") || v.equals("gpu")) return Device.gpu(0);
		if (v.startsWith("cuda:") || v.startsWith("gpu:")) return Device.gpu(Integer.parseInt(v.substring(v.indexOf(':') + 1)));
		throw new RerenderException("Unknown device '" + s + "': use cpu, cuda or cuda:N");
	}
}
