package org.rerender.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.util.cuda.CudaUtils;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.rerender.config.RerenderConfig;
import org.rerender.diffusion.rerender.KeyFrameEngine;
import org.rerender.diffusion.rerender.KeyFrameGraphs;
import org.rerender.diffusion.rerender.KeyFrameSequence;
import org.rerender.diffusion.rerender.KeyFrameSettings;
import org.rerender.diffusion.rerender.NoiseStreams;
import org.rerender.diffusion.rerender.PhaseClock;
import org.rerender.flow.BidirectionalFlow;
import org.rerender.flow.FlowField;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.rerender.diffusion.ControlledDenoiser;
import org.rerender.diffusion.DdimSampler;
import org.rerender.diffusion.Denoiser;
import org.rerender.diffusion.GraphedDenoiser;
import org.rerender.model.nn.Precision;
import org.rerender.model.nn.StepGraph;
import org.rerender.model.nn.TorchExtCudaGraph;
import org.rerender.model.nn.TorchExtCudaMemory;
import org.rerender.diffusion.NoiseSchedule;
import org.rerender.diffusion.SeededNoise;
import org.rerender.engine.Djl;
import org.rerender.model.nn.TorchExt;
import org.rerender.engine.RerenderException;
import org.rerender.model.clip.ClipTextConfig;
import org.rerender.model.clip.ClipTextEncoder;
import org.rerender.model.controlnet.ControlNet;
import org.rerender.model.io.TensorDType;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;
import org.rerender.model.nn.WeightLoader;
import org.rerender.model.unet.UNet;
import org.rerender.model.unet.UNetConfig;
import org.rerender.model.vae.AutoencoderKL;
import org.rerender.model.vae.VaeConfig;

/**
 * Seconds per key frame of our Java engine at full SD 1.5 + ControlNet size with RANDOM weights made on the
 * device (nothing is downloaded): CLIP text encode (prompt + negative), VAE encode of the frame, N DDIM steps
 * (eta 0) with classifier-free guidance and the ControlNet at every step, VAE decode — the same work as
 * {@code bench/gpu/anchor.py} times for the original code. Prints a Markdown table row; run by
 * {@code bench/gpu/run.sh}, not by Maven.
 *
 * <pre>java -cp ... org.rerender.bench.KeyFrameBenchmark --device auto|cpu|cuda:N --size 512 --steps 20 --reps 3
 *      [--cfg batched|separate] [--dtype f16|f32] [--count-ops] [--phases] [--cudnn-benchmark] [--channels-last] [--tflop T --gemm-tflops G] [--rerender [--ablate]]</pre>
 * {@code --save-image FILE}: the last key frame's decoded image as raw little-endian F32 (run.sh compares the modes').
 * {@code --channels-last} (or {@code -Drerender.channelslast=true}): the UNet, ControlNet and VAE keep their activations
 * channels-last ({@link org.rerender.model.nn.ChannelsLast}); the log's {@code # channels-last:} line says whether they do.
 * {@code --phases}: one more key frame with the device synchronised between CLIP, VAE encode, sampling and VAE decode,
 * and the time of each printed (not part of the median).
 * {@code --rerender}: the Rerender key-frame engine (anchor, key frame with constraints off and on) instead, with
 * separate and batched CFG (only the {@code --cfg} mode when given), with the cross-frame attention stores on the
 * device, in host memory, or both ({@code --stores device|host|both}, default device). With {@code --rerender},
 * {@code --phases} adds one more constrained key frame per CFG mode (stores on the device) timed phase by phase
 * ({@link #phaseLines}), and {@code --ablate} table rows with each constraint alone ({@link #ablationRows}).
 * {@code --graph off|on|both} (with {@code --rerender}; default {@code on} with {@code -Drerender.cudagraph=true}, else
 * {@code off}): the engine's UNet+ControlNet calls eager through the hooks, replayed from recorded graphs
 * ({@link KeyFrameGraphs}: CUDA graphs on a GPU, replay-by-rerun on the CPU), or each mode both ways in the same JVM.
 */
public final class KeyFrameBenchmark {
	private KeyFrameBenchmark() {}

	static final double GIB = 1024.0 * 1024 * 1024;

