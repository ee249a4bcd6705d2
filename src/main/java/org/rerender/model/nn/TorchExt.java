package org.rerender.model.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.rerender.engine.Djl;

/**
 * Optional fused ops in {@code libRerenderTorchExt.so} (native/torchext, our C++ against libtorch's ATen API): group
 * norm (+ SiLU), scaled-dot-product attention, GEGLU and SiLU, each one JNI call on DJL's own tensor handles instead
 * of several DJL ops. They compute what the composed DJL code computes; the composed code stays the fallback.
 *
 * <p>Used when all hold: the system property {@code rerender.torchext} is not {@code false} (read on every call, so
 * tests can compare both paths in one JVM); DJL's engine is PyTorch; the library loads (from {@code java.library.path}
 * or the jar's {@code natives/linux-x86_64/}); the libtorch it was linked against has DJL's version; and a self-check
 * on small tensors (layout read back, each op against the composed path) passes. Otherwise one log line says why and
 * the composed path is used. With {@code rerender.torchext.required=true} a failed load is an error (CI, tests).
 */
public final class TorchExt {
	/** Base name of the library ({@code lib<NAME>.so}). */
	public static final String NAME = "RerenderTorchExt";
	/** System property: {@code false} forces the composed DJL path. */
	public static final String PROPERTY = "rerender.torchext";
	/** System property: {@code true} makes a failed load an error instead of a fallback. */
	public static final String REQUIRED_PROPERTY = "rerender.torchext.required";

	private static final System.Logger LOG = System.getLogger(TorchExt.class.getName());
	private static final java.util.concurrent.atomic.LongAdder CALLS = new java.util.concurrent.atomic.LongAdder();
	private static volatile Boolean loaded;
	private static volatile String message = "not loaded yet";
	/** Capability bits ({@link #built}): CUDA-graph entry points, CUDA allocator statistics, channels-last CUDA GroupNorm kernel. */
	static final int CUDA_GRAPHS = 1, CUDA_MEMORY = 2, NHWC_GROUP_NORM = 4;
	/** The loaded library's capability bits ({@code nativeCapabilities}), 0 until a load succeeded (and for CPU builds). */
	private static volatile int capabilities;
	/**
	 * Why channels-last cannot be used on CUDA devices (null: it can), settled by the first {@link #channelsLastRefusal}
	 * for a GPU (guarded by the class lock; {@link #cudaChecked} says whether it ran).
	 */
	private static String cudaChannelsLastRefusal;
	private static boolean cudaChecked; // guarded by the class lock
	private static boolean loading; // guarded by the class lock

	private TorchExt() {}

	/** Whether the fused ops are used now: enabled by the property and loaded (loads on first call). */
	public static boolean active() {
		if ("false".equalsIgnoreCase(System.getProperty(PROPERTY))) return false;
		Boolean l = loaded;
		if (l == null) return load();
		// required (CI): every use after a failed load fails too, not only the first one
		if (!l && Boolean.getBoolean(REQUIRED_PROPERTY))
			throw new IllegalStateException("torchext required (" + REQUIRED_PROPERTY + "=true) but " + message);
		return l;
	}

	/** Whether the library is loaded and passed its self-check, whatever {@value #PROPERTY} says now. */
	public static boolean loaded() {
		Boolean l = loaded;
		return l != null ? l : load();
	}

	/** Whether the library has been loaded already (never starts a load, never throws). */
	public static boolean loadedAlready() {
		return Boolean.TRUE.equals(loaded);
	}

	/**
	 * Fused calls made so far (for benchmarks: each is one JNI call, which a profiler shows as 1–9 top-level ATen
	 * events: the fused op plus the views and casts it makes inside).
	 */
	public static long calls() {
		return CALLS.sum();
	}

	/** Where the library came from and what it was built against, or why it is not used (loads it if not yet). */
	public static String status() {
		if (loaded == null) load();
		return ("false".equalsIgnoreCase(System.getProperty(PROPERTY)) ? "switched off (" + PROPERTY + "=false); " : "") + message;
	}

