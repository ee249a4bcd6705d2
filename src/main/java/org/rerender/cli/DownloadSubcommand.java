package org.rerender.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.model.download.Downloader;
import org.rerender.model.download.ModelEntry;
import org.rerender.model.download.ModelManifest;
import org.rerender.model.download.ModelStore;
import org.rerender.model.download.Units;

/** {@code rerender download}: fetch model files listed in the manifest. */
final class DownloadSubcommand implements Subcommand {

	@Override
	public String name() {
		return "download";
	}

	@Override
	public String summary() {
		return "download model weights (resumable, checksummed)";
	}

	@Override
	public String help() {
		return String.join("\n",
			"Usage: rerender download [--list] [--only ID,ID|all] [--dir DIR] [--manifest FILE] [--retries N]",
			"",
			"Downloads the model files of the manifest into the model folder, resuming partial downloads",
			"(FILE.part), verifying SHA-256 where the manifest knows it and installing each file atomically.",
			"Without --only, the required files are downloaded; --only all adds the optional ones",
			"(canny ControlNet, SD 1.5 base, HF tokenizer files, community checkpoints).",
			"",
			"  --list           print the manifest (id, file, size, checksum, source, licence) and exit",
			"  --only IDS       comma-separated ids from --list, or 'all'",
			"  --dir DIR        model folder (default: -Drerender.models, the saved preference, <Fiji>/models/rerender,",
			"                   or models/ of this checkout)",
			"  --manifest FILE  use another manifest JSON",
			"  --retries N      retries for transient network errors (default 4)",
			"",
			"Proxies: -Dhttps.proxyHost/-Dhttps.proxyPort (RERENDER_JAVA_OPTS) or https_proxy/HTTP_PROXY/no_proxy.",
			"Offline: download each file by hand from the URL shown by --list into the model folder.");
	}

	@Override
	public int run(String[] argv) throws Exception {
		Args a = Args.parse(argv, Set.of("--list"), Set.of("--only", "--dir", "--manifest", "--retries"));
		if (!a.positionals().isEmpty()) throw new UsageException("unexpected argument " + a.positionals().get(0));
		ModelManifest manifest = a.has("--manifest") ? ModelManifest.parse(a.path("--manifest", null)) : ModelManifest.packaged();
		if (a.flag("--list")) {
			System.out.println(list(manifest));
			return 0;
		}
		ModelStore store = a.has("--dir") ? new ModelStore(a.path("--dir", null)) : ModelStore.standard();
		Downloader.Options o = new Downloader.Options();
		o.maxRetries = a.integer("--retries", o.maxRetries);
		o.log = s -> System.err.println("\n" + s);
		Downloader d = new Downloader(store, o);
		Cancel cancel = new Cancel();
		Progress p = (stage, done, total) -> System.err.print("\r" + stage + "          ");
		List<ModelEntry> chosen = manifest.select(a.string("--only", null));
		System.err.println("Model folder: " + store.directory());
		for (ModelEntry e : chosen) {
			Downloader.Result r = d.download(e, p, cancel);
			System.err.println();
			System.out.println(r.describe());
		}
		return 0;
	}

	static String list(ModelManifest m) {
		StringBuilder sb = new StringBuilder();
		for (ModelEntry e : m.entries()) {
			sb.append(String.format(Locale.ROOT, "%s%s%n  file:     %s%n  role:     %s%n  size:     %s%n  sha256:   %s%n  url:      %s%n  licence:  %s%n",
				e.id(), e.required() ? "" : " (optional)", e.file(), e.role(),
				e.size() == null ? "unknown" : e.size() + " bytes (" + Units.bytes(e.size()) + ")",
				e.sha256() == null ? "unknown (downloads are reported as not verified)" : e.sha256(), e.url(), e.licence()));
		}
		return sb.toString();
	}
}
