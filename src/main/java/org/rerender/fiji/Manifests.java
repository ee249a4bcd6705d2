package org.rerender.fiji;

import java.io.File;
import java.io.IOException;
import org.rerender.engine.RerenderException;
import org.rerender.model.download.ModelManifest;

/** The packaged model manifest, or a user-chosen one. */
final class Manifests {
	private Manifests() {}

	static ModelManifest load(File file) {
		if (file == null || file.getPath().isBlank()) return ModelManifest.packaged();
		try {
			return ModelManifest.parse(file.toPath());
		}
		catch (IOException e) {
			throw new RerenderException("Cannot read the manifest " + file + ": " + e.getMessage(), e);
		}
	}
}
