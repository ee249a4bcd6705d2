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
		catch (IOException | RuntimeException e) { // missing file, or not a valid manifest: name the file and the way out
			throw new RerenderException("Cannot read the manifest " + file + ": " + e.getMessage()
				+ ". Fix that file, or leave 'Manifest' empty for the packaged one.", e);
		}
	}
}
