package org.rerender.cli;

import java.util.List;
import java.util.Set;
import org.rerender.model.download.ModelManifest;
import org.rerender.model.download.ModelStore;

/** {@code rerender models}: what is installed in the model folder. */
final class ModelsSubcommand implements Subcommand {

	@Override
	public String name() {
		return "models";
	}

	@Override
	public String summary() {
		return "list installed and missing model files";
	}

	@Override
	public String help() {
		return String.join("\n",
			"Usage: rerender models [--dir DIR] [--manifest FILE]",
			"",
			"Prints the model folder and, per manifest entry, its state: verified (SHA-256 checked),",
			"unverified (present; no checksum known or not checked yet), wrong_size, partial (FILE.part), missing.",
			"Exit code 0 when every required file is installed, 3 otherwise.");
	}

	@Override
	public int run(String[] argv) throws Exception {
		Args a = Args.parse(argv, Set.of(), Set.of("--dir", "--manifest"));
		ModelManifest manifest = a.has("--manifest") ? ModelManifest.parse(a.path("--manifest", null)) : ModelManifest.packaged();
		ModelStore store = a.has("--dir") ? new ModelStore(a.path("--dir", null)) : ModelStore.standard();
		List<ModelStore.Status> st = store.status(manifest.entries());
		System.out.println("Model folder: " + store.directory());
		System.out.print(ModelStore.table(st));
		boolean complete = st.stream().allMatch(s -> !s.entry().required() || s.installed());
		if (!complete) System.out.println("Required files are missing: run  rerender download");
		return complete ? 0 : 3;
	}
}
