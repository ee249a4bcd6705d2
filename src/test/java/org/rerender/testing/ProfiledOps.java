package org.rerender.testing;

import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rerender.diffusion.rerender.PhaseClock;

/**
 * Native (ATen) ops counted with libtorch's profiler through DJL ({@code JniUtils.startProfile}): top-level ops are
 * those not inside another op's interval, i.e. the ops Java (or torchext) issued. As a {@link PhaseClock.Listener} it
 * attributes the ops to the clock's phases: the profiler is stopped and restarted at every mark.
 */
public final class ProfiledOps implements PhaseClock.Listener, AutoCloseable {
	private final Map<String, Long> perPhase = new LinkedHashMap<>();
	private boolean running;

	/** Starts profiling; each {@link #phaseEnded} books the ops since the previous one. */
	public ProfiledOps start() {
		JniUtils.startProfile(false, false, false);
		running = true;
		return this;
	}

	@Override
	public void phaseEnded(String phase) {
		perPhase.merge(phase, stop(), Long::sum);
		start();
	}

	/** Top-level ops per phase, in the order the phases first ended. */
	public Map<String, Long> perPhase() {
		return Collections.unmodifiableMap(perPhase);
	}

	/** Stops the profiler; returns the top-level ops since the last start. */
	public long stop() {
		running = false;
		try {
			Path trace = Files.createTempFile("rerender-ops", ".json");
			try {
				JniUtils.stopProfile(trace.toString());
				return topLevel(trace);
			}
			finally {
				Files.deleteIfExists(trace);
			}
		}
		catch (IOException e) {
			throw new UncheckedIOException(e);
		}
	}

	/** Top-level ops of {@code r}. */
	public static long during(Runnable r) {
		ProfiledOps p = new ProfiledOps().start();
		r.run();
		return p.stop();
	}

	/** ATen events of a trace that lie inside no other ATen event. */
	public static long topLevel(Path trace) throws IOException {
		return count(trace).topLevel();
	}

	/** How many ATen events a profiler trace holds: all, and the top-level ones. */
	public record Counts(long all, long topLevel) {}

	/** Counts the ATen events of a trace; top level = inside no other op's interval (one thread: the ops Java issued). */
	public static Counts count(Path trace) throws IOException {
		JsonElement root = JsonParser.parseString(Files.readString(trace));
		JsonArray events = root.isJsonArray() ? root.getAsJsonArray() : root.getAsJsonObject().getAsJsonArray("traceEvents");
		List<double[]> spans = new ArrayList<>();
		for (JsonElement ev : events) {
			JsonObject o = ev.getAsJsonObject();
			if ((!o.has("ph") || "X".equals(o.get("ph").getAsString())) && o.get("name").getAsString().startsWith("aten::"))
				spans.add(new double[] {o.get("ts").getAsDouble(), o.get("dur").getAsDouble()});
		}
		spans.sort((a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(b[1], a[1]));
		long top = 0;
		double end = Double.NEGATIVE_INFINITY;
		for (double[] sp : spans)
			if (sp[0] >= end) {
				top++;
				end = sp[0] + sp[1];
			}
		return new Counts(spans.size(), top);
	}

	@Override
	public void close() {
		if (running) stop();
	}
}
