package org.rerender.propagate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.synth.PatchSynthesizer;

/**
 * Ebsynth-style propagation of stylised key frames to every frame of a range (algorithm notes §4):
 * per interval a forward and a backward sequence, then selection, histogram-preserving blending and
 * optional Poisson fusion. Intervals run in parallel ({@link PropagationOptions#processes()}),
 * frames within a direction in order. Every frame of the range comes out, both end keys included.
 */
public final class Propagator {
	private final PatchSynthesizer synthesizer;
	private final FrameFlow flow;

	public Propagator(PatchSynthesizer synthesizer, FrameFlow flow) {
		this.synthesizer = synthesizer;
		this.flow = flow;
	}

	/** In-memory convenience: returns the output frames {@code first … last} of the schedule. */
	public List<Rgb8Image> run(List<Rgb8Image> frames, Map<Integer, Rgb8Image> keys, KeySchedule schedule,
		PropagationOptions options, Progress progress, Cancel cancel)
	{
		return run(FrameSource.of(frames, keys), schedule, options, IntermediateStore.NONE, progress, cancel);
	}

	/** Returns the output frames {@code first … last}; per-direction syntheses go to (and resume from) {@code store}. */
	public List<Rgb8Image> run(FrameSource source, KeySchedule schedule, PropagationOptions options, IntermediateStore store,
		Progress progress, Cancel cancel)
	{
		Rgb8Image[] out = new Rgb8Image[schedule.frameCount()];
		run(source, schedule, options, (i, f) -> out[i - schedule.first()] = f, store, progress, cancel);
		return Arrays.asList(out);
	}

	/**
	 * Propagates; each output frame goes to {@code sink} once (frames the sink already
	 * {@linkplain FrameSink#has has} are skipped when their whole interval is finished).
	 */
	public void run(FrameSource source, KeySchedule schedule, PropagationOptions options, FrameSink sink,
		IntermediateStore store, Progress progress, Cancel cancel)
	{
		validate(source, schedule, options);
		List<int[]> todo = new ArrayList<>();
		long total = 0;
		AtomicLong done = new AtomicLong();
		for (int i = 0; i < schedule.intervals(); i++) {
			int a = schedule.left(i), b = schedule.right(i);
			int outputs = b - a + (i == schedule.intervals() - 1 ? 1 : 0);
			long units = outputs + 2L * Math.max(0, b - a - 1);
			total += units;
			boolean finished = true;
			for (int f = a; f < a + outputs; f++) finished &= sink.has(f);
			if (finished) done.addAndGet(units);
			else todo.add(new int[] {a, b, i == schedule.intervals() - 1 ? 1 : 0});
		}
		final long totalUnits = total;
		progress.report("Propagating", done.get(), totalUnits);
		if (todo.isEmpty()) return;
		Runnable step = () -> progress.report("Propagating", done.incrementAndGet(), totalUnits);
		int parallel = Math.min(options.processes(), todo.size());
		int synthThreads = options.threadsPerSynthesis(parallel);
		Cancel stop = new Cancel();
		ExecutorService pool = Executors.newFixedThreadPool(parallel, r -> {
			Thread t = new Thread(r, "rerender-propagate");
			t.setDaemon(true);
			return t;
		});
		try {
			List<Future<?>> futures = new ArrayList<>();
			for (int[] iv : todo) {
				futures.add(pool.submit(() -> {
					stop.check();
					IntervalPropagation ip = new IntervalPropagation(source, flow, synthesizer, options, synthThreads, store, step);
					List<Rgb8Image> outs = ip.run(iv[0], iv[1], stop);
					int n = outs.size() - (iv[2] == 1 ? 0 : 1);
					for (int t = 0; t < n; t++) {
						int f = iv[0] + t;
						if (!sink.has(f)) sink.put(f, outs.get(t));
						step.run();
					}
					store.intervalDone(iv[0], iv[1]);
					return null;
				}));
			}
			waitAll(futures, cancel, stop);
		}
		finally {
			pool.shutdownNow();
		}
		cancel.check();
	}

	private static void waitAll(List<Future<?>> futures, Cancel cancel, Cancel stop) {
		Throwable failure = null;
		for (Future<?> f : futures) {
			while (true) {
				if (cancel.isRequested()) stop.request();
				try {
					f.get(10, TimeUnit.MILLISECONDS);
					break;
				}
				catch (TimeoutException e) {
					// poll the user's cancel again
				}
				catch (InterruptedException e) {
					stop.request();
					Thread.currentThread().interrupt();
					throw new CancelledException();
				}
				catch (ExecutionException e) {
					stop.request();
					Throwable c = e.getCause();
					if (failure == null || failure instanceof CancelledException) failure = c;
					break;
				}
			}
		}
		if (failure instanceof RuntimeException re) throw re;
		if (failure instanceof Error err) throw err;
		if (failure != null) throw new RerenderException("Propagation failed: " + failure.getMessage(), failure);
	}

	/**
	 * Checks the schedule against the inputs before any work: range, frame size, keys present, key sizes ({@link #run}
	 * does it first; callers may do it earlier, e.g. before loading a flow model). Key frames are named by index and
	 * counting from 1.
	 */
	public static void validate(FrameSource source, KeySchedule schedule, PropagationOptions options) {
		int n = source.frameCount();
		if (schedule.last() >= n)
			throw new RerenderException("The range ends at frame " + schedule.last() + " but the clip has only " + n + " frames (0.." + (n - 1) + ").");
		Rgb8Image first = source.frame(schedule.first());
		int minSide = 2 * options.synthesis().patchSize() + 1;
		if (Math.min(first.width(), first.height()) < minSide)
			throw new RerenderException("Frames are " + first.width() + "x" + first.height() + "; propagation needs at least " + minSide + "x" + minSide + " pixels.");
		List<Integer> missing = new ArrayList<>();
		for (int k : schedule.keys()) {
			Rgb8Image key = source.key(k);
			if (key == null) {
				missing.add(k);
				continue;
			}
			if (!key.sameSize(first))
				throw new RerenderException(source.keyName(k) + " is " + key.width() + "x" + key.height() + " but the input frames are "
					+ first.width() + "x" + first.height() + "; stylised key frames must have the size of the video.");
		}
		if (!missing.isEmpty())
			throw new RerenderException("Missing stylised key frame" + (missing.size() > 1 ? "s " : " ") + missing + " (key frames needed: "
				+ schedule.keys() + "; the last frame of the range is always a key frame).");
	}
}
