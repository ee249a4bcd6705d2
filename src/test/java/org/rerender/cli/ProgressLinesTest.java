package org.rerender.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressLinesTest {
	private static String run(java.util.function.Consumer<PrintStream> body) {
		ByteArrayOutputStream b = new ByteArrayOutputStream();
		PrintStream p = new PrintStream(new ProgressLines(b), true, StandardCharsets.UTF_8);
		body.accept(p);
		p.flush();
		return b.toString(StandardCharsets.UTF_8);
	}

	@Test
	void textInSeveralChunksAfterAProgressLineStaysOneLine() {
		assertEquals("\rStep 1/2\nnote: abc and 42\n", run(p -> {
			p.print("\rStep 1/2");
			p.printf("note: %s and %d%n", "abc", 42);
		}));
		// written byte by byte, too
		assertEquals("\rStep 2/2\nerror: x\n", run(p -> {
			p.print("\rStep 2/2");
			for (byte c : "error: x\n".getBytes(StandardCharsets.UTF_8)) p.write(c);
		}));
		// progress rewriting itself stays on its line; a line after a finished one is not preceded by a blank one
		assertEquals("\rA 1\rA 2\ndone\nnext\n", run(p -> {
			p.print("\rA 1");
			p.print("\rA 2");
			p.println("done");
			p.println("next");
		}));
	}

	@Test
	void charsetOfAPrintStreamIsKept() {
		if (Runtime.version().feature() < 18) return; // PrintStream.charset() is Java 18+
		PrintStream s = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_16LE);
		assertEquals(StandardCharsets.UTF_16LE, ProgressLines.charsetOf(s));
	}
}
