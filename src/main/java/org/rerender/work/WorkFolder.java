package org.rerender.work;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import org.rerender.engine.RerenderException;
import org.rerender.engine.Sha256;
import org.rerender.video.ImageSequence;

/**
 * The on-disk state of one job (layout version {@value #LAYOUT_VERSION}):
 *
 * <pre>
 * WORK/
 *   rerender.json      job file: layout_version, input path + SHA-256, all job parameters, one stamp per step
 *   frames/0000.png    prepared input frames (cropped/resized), lossless PNG, numbered from 0
 *   flow/  masks/      optical flow and occlusion masks
 *   keys/              stylised key frames
 *   propagated/        propagated (Ebsynth-style) frames and blends
 *   out/               final frames / video
 * </pre>
 *
 * Each step folder is opened with {@link #step}, which records a <em>stamp</em>: the SHA-256 of the step's own
 * parameters, the input's hash and the stamps of the steps it reads. A step whose stored stamp matches resumes:
 * its finished files are kept and {@link WorkStep#has} says which they are. A step whose stamp differs (the input,
 * its parameters or an upstream step changed) is refused with a message naming what changed, unless
 * {@code overwrite} is set: then that one step folder is emptied and redone. Steps that do not depend on the change
 * keep their files. Every file is written atomically (temp + rename); leftover temporary files never count and are
 * removed when the step is opened.
 */
public final class WorkFolder {

	public static final int LAYOUT_VERSION = 1;
	public static final String JOB_FILE = "rerender.json";
	public static final String FRAMES = "frames", FLOW = "flow", MASKS = "masks", KEYS = "keys",
		PROPAGATED = "propagated", OUT = "out";

	static final Gson GSON = new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().serializeNulls().create();

	private final Path root;
	private final Path input;
	private final ImageSequence sequence;
	private final String inputHash;
	private final JsonObject job;

	private WorkFolder(Path root, Path input, ImageSequence sequence, String inputHash, JsonObject job) {
		this.root = root;
		this.input = input;
		this.sequence = sequence;
		this.inputHash = inputHash;
		this.job = job;
	}

	/**
	 * Opens (creating if needed) the work folder of a job.
	 *
	 * @param root   the folder (created with parents)
	 * @param input  the input video (hashed with SHA-256) or image-sequence folder (its frames hashed), or null when the job has no input file
	 * @param params all parameters of the job (JSON-able values: numbers, strings, booleans, lists, maps); stored
	 *               in {@code rerender.json} as the latest run's parameters
	 */
	public static WorkFolder open(Path root, Path input, Map<String, ?> params) {
		ImageSequence sequence = ImageSequence.isSequence(input) ? ImageSequence.open(input, ImageSequence.DEFAULT_FPS) : null;
		return open(root, input, sequence, params);
	}

	/**
	 * As {@link #open(Path, Path, Map)} for an image-sequence folder listed already: its hash and the frames the frames
	 * step reads ({@link #sequence()}) come from this one listing, even while files are added to the folder.
	 */
	public static WorkFolder openSequence(Path root, ImageSequence input, Map<String, ?> params) {
		return open(root, input.dir(), input, params);
	}

	private static WorkFolder open(Path root, Path input, ImageSequence sequence, Map<String, ?> params) {
		root = root.toAbsolutePath();
		try {
			Files.createDirectories(root);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot create the work folder " + root + ": " + e, e);
		}
		if (!Files.isWritable(root)) throw new RerenderException("The work folder is not writable: " + root);
		Path jobFile = root.resolve(JOB_FILE);
		JsonObject job;
		if (Files.exists(jobFile)) {
			try {
				job = JsonParser.parseString(Files.readString(jobFile, StandardCharsets.UTF_8)).getAsJsonObject();
			}
			catch (IOException | RuntimeException e) {
				throw new RerenderException("The job file " + jobFile + " is unreadable (" + e.getMessage()
					+ "); delete it or use another work folder.", e);
			}
			int version = job.has("layout_version") ? job.get("layout_version").getAsInt() : -1;
			if (version != LAYOUT_VERSION)
				throw new RerenderException("The work folder " + root + " has layout version " + version
					+ ", this version of Rerender uses " + LAYOUT_VERSION + "; use a new work folder.");
		}
		else {
			job = new JsonObject();
			job.addProperty("layout_version", LAYOUT_VERSION);
			job.addProperty("created", Instant.now().toString());
			job.add("steps", new JsonObject());
		}
		String hash = input == null ? null : sequence != null ? sequence.sha256() : sha256File(input); // a sequence: its frames' names and bytes
		job.addProperty("input", input == null ? null : input.toAbsolutePath().toString());
		job.addProperty("input_hash", hash);
		job.add("params", canonical(GSON.toJsonTree(params == null ? Map.of() : params)));
		job.addProperty("updated", Instant.now().toString());
		if (!job.has("steps")) job.add("steps", new JsonObject());
		WorkFolder w = new WorkFolder(root, input == null ? null : input.toAbsolutePath(), sequence, hash, job);
		w.save();
		return w;
	}

	public Path root() { return root; }
	/** The input video, or null. */
	public Path input() { return input; }
	/** The input's frames when it is an image-sequence folder, as listed and hashed when opened; else null. */
	public ImageSequence sequence() { return sequence; }
	/** "sha256:..." of the input file, or null. */
	public String inputHash() { return inputHash; }
	/** A copy of the job parameters as stored. */
	public JsonObject params() { return job.getAsJsonObject("params").deepCopy(); }

