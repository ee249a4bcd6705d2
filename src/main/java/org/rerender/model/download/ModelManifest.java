package org.rerender.model.download;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rerender.engine.RerenderException;

/**
 * The list of downloadable model files ({@code models/manifest.json}; a copy is packaged in the jar
 * as {@value #RESOURCE}).
 */
public final class ModelManifest {

	/** Classpath location of the packaged manifest. */
	public static final String RESOURCE = "/org/rerender/model/download/manifest.json";

	private final Map<String, ModelEntry> byId;

	public ModelManifest(List<ModelEntry> entries) {
		Map<String, ModelEntry> m = new LinkedHashMap<>();
		for (ModelEntry e : entries) {
			if (m.put(e.id(), e) != null) throw new IllegalArgumentException("duplicate model id " + e.id());
		}
		for (ModelEntry a : m.values())
			for (ModelEntry b : m.values())
				if (a != b && a.file().equals(b.file()))
					throw new IllegalArgumentException("two model entries share the file name " + a.file());
		byId = m;
	}

	/** The manifest packaged with the plugin. */
	public static ModelManifest packaged() {
		try (InputStream in = ModelManifest.class.getResourceAsStream(RESOURCE)) {
			if (in == null) throw new RerenderException("The model manifest " + RESOURCE + " is missing from the plugin jar; reinstall the plugin.");
			return parse(in);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot read the packaged model manifest: " + e.getMessage(), e);
		}
	}

	public static ModelManifest parse(Path file) throws IOException {
		try (InputStream in = Files.newInputStream(file)) {
			return parse(in);
		}
	}

	public static ModelManifest parse(InputStream in) {
		try {
			Reader r = new InputStreamReader(in, StandardCharsets.UTF_8);
			JsonObject root = JsonParser.parseReader(r).getAsJsonObject();
			JsonArray models = root.getAsJsonArray("models");
			if (models == null) throw new IllegalArgumentException("no \"models\" array");
			List<ModelEntry> list = new ArrayList<>();
			for (JsonElement el : models) {
				JsonObject o = el.getAsJsonObject();
				list.add(new ModelEntry(str(o, "id"), str(o, "file"), str(o, "role"), str(o, "url"),
					o.has("size") && !o.get("size").isJsonNull() ? o.get("size").getAsLong() : null, str(o, "sha256"),
					o.has("required") && o.get("required").getAsBoolean(), str(o, "licence")));
			}
			return new ModelManifest(list);
		}
		catch (RuntimeException e) {
			throw new RerenderException("The model manifest is not valid: " + e.getMessage(), e);
		}
	}

	private static String str(JsonObject o, String key) {
		JsonElement e = o.get(key);
		return e == null || e.isJsonNull() ? null : e.getAsString();
	}

	public Collection<ModelEntry> entries() {
		return byId.values();
	}

	public ModelEntry get(String id) {
		ModelEntry e = byId.get(id);
		if (e == null) throw new RerenderException("Unknown model id '" + id + "'; known ids: " + String.join(", ", byId.keySet()));
		return e;
	}

	/** Entries for a comma-separated id list; {@code null} or blank selects the required entries. */
	public List<ModelEntry> select(String ids) {
		List<ModelEntry> out = new ArrayList<>();
		if (ids == null || ids.isBlank()) {
			for (ModelEntry e : byId.values()) if (e.required()) out.add(e);
			return out;
		}
		if (ids.trim().equals("all")) return new ArrayList<>(byId.values());
		for (String id : ids.split(",")) {
			if (!id.isBlank()) out.add(get(id.trim()));
		}
		return out;
	}
}