	private static synchronized boolean load() {
		if (loaded != null) return loaded;
		if (loading) return false; // the self-check's composed reference path (e.g. Scalars) asks while loading
		String why;
		loading = true;
		try {
			why = tryLoad();
		}
		catch (RuntimeException | LinkageError e) {
			why = "could not load lib" + NAME + ": " + e;
		}
		finally {
			loading = false;
		}
		loaded = why == null;
		if (loaded) LOG.log(System.Logger.Level.INFO, "Fused ops (torchext): " + message);
		else {
			message = why;
			if (Boolean.getBoolean(REQUIRED_PROPERTY))
				throw new IllegalStateException("torchext required (" + REQUIRED_PROPERTY + "=true) but " + why);
			LOG.log(System.Logger.Level.INFO, "Fused ops (torchext) not used, composed DJL ops instead: " + why);
		}
		return loaded;
	}

	/** Loads and checks the library; null when usable, else the reason. */
	private static String tryLoad() {
		String engine = Djl.engine().getEngineName();
		if (!"PyTorch".equals(engine)) return "the DJL engine is " + engine + ", not PyTorch";
		String from;
		try {
			System.loadLibrary(NAME);
			from = "java.library.path";
		}
		catch (UnsatisfiedLinkError e) {
			String resource = "/natives/linux-x86_64/" + System.mapLibraryName(NAME);
			try (InputStream in = TorchExt.class.getResourceAsStream(resource)) {
				if (in == null) return "lib" + NAME + " was not built (no libtorch headers at build time) and is not on java.library.path";
				Path tmp = Files.createTempFile("lib" + NAME + "-", ".so");
				tmp.toFile().deleteOnExit();
				Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
				System.load(tmp.toAbsolutePath().toString());
				from = "jar resource " + resource;
			}
			catch (IOException io) {
				return "could not extract " + resource + ": " + io.getMessage();
			}
		}
		String info = nativeBuildInfo();
		String libtorch = Djl.engine().getVersion();
		if (!info.contains("linked " + libtorch))
			return "lib" + NAME + " (" + info + ") was linked against another libtorch than DJL's " + libtorch;
		int caps;
		try {
			caps = nativeCapabilities();
		}
		catch (UnsatisfiedLinkError e) {
			return "lib" + NAME + " (" + info + ") is older than this version of Rerender (no nativeCapabilities): rebuild it";
		}
		String check = selfCheck();
		if (check != null) return "lib" + NAME + " (" + info + ") failed its self-check against libtorch " + libtorch + ": " + check;
		message = "lib" + NAME + " from " + from + " (" + info + "), libtorch " + libtorch;
		capabilities = caps;
		return null;
	}

	/**
	 * On a machine with a CUDA device: our channels-last GroupNorm kernel against {@code at::group_norm} on the GPU
	 * (the UNet's and VAE's widths and sizes, N 1 and 2, F16 and F32, with and without SiLU); only when it passes does
	 * {@link #groupNorm} send channels-last CUDA tensors of converted networks to it. Null when channels-last may be
	 * used on CUDA, else why not ({@link ChannelsLast} logs it once when the switch asks for it). Runs once, lazily,
	 * from the first {@link #channelsLastRefusal} for a GPU, i.e. only when channels-last is requested: a kernel fault
	 * (a sticky CUDA error that ruins the process's CUDA context) can then only hit runs that asked for channels-last,
	 * never the default ones. Never fails the load itself.
	 */
	private static String checkCudaChannelsLast() {
		if (!built(NHWC_GROUP_NORM)) return "lib" + NAME + " was built without its CUDA GroupNorm kernel (make CUDA=1)";
		int gpus;
		try {
			gpus = Djl.engine().getGpuCount();
		}
		catch (RuntimeException e) {
			return "no CUDA device (" + e.getMessage() + ")";
		}
		if (gpus == 0) return "no CUDA device";
		long t0 = System.nanoTime();
		String why;
		try {
			why = nativeCheckNhwcGroupNorm();
		}
		catch (RuntimeException e) {
			why = "the check failed: " + e.getMessage();
		}
		if (why == null || why.isEmpty()) {
			nativeSetNhwcGroupNorm(true);
			LOG.log(System.Logger.Level.INFO, String.format("channels-last GroupNorm kernel agrees with at::group_norm on CUDA (checked in %.2f s)",
				(System.nanoTime() - t0) / 1e9));
			return null;
		}
		return "our channels-last GroupNorm kernel does not agree with at::group_norm on this GPU: " + why;
	}

	/**
	 * Why activations may not be kept channels-last on {@code device} ({@link ChannelsLast}), or null: on the CPU
	 * libtorch's own GroupNorm handles channels-last; on CUDA ours must be built and have passed its check, which the
	 * first call for a GPU runs ({@link #cudaRefusal}).
	 */
	static String channelsLastRefusal(ai.djl.Device device) {
		if (!loaded()) return "libRerenderTorchExt is not loaded (" + message + ")";
		if (device.isGpu()) return cudaRefusal();
		return null;
	}