	public static void main(String[] argv) throws Exception {
		Map<String, String> a = parse(argv);
		if (a.containsKey("help")) {
			System.out.println("KeyFrameBenchmark --device auto|cpu|cuda:N --size 512 --steps 20 --reps 3 --cfg batched|separate"
				+ " --dtype f16|f32 --count-ops --phases --cudnn-benchmark --channels-last --tflop T --gemm-tflops G --warmup 1 --rerender [--stores device|host|both] [--ablate] [--graph off|on|both]");
			return;
		}
		int size = Integer.parseInt(a.getOrDefault("size", "512"));
		int steps = Integer.parseInt(a.getOrDefault("steps", "20"));
		int reps = Integer.parseInt(a.getOrDefault("reps", "3"));
		int warmup = Integer.parseInt(a.getOrDefault("warmup", "1"));
		double scale = Double.parseDouble(a.getOrDefault("scale", "7.5"));
		DdimSampler.Cfg cfg = "separate".equals(a.get("cfg")) ? DdimSampler.Cfg.SEPARATE : DdimSampler.Cfg.BATCHED;
		Engine engine = Djl.engine();
		Device dev = resolve(engine, a.getOrDefault("device", "auto"));
		DataType dt = a.containsKey("dtype") ? ("f32".equals(a.get("dtype")) ? DataType.FLOAT32 : DataType.FLOAT16)
			: dev.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
		System.out.printf(Locale.ROOT, "# Java engine: DJL %s + libtorch %s on %s, %s; %dx%d, %d DDIM steps, CFG %.1f %s%n",
			Engine.getDjlVersion(), engine.getVersion(), dev, dt, size, size, steps, scale, cfg);
		boolean fused = TorchExt.active();
		System.out.println("# fused ops: " + (fused ? "torchext, " : "composed DJL ops, torchext ") + TorchExt.status());
		if (a.containsKey("cudnn-benchmark")) { // cuDNN times its algorithms per new convolution shape, keeps the fastest
			TorchExt.cudnnBenchmark(true);
			System.out.println("# cuDNN benchmark mode: on");
		}

		if (a.containsKey("channels-last")) System.setProperty(org.rerender.model.nn.ChannelsLast.PROPERTY, "true");
		MemPoller poller = dev.isGpu() ? new MemPoller(dev) : null;
		long before = poller == null ? 0 : poller.sample();
		try (NDManager weights = Djl.newManager(dev)) {
			engine.setRandomSeed(0);
			long t0 = System.nanoTime();
			UNetConfig uc = UNetConfig.sd15();
			UNet unet = new UNet(uc);
			ControlNet cnet = new ControlNet(uc);
			AutoencoderKL vae = new AutoencoderKL(VaeConfig.sd15());
			ClipTextConfig cc = ClipTextConfig.vitL14();
			ClipTextEncoder clip;
			if (a.containsKey("direct-random")) { // drawn directly in dt (F16 draws gave non-finite key frames)
				WeightLoader.randomize(unet, weights, dt);
				WeightLoader.randomize(cnet, weights, dt);
				WeightLoader.randomize(vae, weights, dt);
				try (RandomSource rs = new RandomSource(cc)) {
					clip = ClipTextEncoder.load(rs, cc, weights, dt);
				}
			}
			else { // drawn in F32 from a per-tensor seed, then cast: the same values in F32 and F16 runs
				WeightLoader.load(unet, new F16Probe.Seeded(unet), weights, dt, "unet");
				WeightLoader.load(cnet, new F16Probe.Seeded(cnet), weights, dt, "controlnet");
				WeightLoader.load(vae, new F16Probe.Seeded(vae), weights, dt, "vae");
				clip = ClipTextEncoder.load(new F16Probe.Seeded(cc.expectedShapes()), cc, weights, dt);
			}
			long params = unet.parameterCount() + cnet.parameterCount() + vae.parameterCount() + ClipTextEncoder.parameterCount(cc);
			if (org.rerender.model.nn.ChannelsLast.requested())
				System.out.println("# channels-last: UNet " + unet.channelsLast() + ", ControlNet " + cnet.channelsLast() + ", VAE " + vae.channelsLast()
					+ (unet.channelsLast() ? "" : " (refused: " + org.rerender.model.nn.ChannelsLast.refusal(dev) + ")"));
			sync(weights);
			System.out.printf(Locale.ROOT, "# random weights: %.0f M parameters in %.1f s%s%n", params / 1e6, (System.nanoTime() - t0) / 1e9,
				poller == null ? "" : String.format(Locale.ROOT, ", device memory used %.2f GiB (idle before %.2f)", poller.sample() / GIB, before / GIB));

			SeededNoise noise = new SeededNoise(1);
			NDArray frame = noise.next(weights, new Shape(1, 3, size, size), DataType.FLOAT32).tanh().toType(dt, false);
			NDArray hint = noise.next(weights, new Shape(1, 3, size, size), DataType.FLOAT32).getNDArrayInternal().sigmoid().toType(dt, false);
			int[] ids = new int[77], uids = new int[77];
			java.util.SplittableRandom r = new java.util.SplittableRandom(2);
			for (int i = 0; i < 77; i++) {
				ids[i] = r.nextInt(49408);
				uids[i] = r.nextInt(49408);
			}
			NoiseSchedule schedule = NoiseSchedule.sd15();

			if (a.containsKey("count-ops")) countOps(weights, unet, cnet, clip, hint, ids, uids, size, dt, cfg);
			if (a.containsKey("rerender")) { // the Rerender engine with its constraints instead of the plain key frame
				String stores = a.getOrDefault("stores", "device");
				if (!List.of("device", "host", "both").contains(stores))
					throw new RerenderException("--stores takes device, host or both, not " + stores);
				String graph = a.getOrDefault("graph", Boolean.getBoolean(GraphedDenoiser.PROPERTY) ? "on" : "off");
				if (!List.of("off", "on", "both").contains(graph)) throw new RerenderException("--graph takes off, on or both, not " + graph);
				System.out.println("# Rerender key frames through recorded graphs (--graph / " + GraphedDenoiser.PROPERTY + "): " + graph
					+ (dev.isGpu() ? ", CUDA-graph capture " + (TorchExtCudaGraph.supported() ? "supported" : "not supported by this torchext build")
						: ", replay-by-rerun (no GPU)"));
				rerenderRows(weights, unet, cnet, vae, clip, ids, uids, size, steps, warmup, reps, dev, poller,
					a.containsKey("cfg") ? List.of(cfg) : List.of(DdimSampler.Cfg.SEPARATE, DdimSampler.Cfg.BATCHED),
					"both".equals(stores) ? List.of(false, true) : List.of("host".equals(stores)), a.containsKey("phases"), a.containsKey("ablate"),
					"both".equals(graph) ? List.of(false, true) : List.of("on".equals(graph)));
				return;
			}

			// -Drerender.cudagraph=true: the CFG-batched call replayed from static buffers (a CUDA graph on a GPU)
			GraphedDenoiser[] graphed = Boolean.getBoolean(GraphedDenoiser.PROPERTY) && cfg == DdimSampler.Cfg.BATCHED ? new GraphedDenoiser[1] : null;
			System.out.println("# CUDA graph (" + GraphedDenoiser.PROPERTY + "): " + (graphed == null ? "off"
				: dev.isGpu() ? "on, " + (TorchExtCudaGraph.supported() ? "capture supported" : "NOT supported: " + TorchExt.status()) : "on, CPU: replay by rerun"));
			// libtorch's allocator statistics (the metric of the PyTorch rows: max_memory_allocated / _reserved)
			boolean allocatorStats = dev.isGpu() && TorchExtCudaMemory.supported();
			System.out.println("# torch allocator statistics: " + (allocatorStats ? "through torchext" : "not available (" + (dev.isGpu() ? TorchExt.status() : "CPU") + ")"));
			List<Double> times = new ArrayList<>();
			if (poller != null) poller.start();
			for (int i = 0; i < warmup + reps; i++) {
				if (i == warmup && poller != null) poller.resetPeak();
				if (i == warmup && allocatorStats) TorchExtCudaMemory.resetPeaks(dev);
				long t = System.nanoTime();
				try (NDManager run = weights.newSubManager()) {
					NDArray img = keyFrame(run, unet, cnet, vae, clip, frame, hint, ids, uids, schedule, steps, scale, cfg, noise, dt, graphed, null);
					// sum in F32 (an F16 sum of 512x512x3 values overflows); also synchronises the device
					float check = img.toType(DataType.FLOAT32, false).sum().getFloat();
					if (!Float.isFinite(check)) System.out.println("# WARNING: non-finite output (random weights in " + dt + ")");
					if (a.containsKey("save-image") && i == warmup + reps - 1) saveImage(img, Path.of(a.get("save-image")));
				}
				double s = (System.nanoTime() - t) / 1e9;
				if (i >= warmup) times.add(s);
				System.out.printf(Locale.ROOT, "# key frame %d%s: %.3f s%s%s%n", i, i < warmup ? " (warm-up)" : "", s,
					poller == null ? "" : String.format(Locale.ROOT, ", device memory used after it %.2f GiB", poller.sample() / GIB),
					allocatorStats ? ", torch allocator " + allocator(TorchExtCudaMemory.read(dev)) : "");
			}
			if (poller != null) poller.stop();
			// read before the phases' key frame, which resets the peaks per phase
			String torchPeak = allocatorStats ? allocator(TorchExtCudaMemory.read(dev)) : "n/a";
			if (a.containsKey("phases")) { // one more key frame, the device synchronised between its phases (not in the median)
				double[] ph = new double[13]; // [0..3] seconds, [4..7] the torch allocator's peak bytes of each phase; [8], [12]: the batched calls alone
				if (allocatorStats) TorchExtCudaMemory.resetPeaks(dev);
				long t = System.nanoTime();
				try (NDManager run = weights.newSubManager()) {
					keyFrame(run, unet, cnet, vae, clip, frame, hint, ids, uids, schedule, steps, scale, cfg, noise, dt, graphed, ph);
				}
				System.out.printf(Locale.ROOT, "# phases of one more key frame (%.3f s, synchronised between phases): CLIP x2 %.1f ms, VAE encode %.1f ms, "
					+ "%d DDIM steps %.1f ms (%.2f ms per step), VAE decode %.1f ms%n", (System.nanoTime() - t) / 1e9 - ph[8], ph[0] * 1e3, ph[1] * 1e3, steps,
					ph[2] * 1e3, ph[2] * 1e3 / steps, ph[3] * 1e3);
				if (allocatorStats)
					System.out.printf(Locale.ROOT, "# torch allocator peak allocated in each phase: CLIP %.2f GiB, VAE encode %.2f, DDIM steps %.2f, VAE decode %.2f%n",
						ph[4] / GIB, ph[5] / GIB, ph[6] / GIB, ph[7] / GIB);
				if (ph[8] > 0)
					System.out.printf(Locale.ROOT, "# the batched UNet+ControlNet call alone, %d in a row as the sampler makes them%s: %.2f ms per call "
						+ "(the rest of a step, the DDIM update and CFG combination: %.2f ms)%n", steps, graphed != null ? " (graph replays)" : "",
						ph[8] * 1e3 / steps, (ph[2] - ph[8]) * 1e3 / steps);
			}
			if (graphed != null && graphed[0] != null) graphed[0].close();
			Collections.sort(times);
			double med = times.get(times.size() / 2);
			double tflop = Double.parseDouble(a.getOrDefault("tflop", "NaN"));
			double gemm = Double.parseDouble(a.getOrDefault("gemm-tflops", "NaN"));
			String peak = poller == null ? "n/a" : String.format(Locale.ROOT, "%.2f (%.2f above idle)", poller.peak() / GIB, (poller.peak() - before) / GIB);
			System.out.println("| engine | device | size | s / key frame (median) | min | peak device memory used GiB (cudaMemGetInfo poll) | torch allocator GiB | TFLOP per key frame | fraction of GEMM peak |");
			System.out.println("|---|---|---|---|---|---|---|---|---|");
			System.out.printf(Locale.ROOT, "| Java/DJL %s %s%s%s | %s | %d | %.3f | %.3f | %s | %s | %s | %s |%n", dt, cfg.name().toLowerCase(Locale.ROOT), fused ? " torchext" : "",
				(graphed != null ? " graph" : "") + (a.containsKey("cudnn-benchmark") ? " cudnn-benchmark" : "") + (unet.channelsLast() ? " channels-last" : ""), dev, size, med, times.get(0), peak, torchPeak, Double.isNaN(tflop) ? "n/a" : String.format(Locale.ROOT, "%.1f", tflop),
				Double.isNaN(tflop * gemm) ? "n/a" : String.format(Locale.ROOT, "%.3f", tflop / med / gemm));
		}
	}

