package org.rerender.pipeline;

import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rerender.config.ConfigJson;
import org.rerender.config.RerenderConfig;

/** A config as the JSON-able parameter maps the work folder stamps. */
final class JsonParams {
	private JsonParams() {}

	/** Every setting (our JSON config format). */
	static Map<String, Object> of(RerenderConfig c) {
		return new Gson().fromJson(ConfigJson.write(c), new TypeToken<LinkedHashMap<String, Object>>() {}.getType());
	}

	/**
	 * The settings key-frame translation depends on (frame preparation is stamped by the frames step). The engine
	 * switches batch_cfg and attention_store_on_host are left out: they change speed and memory, not the key frames
	 * (beyond float rounding), so a job may resume with them switched.
	 */
	static Map<String, Object> keyFrameSettings(RerenderConfig c) {
		Map<String, Object> m = of(c);
		for (String k : List.of("format", "input", "output", "work_dir", "key_subdir", "frame_count", "crop", "image_resolution",
			"use_limit_device_resolution", "poisson", "n_proc", "seed", "batch_cfg", "attention_store_on_host"))
			m.remove(k);
		m.put("sd_model", c.sdModel == null ? null : c.sdModel.toAbsolutePath().toString());
		m.put("controlnet_model", c.controlnetModel == null ? null : c.controlnetModel.toAbsolutePath().toString());
		return m;
	}
}