	/** {@link #checkCudaChannelsLast} once per process (later calls return its answer). */
	private static synchronized String cudaRefusal() {
		if (!cudaChecked) {
			cudaChannelsLastRefusal = checkCudaChannelsLast();
			cudaChecked = true;
		}
		return cudaChannelsLastRefusal;
	}

	/** Small CPU tensors through both paths; null when they agree. */
	private static String selfCheck() {
		try (NDManager m = Djl.newCpuManager()) {
			NDArray x = m.arange(2 * 64 * 3 * 5).toType(DataType.FLOAT32, false).reshape(2, 64, 3, 5).sin();
			long[] d = nativeDescribe(((PtNDArray) x).getHandle());
			if (d.length != 11 || d[0] != 4 || d[1] != 6 || d[2] != x.size() || d[3] != 2 || d[4] != 64 || d[5] != 3 || d[6] != 5
				|| d[7] != 64 * 15 || d[8] != 15 || d[9] != 5 || d[10] != 1)
				return "tensor layout read back as " + java.util.Arrays.toString(d);
			NDArray xl = toChannelsLast(x);
			if (!java.util.Arrays.equals(stridesOf(xl), new long[] {64 * 15, 1, 5 * 64, 64}) || !(maxDiff(xl, x) == 0))
				return "channels-last copy has strides " + java.util.Arrays.toString(stridesOf(xl));
			if (!java.util.Arrays.equals(stridesOf(contiguous(xl)), new long[] {64 * 15, 15, 5, 1}))
				return "contiguous copy has strides " + java.util.Arrays.toString(stridesOf(contiguous(xl)));
			NDArray w = m.arange(64).toType(DataType.FLOAT32, false).div(64).add(0.5f), b = m.arange(64).toType(DataType.FLOAT32, false).div(-100);
			double e = maxDiff(groupNorm(x, w, b, 32, 1e-5f, true, false), GroupNorm.composed(x, w.reshape(64, 1, 1), b.reshape(64, 1, 1), 32, 1e-5f, true));
			if (!(e < 1e-4)) return "group norm differs by " + e;
			NDArray q = x.reshape(2, 30, 32), k = q.flip(1).mul(0.5f), v = q.cos();
			e = maxDiff(attention(q, k, v, 4), Attention.composed(q, k, v, 4, Attention.DEFAULT_MAX_SCORE_ELEMENTS));
			if (!(e < 1e-4)) return "attention differs by " + e;
			NDArray qkv = NDArrays.concat(new NDList(q, k, v), 2), kv = NDArrays.concat(new NDList(k, v), 2);
			e = Math.max(maxDiff(attentionPacked(null, qkv, 4), Attention.composed(q, k, v, 4, Attention.DEFAULT_MAX_SCORE_ELEMENTS)),
				maxDiff(attentionPacked(q.get("0:1, 0:7"), kv.get("0:1"), 4),
					Attention.composed(q.get("0:1, 0:7"), k.get("0:1"), v.get("0:1"), 4, Attention.DEFAULT_MAX_SCORE_ELEMENTS)));
			if (!(e < 1e-4)) return "packed attention differs by " + e;
			long v0 = version(kv);
			kv.set(new ai.djl.ndarray.index.NDIndex("0, 0, 0"), 1f);
			if (v0 >= 0 && version(kv) <= v0) return "version counter did not move on an in-place write (" + v0 + ")";
			e = maxDiff(geglu(q), Functional.composedGeglu(q));
			if (!(e < 1e-5)) return "GEGLU differs by " + e;
			e = maxDiff(silu(q), Functional.composedSilu(q));
			if (!(e < 1e-5)) return "SiLU differs by " + e;
			NDArray lw = x.reshape(2 * 64 * 3 * 5 / 32, 32).get("0:20").cos(), lb = lw.get(":, 0").mul(0.5f);
			e = maxDiff(linear(q, lw, lb), Linear.composed(q, lw, lb));
			if (!(e < 1e-4)) return "linear differs by " + e;
			NDArray[] viaDjl = {q.add(0.25f), q.sub(0.25f), q.mul(0.25f), q.div(3.0), q.neg().add(2f)};
			double[] vs = {0.25, 0.25, 0.25, 3.0, 2.0};
			for (int op = 0; op < viaDjl.length; op++) {
				e = maxDiff(scalarOp(q, op, vs[op]), viaDjl[op]);
				if (!(e == 0)) return "scalar op " + op + " differs by " + e;
			}
			return null;
		}
	}