	/** {@code img} as raw little-endian F32 values in its own element order (shape and layout as the decoder returns them). */
	static void saveImage(NDArray img, Path file) throws java.io.IOException {
		float[] v = img.toType(DataType.FLOAT32, false).toFloatArray();
		java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * v.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
		b.asFloatBuffer().put(v);
		java.nio.file.Files.write(file, b.array());
		System.out.println("# image saved: " + file + " " + img.getShape());
	}

	/**
	 * The Rerender key-frame engine (per-call hooks) on this device, for each CFG mode of {@code modes} (separate, as
	 * the Rerender commands run it, and batched: one call on [uncond; cond], the hooks acting per half): the anchor
	 * (records the cross-frame state) and a key frame with every constraint off and on, the original's default
	 * windows, a 3-pixel flow. Median seconds after the warm-up; memory as in the plain rows, per mode; the last
	 * constrained key frames of the modes are compared (max |diff| of the decoded images).
	 */
	static void rerenderRows(NDManager weights, UNet unet, ControlNet cnet, AutoencoderKL vae, ClipTextEncoder clip, int[] ids,
		int[] uids, int size, int steps, int warmup, int reps, Device dev, MemPoller poller, List<DdimSampler.Cfg> modes,
		List<Boolean> storesOnHost, boolean phases, boolean ablate, List<Boolean> graphModes)
		throws InterruptedException {
		DataType dt = unet.dtype();
		KeyFrameSettings on = KeyFrameSettings.from(RerenderConfig.builder().prompt("benchmark").ddimSteps(steps).build());
		KeyFrameSettings off = on.unconstrained();
		System.out.println("# Rerender key-frame engine, " + dt + ", constraints " + on);
		List<String> rows = new ArrayList<>();
		List<FloatImage> keyFrames = new ArrayList<>();
		List<String> labels = new ArrayList<>();
		try (NDManager m = weights.newSubManager()) {
			KeyFrameEngine engine = new KeyFrameEngine(new KeyFrameEngine.Models(unet, cnet, vae), m, dt);
			KeyFrameEngine.Prompts prompts = new KeyFrameEngine.Prompts(clip.encode(m, ids), clip.encode(m, uids));
			FloatImage hint = new FloatImage(size, size, 3);
			KeyFrameEngine.FrameInput f0 = KeyFrameEngine.FrameInput.of(pattern(size, 0), hint), f1 = KeyFrameEngine.FrameInput.of(pattern(size, 3), hint);
			FlowField fwd = FlowField.uniform(size, size, 3, 0), bwd = FlowField.uniform(size, size, -3, 0);
			BidirectionalFlow flow = new BidirectionalFlow(fwd, bwd);
			KeyFrameEngine.Flows flows = new KeyFrameEngine.Flows(flow, flow);
			boolean allocatorStats = dev.isGpu() && TorchExtCudaMemory.supported();
			String[] names = {"anchor (constraints record)", "key frame, constraints off", "key frame, constraints on"};
			for (DdimSampler.Cfg cfg : modes) for (boolean onHost : storesOnHost) for (boolean graph : graphModes)
			try (KeyFrameGraphs graphs = graph ? KeyFrameGraphs.forDevice(m) : null) {
				engine.cfg(cfg).storesOnHost(onHost).graphs(graphs);
				String mode = cfg.name().toLowerCase(Locale.ROOT) + (onHost ? " CFG, attention stores in host memory" : " CFG")
					+ (graph ? ", graphed" : "");
				labels.add(mode);
				List<List<Double>> times = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
				double[] partPeak = new double[3]; // the torch allocator's peak allocated bytes of each part, timed rounds
				FloatImage last = null;
				if (poller != null) poller.start();
				for (int i = 0; i < warmup + reps; i++) {
					if (i == warmup && poller != null) poller.resetPeak();
					long t = System.nanoTime();
					if (allocatorStats) TorchExtCudaMemory.resetPeaks(dev);
					KeyFrameEngine.AnchorResult anchor = engine.translateAnchor(f0, prompts, on, NoiseStreams.seeded(1, 0), null, null);
					double ta = (System.nanoTime() - t) / 1e9; // the result image is on the host: the device has finished
					if (allocatorStats && i >= warmup) partPeak[0] = Math.max(partPeak[0], TorchExtCudaMemory.read(dev).peakAllocated());
					double[] tk = new double[2];
					for (int k = 0; k < 2; k++)
						try (KeyFrameSequence seq = new KeyFrameSequence(anchor.anchor(), m, 1)) {
							if (allocatorStats) TorchExtCudaMemory.resetPeaks(dev);
							long t1 = System.nanoTime();
							KeyFrameEngine.KeyFrameResult r = engine.translateKeyFrame(seq, f1, flows, prompts, k == 0 ? off : on,
								NoiseStreams.seeded(1, 1), null, null);
							tk[k] = (System.nanoTime() - t1) / 1e9;
							if (allocatorStats && i >= warmup) partPeak[k + 1] = Math.max(partPeak[k + 1], TorchExtCudaMemory.read(dev).peakAllocated());
							if (k == 1) last = r.decoded();
						}
					anchor.anchor().close();
					if (i >= warmup) {
						times.get(0).add(ta);
						times.get(1).add(tk[0]);
						times.get(2).add(tk[1]);
					}
					System.out.printf(Locale.ROOT, "# %s, round %d%s: anchor %.3f s, key frame off %.3f s, on %.3f s%s%n", mode, i,
						i < warmup ? " (warm-up)" : "", ta, tk[0], tk[1], allocatorStats ? ", torch allocator of the constrained key frame " + allocator(TorchExtCudaMemory.read(dev)) : "");
				}
				if (poller != null) poller.stop();
				keyFrames.add(last);
				// with the stores on the device only (the host-store mode adds its transfers to the same phases)
				if (ablate && !onHost) ablationRows(engine, m, dt, f0, f1, flows, prompts, on, warmup, reps, mode, dev, rows);
				if (phases && !onHost) phaseLines(engine, m, f0, f1, flows, prompts, on, mode, dev);
				if (graphs != null)
					System.out.printf(Locale.ROOT, "# %s: graphs recorded %d, held %d, replays %d, eager calls %d (warm-ups)%s%n", mode, graphs.recorded(),
						graphs.size(), graphs.replays(), graphs.eagerCalls(), graphs.abandoned() ? "; GIVEN UP (see the log line above): the rows ran eager" : "");
				engine.graphs(null);
				String peak = poller == null ? "n/a" : String.format(Locale.ROOT, "%.2f", poller.peak() / GIB);
				for (int r = 0; r < 3; r++) {
					List<Double> ts = new ArrayList<>(times.get(r));
					Collections.sort(ts);
					String torchPeak = allocatorStats ? String.format(Locale.ROOT, "peak %.2f alloc", partPeak[r] / GIB) : "n/a";
					rows.add(String.format(Locale.ROOT, "| %s, %s%s, %s | %s | %d | %.3f | %.3f | %s | %s |", names[r], dt,
						TorchExt.active() ? " torchext" : "", mode, dev, size, ts.get(ts.size() / 2), ts.get(0), peak, torchPeak));
				}
			}
		}
		for (int k = 1; k < keyFrames.size(); k++) {
			// a graphed mode right after its eager twin (--graph both) is compared with that one, every other with the first
			int ref = labels.get(k).endsWith(", graphed") && labels.get(k - 1).equals(labels.get(k).substring(0, labels.get(k).length() - 9)) ? k - 1 : 0;
			float[] x = keyFrames.get(ref).data(), y = keyFrames.get(k).data();
			double d = 0;
			int nx = 0, ny = 0; // non-finite values (random weights can give them) are counted, not compared
			for (int i = 0; i < x.length; i++) {
				if (!Float.isFinite(x[i])) nx++;
				if (!Float.isFinite(y[i])) ny++;
				if (Float.isFinite(x[i]) && Float.isFinite(y[i])) d = Math.max(d, Math.abs(x[i] - y[i]));
			}
			System.out.printf(Locale.ROOT, "# constrained key frame, %s vs %s: max |diff| of the decoded images %.3g (finite values; non-finite %d and %d of %d)%n",
				labels.get(k), labels.get(ref), d, ny, nx, x.length);
		}
		System.out.println("| Rerender engine | device | size | s (median) | min | peak device memory used GiB (whole mode) | torch allocator GiB (this part) |");
		System.out.println("|---|---|---|---|---|---|---|");
		rows.forEach(System.out::println);
	}

