package org.rerender.propagate.synth;

/**
 * The JNI surface of {@code libRerenderSynth.so}: native methods only, called only by
 * {@link NativePatchSynthesizer}, which checks every shape first. The C side re-checks and
 * throws {@link IllegalArgumentException} / {@link IllegalStateException}; C++ exceptions never
 * cross this boundary.
 */
final class EbsynthNative {

	/** Return code of {@link #synthesize}: finished. */
	static final int OK = 0;
	/** Return code of {@link #synthesize}: stopped because {@link Callback#poll} asked to. */
	static final int CANCELLED = 1;

	private EbsynthNative() {}

	/** Called on the calling thread between PatchMatch sweeps. */
	interface Callback {
		/** @return true to stop the synthesis (cancel) */
		boolean poll(int level, int levels, int iteration, int iterations);
	}

	/** The native library's version string (also a cheap "is it loaded" probe). */
	static native String version();

	/**
	 * Exercises the native error paths the shipped build relies on (C++ exceptions from the standard library, from
	 * a failed allocation and from a worker thread, each caught inside the library): "ok" or what failed.
	 */
	static native String selfCheck();

	/**
	 * Runs one synthesis. Layouts: images interleaved row-major, {@code style} is
	 * sw*sh*styleChannels bytes, {@code sourceGuides} sw*sh*guideChannels, {@code targetGuides}
	 * tw*th*guideChannels, {@code outImage} tw*th*styleChannels, {@code outError} tw*th floats.
	 * {@code fullSearch}: random search from the whole image at every level (the plain,
	 * slower PatchMatch used as the benchmark baseline) instead of 8 patch sizes on finer levels.
	 *
	 * @return {@link #OK} or {@link #CANCELLED}
	 */
	static native int synthesize(int styleChannels, int sw, int sh, byte[] style,
		int guideChannels, byte[] sourceGuides, int tw, int th, byte[] targetGuides,
		float[] styleWeights, float[] guideWeights,
		int patchSize, float uniformityWeight, int pyramidLevels, int searchVoteIterations,
		int patchMatchIterations, int stopThreshold, long seed, int threads, boolean fullSearch,
		byte[] outImage, float[] outError, Callback callback);
}