	/**
	 * Allows or forbids TF32 for cuDNN convolutions and cuBLAS matmuls, process-wide ({@code at::globalContext()}).
	 * PyTorch allows TF32 convolutions by default on Ampere and later GPUs (about 1e-3 relative error); the parity tests
	 * on a GPU switch it off to hold the fixtures' F32 tolerances. No effect on CPU results. Works whatever
	 * {@value #PROPERTY} says.
	 *
	 * @throws IllegalStateException when the library is not loaded (the reason from {@link #status()})
	 */
	public static void allowTf32(boolean allow) {
		requireLoaded("allowTf32");
		nativeSetAllowTf32(allow);
	}

	/** Whether TF32 is allowed now: bit 0 cuDNN convolutions, bit 1 cuBLAS matmuls (for tests). */
	public static int tf32Flags() {
		requireLoaded("tf32Flags");
		return nativeAllowTf32();
	}

	/**
	 * Switches cuDNN's benchmark mode on or off, process-wide ({@code torch.backends.cudnn.benchmark}): the first
	 * convolution of each new shape times cuDNN's algorithms and keeps the fastest. Off by default in PyTorch and DJL.
	 * No effect on CPU results.
	 *
	 * @throws IllegalStateException when the library is not loaded (the reason from {@link #status()})
	 */
	public static void cudnnBenchmark(boolean on) {
		requireLoaded("cudnnBenchmark");
		nativeSetCudnnBenchmark(on);
	}

	/** Whether cuDNN's benchmark mode is on now. */
	public static boolean cudnnBenchmarkOn() {
		requireLoaded("cudnnBenchmarkOn");
		return nativeCudnnBenchmark();
	}

	private static void requireLoaded(String what) {
		boolean l;
		try {
			l = loaded();
		}
		catch (IllegalStateException e) { // rerender.torchext.required=true and the load failed
			l = false;
		}
		if (!l) throw new IllegalStateException("TorchExt." + what + " needs lib" + NAME + ", which is not loaded: " + message);
	}

	private static double maxDiff(NDArray a, NDArray b) {
		return a.sub(b).abs().max().getFloat();
	}

	private static NDArray wrap(NDArray like, long handle) {
		CALLS.increment();
		return new PtNDArray((PtNDManager) like.getManager(), handle);
	}

	private static long h(NDArray a) {
		return ((PtNDArray) a).getHandle();
	}

	/**
	 * {@code x}'s strides in elements, as libtorch holds them (channels-last {@code [N,C,H,W]}: {@code {HWC, 1, WC, C}};
	 * row-major: {@code {CHW, HW, W, 1}}). For tests and checks; needs the library loaded.
	 */
	public static long[] strides(NDArray x) {
		requireLoaded("strides");
		return stridesOf(x);
	}

	private static long[] stridesOf(NDArray x) {
		long[] d = nativeDescribe(h(x));
		int dim = (int) d[0];
		return java.util.Arrays.copyOfRange(d, 3 + dim, 3 + 2 * dim);
	}

	/**
	 * {@code x [N,C,H,W]} in channels-last memory order, in {@code x}'s manager (same values): a copy, or an alias of
	 * {@code x}'s memory when {@code x} already counts as channels-last (e.g. any {@code [O,I,1,1]}); so an {@code x}
	 * that does not own its memory (a mapped weight) must outlive the result.
	 */
	static NDArray toChannelsLast(NDArray x) {
		return wrap(x, nativeToChannelsLast(h(x)));
	}

	/** {@code x} in row-major memory order: a copy in {@code x}'s manager (same values). */
	static NDArray contiguous(NDArray x) {
		return wrap(x, nativeContiguous(h(x)));
	}

	/**
	 * GroupNorm of {@code x [N,C,..]} with {@code weight, bias [C]}, F32 statistics, optional SiLU after.
	 * {@code allowNhwc}: the caller belongs to a network converted to channels-last ({@link ChannelsLast#apply}), so a
	 * channels-last CUDA {@code x} may go to our NHWC kernel (once its check passed). Without it {@code at::group_norm} always runs, whatever {@code x}'s layout.
	 */
	static NDArray groupNorm(NDArray x, NDArray weight, NDArray bias, int groups, float eps, boolean silu, boolean allowNhwc) {
		return wrap(x, nativeGroupNorm(h(x), h(weight), h(bias), groups, eps, silu, allowNhwc));
	}

