package org.rerender.cli;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/**
 * An stderr filter for the CLI: progress is one line rewritten with a leading {@code '\r'}; anything else printed
 * while such a line is open (a note, the final error) starts on a new line instead of being glued to the progress.
 */
final class ProgressLines extends FilterOutputStream {
	private boolean open;

	ProgressLines(OutputStream out) {
		super(out);
	}

	@Override
	public void write(int b) throws IOException {
		write(new byte[] {(byte) b}, 0, 1);
	}

	@Override
	public synchronized void write(byte[] b, int off, int len) throws IOException {
		if (len <= 0) return;
		byte first = b[off];
		if (open && first != '\r' && first != '\n') {
			out.write('\n');
			open = false; // the rest of this text may come in more chunks: they continue the new line
		}
		out.write(b, off, len);
		byte last = b[off + len - 1];
		if (first == '\r') open = last != '\n';
		else if (last == '\n') open = false;
	}

	/** The charset {@code s} encodes text with (Java 18+ says; before, System.err's as the JDK chose it). */
	static java.nio.charset.Charset charsetOf(java.io.PrintStream s) {
		try {
			return (java.nio.charset.Charset) java.io.PrintStream.class.getMethod("charset").invoke(s);
		}
		catch (ReflectiveOperationException | RuntimeException e) {
			String name = System.getProperty("stderr.encoding", System.getProperty("sun.stderr.encoding"));
			try {
				if (name != null) return java.nio.charset.Charset.forName(name);
			}
			catch (RuntimeException unknown) { // fall through to the default
			}
			return java.nio.charset.Charset.defaultCharset();
		}
	}
}