	/**
	 * Each constraint of {@code on} alone (cross-frame attention; shape-aware fusion; pixel-aware fusion, i.e. pass 2 and
	 * the fidelity encoding; AdaIN with the window [0.8, 1], off in the defaults), median seconds of a key frame after
	 * the warm-up, as table rows: what each adds to the unconstrained key frame.
	 */
	static void ablationRows(KeyFrameEngine engine, NDManager m, DataType dt, KeyFrameEngine.FrameInput f0, KeyFrameEngine.FrameInput f1, KeyFrameEngine.Flows flows,
		KeyFrameEngine.Prompts prompts, KeyFrameSettings on, int warmup, int reps, String mode, Device dev, List<String> rows)
	{
		Set<Integer> none = Set.of(), ada = Set.copyOf(new org.rerender.config.Period(0.8, 1).inclusiveSteps(on.steps()));
		Map<String, KeyFrameSettings> variants = new LinkedHashMap<>();
		variants.put("cross-frame attention only", windows(on, on.crossSteps(), none, none, none));
		variants.put("shape-aware fusion only", windows(on, none, on.warpSteps(), none, none));
		variants.put("pixel-aware fusion only (pass 2)", windows(on, none, none, none, on.maskSteps()));
		variants.put("AdaIN [0.8, 1] only", windows(on, none, none, ada, none));
		KeyFrameEngine.AnchorResult anchor = engine.translateAnchor(f0, prompts, on, NoiseStreams.seeded(1, 0), null, null);
		try {
			for (Map.Entry<String, KeyFrameSettings> v : variants.entrySet()) {
				List<Double> ts = new ArrayList<>();
				for (int i = 0; i < warmup + reps; i++)
					try (KeyFrameSequence seq = new KeyFrameSequence(anchor.anchor(), m, 1)) {
						long t = System.nanoTime();
						engine.translateKeyFrame(seq, f1, flows, prompts, v.getValue(), NoiseStreams.seeded(1, 1), null, null);
						if (i >= warmup) ts.add((System.nanoTime() - t) / 1e9);
					}
				Collections.sort(ts);
				rows.add(String.format(Locale.ROOT, "| key frame, %s, %s%s, %s | %s | %d | %.3f | %.3f | | |", v.getKey(), dt,
					TorchExt.active() ? " torchext" : "", mode, dev, f0.frame().width(), ts.get(ts.size() / 2), ts.get(0)));
			}
		}
		finally {
			anchor.anchor().close();
		}
	}

