package org.rerender.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

/** Runs the CLI in-process with stdout and stderr captured, as the launcher script would run it. */
final class CliCapture {
	private CliCapture() {}

	/** {exit code, stdout, stderr} of {@code rerender ARGS}. */
	static String[] run(String... args) {
		PrintStream out = System.out, err = System.err;
		ByteArrayOutputStream o = new ByteArrayOutputStream(), e = new ByteArrayOutputStream();
		System.setOut(new PrintStream(o, true));
		System.setErr(new PrintStream(e, true));
		int rc;
		try {
			rc = RerenderCli.run(args);
		}
		finally {
			System.setOut(out);
			System.setErr(err);
		}
		return new String[] {Integer.toString(rc), o.toString(), e.toString()};
	}
}