	/** {@code q [B,Nq,heads·d]}, {@code k, v [B,Nk,heads·d]} → {@code [B,Nq,heads·d]}. */
	static NDArray attention(NDArray q, NDArray k, NDArray v, int heads) {
		Shape s = q.getShape();
		if (s.dimension() != 3 || s.get(2) % heads != 0) throw new IllegalArgumentException("attention input " + s + ", heads " + heads);
		return wrap(q, nativeAttention(h(q), h(k), h(v), heads));
	}

	/**
	 * Attention on packed projections ({@link CrossAttention}'s fused weights): {@code q} null and {@code kv}
	 * {@code [B,N,3·heads·d]} (q, k, v side by side), or {@code q [B,Nq,heads·d]} and {@code kv [B,Nk,2·heads·d]}
	 * (k, v side by side). The parts are views of {@code kv}; the result {@code [B,Nq,heads·d]} is in the manager of
	 * {@code q} (of {@code kv} when q is null).
	 */
	static NDArray attentionPacked(NDArray q, NDArray kv, int heads) {
		Shape s = kv.getShape();
		long parts = q == null ? 3 : 2;
		if (s.dimension() != 3 || s.get(2) % (parts * heads) != 0)
			throw new IllegalArgumentException("packed attention input " + s + ", " + parts + " parts, heads " + heads);
		return wrap(q == null ? kv : q, nativeAttentionPacked(q == null ? 0 : h(q), h(kv), heads));
	}

	/**
	 * {@code x}'s version counter (libtorch bumps it at every in-place write to {@code x} or a view of it, e.g. a
	 * static buffer's {@code copy_}), or -1 when {@code x} has none (an inference-mode tensor).
	 */
	static long version(NDArray x) {
		return nativeVersion(h(x));
	}

	static NDArray geglu(NDArray projected) {
		return wrap(projected, nativeGeglu(h(projected)));
	}

	/** {@code x·Wᵀ + b} over the last axis ({@code weight [out,in]}, {@code bias [out]} or null) as one ATen op. */
	static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
		return wrap(x, nativeLinear(h(x), h(weight), bias == null ? 0 : h(bias)));
	}

	static NDArray silu(NDArray x) {
		return wrap(x, nativeSilu(h(x)));
	}

	/** {@code dst ← src} in place ({@code copy_}: a device copy, no host round trip; same shape and dtype). */
	static void copyInto(NDArray dst, NDArray src) {
		CALLS.increment();
		nativeCopyInto(h(dst), h(src));
	}

	/** {@code x op v} with {@code v} an {@code at::Scalar} (no tensor): op as {@link Scalars}' ADD, SUB, MUL, DIV, RSUB. */
	static NDArray scalarOp(NDArray x, int op, double v) {
		return wrap(x, nativeScalarOp(h(x), op, v));
	}

	/**
	 * Whether the loaded library was built with {@code capability} ({@link #CUDA_GRAPHS}, {@link #CUDA_MEMORY},
	 * {@link #NHWC_GROUP_NORM}), as the library itself says ({@code nativeCapabilities}); false while it is not loaded
	 * (never starts a load) and for a CPU-only build.
	 */
	static boolean built(int capability) {
		return (capabilities & capability) == capability;
	}

	private static native String nativeBuildInfo();

	private static native int nativeCapabilities();

	private static native long[] nativeDescribe(long x);

	private static native long nativeGroupNorm(long x, long weight, long bias, int groups, double eps, boolean silu,
		boolean allowNhwc);

	private static native long nativeToChannelsLast(long x);

	private static native long nativeContiguous(long x);

	private static native String nativeCheckNhwcGroupNorm();

	private static native void nativeSetNhwcGroupNorm(boolean on);

	private static native long nativeAttention(long q, long k, long v, int heads);

	private static native long nativeAttentionPacked(long q, long kv, int heads);

	private static native long nativeVersion(long x);

	private static native long nativeGeglu(long x);

	private static native long nativeSilu(long x);

	private static native long nativeLinear(long x, long weight, long bias);

	private static native long nativeScalarOp(long x, int op, double v);

	private static native void nativeCopyInto(long dst, long src);

	private static native void nativeSetAllowTf32(boolean allow);

	private static native int nativeAllowTf32();

	private static native void nativeSetCudnnBenchmark(boolean on);

	private static native boolean nativeCudnnBenchmark();
}