	/** {@code s} with these step windows (cross, warp, ada, mask). */
	static KeyFrameSettings windows(KeyFrameSettings s, Set<Integer> cross, Set<Integer> warp, Set<Integer> ada, Set<Integer> mask) {
		return new KeyFrameSettings(s.ddimSteps(), s.guidanceScale(), s.controlStrength(), s.x0Strength(), cross, warp, ada, mask,
			s.maskStrength(), s.innerStrength(), s.smoothBoundary(), s.looseCrossAttention(), s.freeU());
	}

	/**
	 * One more constrained key frame with the device drained at every phase mark ({@link PhaseClock}): where its time
	 * goes (per pass: the network calls, the cross-frame attention hooks, FreeU, the per-step constraints and update;
	 * the VAE work of the fidelity encoding; host work). Printed as {@code # |} lines (not in the median: the drains
	 * cost the host/device overlap).
	 */
	static void phaseLines(KeyFrameEngine engine, NDManager m, KeyFrameEngine.FrameInput f0, KeyFrameEngine.FrameInput f1, KeyFrameEngine.Flows flows,
		KeyFrameEngine.Prompts prompts, KeyFrameSettings on, String mode, Device dev)
	{
		KeyFrameEngine.AnchorResult anchor = engine.translateAnchor(f0, prompts, on, NoiseStreams.seeded(1, 0), null, null);
		PhaseClock clock = PhaseClock.synced(null);
		long t;
		try (KeyFrameSequence seq = new KeyFrameSequence(anchor.anchor(), m, 1)) {
			engine.phases(clock);
			t = System.nanoTime();
			engine.translateKeyFrame(seq, f1, flows, prompts, on, NoiseStreams.seeded(1, 1), null, null);
			t = System.nanoTime() - t;
		}
		finally {
			engine.phases(PhaseClock.OFF);
			anchor.anchor().close();
		}
		double total = clock.totals().values().stream().mapToDouble(PhaseClock.Phase::seconds).sum();
		System.out.printf(Locale.ROOT, "# phases of one more constrained key frame, %s, %s (%.3f s with the device drained at each mark; "
			+ "phases sum %.3f s):%n", mode, dev, t / 1e9, total);
		System.out.println("# | phase | ms | share | marks | torchext calls |");
		clock.totals().forEach((k, v) -> System.out.printf(Locale.ROOT, "# | %s | %.1f | %.1f%% | %d | %d |%n", k, v.seconds() * 1e3,
			100 * v.seconds() / total, v.marks(), v.fusedCalls()));
	}

