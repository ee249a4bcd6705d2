package org.rerender.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rerender.engine.CancelledException;
import org.rerender.engine.RerenderException;

/**
 * {@code bin/rerender}: headless batch use of the engine. Each subcommand prints
 * {@code --help}; a failure prints one line "rerender NAME: reason" and exits non-zero.
 */
public final class RerenderCli {

	/** Every subcommand, in the order of the overview. */
	static List<Subcommand> subcommands() {
		return List.of(
			// subcommands are listed here, one per line
			new FlowSubcommand(),
			new PropagateCommand(),
			new GenerateSubcommand(),
			new DownloadSubcommand(),
			new ModelsSubcommand(),
			new UpdateSiteSubcommand(),
			new GpuStatusSubcommand(),
			new VideoSubcommand(),
			new ExampleSubcommand()
		);
	}

	private RerenderCli() {}

	public static void main(String[] args) {
		System.exit(run(args));
	}

	/** Runs the CLI and returns the exit code (tests call this instead of {@link #main}). */
	public static int run(String[] args) {
		Map<String, Subcommand> byName = new LinkedHashMap<>();
		for (Subcommand s : subcommands()) byName.put(s.name(), s);
		if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
			System.out.println(overview(byName));
			return args.length == 0 ? 2 : 0;
		}
		Subcommand sub = byName.get(args[0]);
		if (sub == null) {
			System.err.println("rerender: unknown subcommand '" + args[0] + "' (try: rerender --help)");
			return 2;
		}
		String[] rest = Arrays.copyOfRange(args, 1, args.length);
		if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
			System.out.println(sub.help());
			return 0;
		}
		PrintStream err = System.err;
		System.setErr(new PrintStream(new ProgressLines(err), true, ProgressLines.charsetOf(err)));
		try {
			return runGuarded(sub, rest);
		}
		finally {
			System.err.flush();
			System.setErr(err);
		}
	}

	private static int runGuarded(Subcommand sub, String[] rest) {
		try {
			return sub.run(rest);
		}
		catch (UsageException e) {
			System.err.println("rerender " + sub.name() + ": " + e.getMessage() + " (see: rerender " + sub.name() + " --help)");
			return 2;
		}
		catch (CancelledException e) {
			System.err.println("rerender " + sub.name() + ": cancelled");
			return 130;
		}
		catch (RerenderException e) {
			System.err.println("rerender " + sub.name() + ": " + e.getMessage());
			return 1;
		}
		catch (Exception | Error e) {
			System.err.println("rerender " + sub.name() + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
			if (System.getenv("RERENDER_DEBUG") != null) e.printStackTrace();
			return 1;
		}
	}

	private static String overview(Map<String, Subcommand> subs) {
		StringBuilder sb = new StringBuilder("Usage: rerender <subcommand> [options]   (rerender <subcommand> --help)\n\nSubcommands:\n");
		subs.values().forEach(s -> sb.append(String.format("  %-12s %s%n", s.name(), s.summary())));
		return sb.toString();
	}
}