	/**
	 * Opens one step folder ({@link #FRAMES}, {@link #FLOW}, ...; any simple name works).
	 *
	 * @param params    the parameters this step's files depend on
	 * @param overwrite redo the step if it was made with other settings (its folder is emptied) instead of refusing;
	 *                  a step with the same settings is kept (resumed) either way
	 * @param upstream  steps whose files this step reads (their stamps become part of this step's)
	 * @throws RerenderException if the step was made with other settings and {@code overwrite} is false
	 */
	public synchronized WorkStep step(String name, Map<String, ?> params, boolean overwrite, WorkStep... upstream) {
		if (!name.matches("[a-z0-9_]+")) throw new IllegalArgumentException("Bad step name " + name);
		JsonObject stamp = new JsonObject();
		stamp.addProperty("layout_version", LAYOUT_VERSION);
		stamp.addProperty("input_hash", inputHash);
		stamp.add("params", canonical(GSON.toJsonTree(params == null ? Map.of() : params)));
		JsonObject up = new JsonObject();
		for (WorkStep u : upstream) up.addProperty(u.name(), u.hash());
		stamp.add("upstream", up);
		String hash = Sha256.of(GSON.toJson(canonical(stamp)));

		Path dir = root.resolve(name);
		JsonObject steps = job.getAsJsonObject("steps");
		JsonObject old = steps.has(name) ? steps.getAsJsonObject(name) : null;
		boolean same = old != null && hash.equals(old.get("hash").getAsString());
		try {
			boolean hasFiles = Files.isDirectory(dir) && WorkStep.listResults(dir).size() > 0;
			if (!same && hasFiles && !overwrite)
				throw new RerenderException("The '" + name + "' files in " + root + " were made with different settings ("
					+ describeChange(old, stamp) + "). Delete " + dir + " or use another work folder (bin/rerender: --overwrite redoes the step).");
			if (!same) WorkStep.clear(dir);
			Files.createDirectories(dir);
			WorkStep.removeTemps(dir);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot prepare " + dir + ": " + e, e);
		}
		if (!same) {
			JsonObject rec = stamp.deepCopy();
			rec.addProperty("hash", hash);
			rec.addProperty("complete", false);
			rec.addProperty("updated", Instant.now().toString());
			steps.add(name, rec);
			save();
		}
		return new WorkStep(this, name, dir, hash);
	}

	synchronized void markComplete(String name, int count) {
		JsonObject rec = job.getAsJsonObject("steps").getAsJsonObject(name);
		rec.addProperty("complete", true);
		rec.addProperty("count", count);
		rec.addProperty("updated", Instant.now().toString());
		save();
	}

	synchronized boolean isComplete(String name) {
		JsonObject steps = job.getAsJsonObject("steps");
		return steps.has(name) && steps.getAsJsonObject(name).get("complete").getAsBoolean();
	}

	synchronized int completeCount(String name) {
		JsonObject rec = job.getAsJsonObject("steps").getAsJsonObject(name);
		return rec != null && rec.has("count") ? rec.get("count").getAsInt() : -1;
	}

	private void save() {
		try {
			AtomicFiles.writeString(root.resolve(JOB_FILE), GSON.toJson(job) + "\n");
		}
		catch (IOException e) {
			throw new RerenderException("Cannot write " + root.resolve(JOB_FILE) + ": " + e, e);
		}
	}

	private static String describeChange(JsonObject old, JsonObject now) {
		if (old == null) return "no record of how they were made";
		List<String> changes = new ArrayList<>();
		if (!String.valueOf(old.get("input_hash")).equals(String.valueOf(now.get("input_hash"))))
			changes.add("the input video changed");
		JsonObject a = old.getAsJsonObject("params"), b = now.getAsJsonObject("params");
		TreeMap<String, JsonElement> keys = new TreeMap<>();
		a.entrySet().forEach(e -> keys.put(e.getKey(), e.getValue()));
		b.entrySet().forEach(e -> keys.put(e.getKey(), e.getValue()));
		for (String k : keys.keySet()) {
			JsonElement x = a.get(k), y = b.get(k);
			if (x == null ? y != null : !x.equals(y)) changes.add(k + ": " + x + " -> " + y);
		}
		if (!old.getAsJsonObject("upstream").equals(now.getAsJsonObject("upstream")))
			changes.add("an earlier step (" + String.join(", ", now.getAsJsonObject("upstream").keySet()) + ") was redone");
		if (changes.isEmpty()) changes.add("layout or format changed");
		return String.join("; ", changes);
	}

	/** JSON with object keys sorted, so equal parameters hash equally. */
	static JsonElement canonical(JsonElement e) {
		if (e.isJsonObject()) {
			JsonObject o = new JsonObject();
			new TreeMap<>(e.getAsJsonObject().asMap()).forEach((k, v) -> o.add(k, canonical(v)));
			return o;
		}
		if (e.isJsonArray()) {
			JsonArray a = new JsonArray();
			e.getAsJsonArray().forEach(v -> a.add(canonical(v)));
			return a;
		}
		return e;
	}

	/** "sha256:&lt;hex&gt;" of a file's bytes. */
	public static String sha256File(Path file) {
		try {
			return Sha256.ofFile(file);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot read the input " + file + ": " + e, e);
		}
	}
}