	/** A smooth RGB test pattern shifted by {@code shift} pixels (the benchmark's frames). */
	static Rgb8Image pattern(int size, int shift) {
		Rgb8Image img = new Rgb8Image(size, size);
		for (int y = 0; y < size; y++)
			for (int x = 0; x < size; x++) {
				int u = x + shift;
				img.set(x, y, 0, (u * 255) / size % 256);
				img.set(x, y, 1, (y * 255) / size);
				img.set(x, y, 2, ((u + y) * 127) / size % 256);
			}
		return img;
	}

	/** "peak allocated / peak reserved" in GiB since the last reset, as torch.cuda.max_memory_allocated / _reserved. */
	static String allocator(TorchExtCudaMemory.Stats m) {
		return String.format(Locale.ROOT, "peak %.2f alloc / %.2f reserved (now %.2f / %.2f)", m.peakAllocated() / GIB, m.peakReserved() / GIB,
			m.allocated() / GIB, m.reserved() / GIB);
	}

	/** One key frame; every intermediate is freed with {@code run}. Returns the decoded image {@code [1,3,S,S]}. */
	static NDArray keyFrame(NDManager run, UNet unet, ControlNet cnet, AutoencoderKL vae, ClipTextEncoder clip, NDArray frame,
		NDArray hint, int[] ids, int[] uids, NoiseSchedule schedule, int steps, double scale, DdimSampler.Cfg cfg,
		SeededNoise noise, DataType dt, GraphedDenoiser[] graphed, double[] phases) {
		long t0 = System.nanoTime();
		NDArray c = clip.encode(run, ids), uc = clip.encode(run, uids);
		if (phases != null) t0 = phase(phases, 0, t0, uc);
		NDArray f = frame.duplicate();
		f.attach(run);
		NDArray z0 = vae.encode(f).mean().mul(AutoencoderKL.SCALE_FACTOR); // the frame's latent (SDEdit / fusion use it)
		z0.attach(run);
		if (phases != null) t0 = phase(phases, 1, t0, z0);
		NDArray xT = noise.next(run, z0.getShape(), dt);
		ControlledDenoiser model = new ControlledDenoiser(run, unet, cnet, c, uc, hint, null, null);
		DdimSampler sampler = new DdimSampler(schedule, steps, scale, cfg);
		Denoiser used = model;
		if (graphed != null) { // one graph for all key frames (recorded in the first), fed each frame's conditioning
			if (graphed[0] == null) {
				Device dev = xT.getDevice();
				graphed[0] = new GraphedDenoiser(model, hint.getManager(), (m, body) -> dev.isGpu() ? StepGraph.cuda(m, dev, body) : StepGraph.rerun(m, body));
			}
			used = graphed[0].rebind(model);
		}
		NDArray x = sampler.sample(run, used, xT, null, noise, null, null, null);
		if (phases != null) t0 = phase(phases, 2, t0, x);
		if (phases != null && cfg == DdimSampler.Cfg.BATCHED) { // the batched network call alone, as the sampler makes it
			long tc = System.nanoTime();
			NDArray e = null;
			for (int i = 0; i < steps; i++) {
				if (e != null) e.close();
				e = used.epsBatched(x, 500, i);
			}
			phase(phases, 8, tc, e); // [8]: the calls' seconds ([12]: their allocator peak)
			e.close();
			t0 = System.nanoTime();
		}
		if (graphed != null) System.out.println("# CUDA graph: replays so far " + graphed[0].replays());
		NDArray img = vae.decode(x.div(AutoencoderKL.SCALE_FACTOR));
		img.attach(run);
		if (phases != null) phase(phases, 3, t0, img);
		return img;
	}

	/**
	 * Waits for the device to finish {@code a} (a value read back), adds the seconds since {@code t0} to phase
	 * {@code i}, and on a GPU with the allocator statistics puts the phase's peak allocated bytes at {@code i + 4}
	 * (then resets the peak for the next phase).
	 */
	static long phase(double[] phases, int i, long t0, NDArray a) {
		try (NDManager m = a.getManager().newSubManager()) {
			NDArray flat = a.flatten();
			flat.attach(m);
			NDArray one = flat.get(0).toType(DataType.FLOAT32, false);
			one.attach(m);
			one.getFloat();
		}
		long t = System.nanoTime();
		phases[i] += (t - t0) / 1e9;
		Device d = a.getDevice();
		if (d.isGpu() && TorchExtCudaMemory.supported()) {
			phases[i + 4] = Math.max(phases[i + 4], TorchExtCudaMemory.read(d).peakAllocated());
			TorchExtCudaMemory.resetPeaks(d);
		}
		return t;
	}

	/**
	 * Top-level ATen ops of one CFG-batched denoiser call as the sampler makes it at every step
	 * ({@link ControlledDenoiser#epsBatched}: {@code [x; x]}, the timestep sinusoid, ControlNet and UNet; the hint is
	 * encoded once per frame, when the denoiser is made, so it is not counted), recorded by libtorch's profiler
	 * through DJL, and that call's wall time at this size and at a 64×64 image (8×8 latent), where the time is
	 * almost all per-op overhead (Java, JNI, dispatcher, launch). anchor.py's count is of the original code, which runs
	 * the hint encoder in every call.
	 */
	static void countOps(NDManager weights, UNet unet, ControlNet cnet, ClipTextEncoder clip, NDArray hint, int[] ids, int[] uids,
		int size, DataType dt, DdimSampler.Cfg cfg) throws Exception {
		for (int s : new int[] {size, 64}) {
			try (NDManager m = weights.newSubManager()) {
				NDArray h = s == size ? hint : m.ones(new Shape(1, 3, s, s), dt);
				// the frame's denoiser, as keyFrame makes it (hint encoded here, once); x in the DDIM state's type
				ControlledDenoiser model = new ControlledDenoiser(m, unet, cnet, clip.encode(m, ids), clip.encode(m, uids), h, null, null);
				NDArray x = m.randomNormal(0, 1, new Shape(1, 4, s / 8, s / 8), Precision.LATENT);
				Runnable call = () -> {
					try (NDManager cm = m.newSubManager()) {
						NDArray xx = x.duplicate();
						xx.attach(cm);
						NDArray eps = model.epsBatched(xx, 500, 0);
						eps.sum().toType(DataType.FLOAT32, false).getFloat();
					}
				};
				for (int i = 0; i < 3; i++) call.run();
				int n = 10;
				long t0 = System.nanoTime();
				for (int i = 0; i < n; i++) call.run();
				double ms = (System.nanoTime() - t0) / 1e6 / n;
				String ops = "n/a";
				if (s == size) {
					try {
						Path f = Files.createTempFile("rerender-profile", ".json");
						long fused0 = TorchExt.calls();
						JniUtils.startProfile(false, false, false);
						call.run();
						JniUtils.stopProfile(f.toString());
						ops = topLevelOps(f) + " (torchext calls: " + (TorchExt.calls() - fused0) + ")";
						Files.deleteIfExists(f);
					}
					catch (RuntimeException | LinkageError e) {
						ops = "profiler unavailable (" + e.getMessage() + ")";
					}
				}
				System.out.printf(Locale.ROOT, "# CFG-batched denoiser call as the sampler's step (batch 2, hint encoded once per frame), %dx%d image: "
					+ "%.1f ms per call; top-level ATen ops per call: %s%n",
					s, s, ms, ops);
			}
		}
	}

	/** Ops that launch no kernel (views, metadata, empty allocations): the same set anchor.py --count-ops leaves out. */
	static final java.util.Set<String> VIEW_OPS = java.util.Set.of("aten::view", "aten::reshape", "aten::_reshape_alias", "aten::transpose",
		"aten::t", "aten::permute", "aten::expand", "aten::slice", "aten::select", "aten::unsqueeze", "aten::squeeze", "aten::as_strided",
		"aten::detach", "aten::alias", "aten::chunk", "aten::split", "aten::narrow", "aten::unflatten", "aten::flatten",
		"aten::lift_fresh", "aten::empty", "aten::empty_strided", "aten::resolve_conj", "aten::resolve_neg");

	private static String topLevelOps(Path trace) throws Exception {
		JsonArray ev = JsonParser.parseString(Files.readString(trace)).getAsJsonArray();
		Map<String, List<double[]>> byThread = new LinkedHashMap<>();
		Map<String, Integer> names = new LinkedHashMap<>();
		List<JsonObject> all = new ArrayList<>();
		for (JsonElement e : ev) all.add(e.getAsJsonObject());
		all.sort((p, q) -> {
			int c = Double.compare(p.get("ts").getAsDouble(), q.get("ts").getAsDouble());
			return c != 0 ? c : Double.compare(q.get("dur").getAsDouble(), p.get("dur").getAsDouble());
		});
		int top = 0;
		Map<String, Double> openUntil = new LinkedHashMap<>();
		for (JsonObject o : all) {
			String tid = o.get("tid").getAsString();
			double ts = o.get("ts").getAsDouble(), end = ts + o.get("dur").getAsDouble();
			if (ts >= openUntil.getOrDefault(tid, Double.NEGATIVE_INFINITY)) {
				top++;
				openUntil.put(tid, end);
				names.merge(o.get("name").getAsString(), 1, Integer::sum);
			}
		}
		byThread.clear();
		int views = names.entrySet().stream().filter(e -> VIEW_OPS.contains(e.getKey())).mapToInt(Map.Entry::getValue).sum();
		StringBuilder b = new StringBuilder().append(top).append(" (").append(top - views).append(" without view/metadata ops; of ")
			.append(all.size()).append(" events; most frequent:");
		names.entrySet().stream().sorted((p, q) -> q.getValue() - p.getValue()).limit(8)
			.forEach(e -> b.append(' ').append(e.getKey()).append('×').append(e.getValue()));
		return b.append(')').toString();
	}

	static Device resolve(Engine engine, String spec) {
		if (!"auto".equalsIgnoreCase(spec)) return BenchDevices.parse(spec);
		String why;
		if (!engine.hasCapability("CUDA")) why = "the PyTorch natives have no CUDA";
		else if (engine.getGpuCount() == 0) why = "no GPU found (cudaGetDeviceCount = 0)";
		else return Device.gpu(0);
		System.out.println("# device auto: using the CPU because " + why);
		return Device.cpu();
	}

	private static void sync(NDManager m) {
		m.zeros(new Shape(1)).getFloat();
	}

	private static Map<String, String> parse(String[] argv) {
		Map<String, String> a = new LinkedHashMap<>();
		for (int i = 0; i < argv.length; i++) {
			if (!argv[i].startsWith("--")) throw new RerenderException("Unexpected argument " + argv[i]);
			String k = argv[i].substring(2);
			boolean flag = i + 1 >= argv.length || argv[i + 1].startsWith("--");
			a.put(k, flag ? "true" : argv[++i]);
		}
		return a;
	}

	/** Device-wide used memory (cudaMemGetInfo through DJL's CudaUtils), polled every 10 ms for the peak. */
	static final class MemPoller {
		private final Device dev;
		private final AtomicLong peak = new AtomicLong();
		private volatile boolean running;
		private Thread thread;

		MemPoller(Device dev) {
			this.dev = dev;
		}

		long sample() {
			long u = CudaUtils.getGpuMemory(dev).getUsed();
			peak.accumulateAndGet(u, Math::max);
			return u;
		}

		void start() {
			running = true;
			thread = new Thread(() -> {
				while (running) {
					sample();
					try {
						Thread.sleep(10);
					}
					catch (InterruptedException e) {
						return;
					}
				}
			}, "gpu-mem-poller");
			thread.setDaemon(true);
			thread.start();
		}

		void resetPeak() {
			peak.set(0);
		}

		void stop() throws InterruptedException {
			running = false;
			thread.join();
		}

		long peak() {
			return peak.get();
		}
	}

	/** CLIP ViT-L/14 text weights of the right shapes, random, made directly on the target manager's device. */
	static final class RandomSource implements TensorSource {
		private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();

		RandomSource(ClipTextConfig cfg) {
			cfg.expectedShapes().forEach((k, s) -> tensors.put(k, new TensorInfo(k, TensorDType.F32, s)));
		}

		@Override
		public Map<String, TensorInfo> tensors() {
			return tensors;
		}

		@Override
		public ByteBuffer rawData(String name) {
			throw new UnsupportedOperationException("random source: use toNDArray");
		}

		@Override
		public NDArray toNDArray(NDManager manager, String name, DataType target) {
			long[] s = info(name).shape();
			Shape shape = new Shape(s);
			DataType dt = target == null ? DataType.FLOAT32 : target;
			if (s.length == 1) return name.endsWith("weight") ? manager.randomUniform(0.9f, 1.1f, shape, dt) : manager.randomUniform(-0.05f, 0.05f, shape, dt);
			float lim = name.contains("embedding") ? 0.02f : (float) Math.sqrt(3.0 / (shape.size() / s[0]));
			return manager.randomUniform(-lim, lim, shape, dt);
		}

		@Override
		public void close() {}
	}
}
