package org.rerender.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code rerender download} and {@code rerender models} end to end (loopback server, temp folders). */
class ModelCliTest {

	@TempDir
	Path dir;

	record Run(int code, String out, String err) {}

	static Run cli(String... args) {
		PrintStream o = System.out, e = System.err;
		ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
		try {
			System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
			System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
			int code = RerenderCli.run(args);
			return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
		}
		finally {
			System.setOut(o);
			System.setErr(e);
		}
	}

	@Test
	void listAndStatus() {
		Run list = cli("download", "--list");
		assertEquals(0, list.code());
		assertTrue(list.out().contains("controlnet-hed") && list.out().contains("sha256:   unknown"), list.out());
		Run status = cli("models", "--dir", dir.toString());
		assertEquals(3, status.code(), "required files missing");
		assertTrue(status.out().contains("Model folder: " + dir) && status.out().contains("missing"), status.out());
		Run bad = cli("download", "--only", "nope", "--dir", dir.toString());
		assertEquals(1, bad.code());
		assertTrue(bad.err().contains("Unknown model id 'nope'"), bad.err());
	}

	@Test
	void downloadsFromACustomManifest() throws Exception {
		byte[] data = new byte[70_000];
		new Random(3).nextBytes(data);
		try (var server = new org.rerender.model.download.LoopbackFileServerAccess()) {
			String url = server.serve("/w.bin", data);
			Path manifest = dir.resolve("m.json");
			Files.writeString(manifest, "{\"models\":[{\"id\":\"w\",\"file\":\"w.bin\",\"role\":\"test\",\"url\":\"" + url
				+ "\",\"size\":null,\"sha256\":null,\"required\":true,\"licence\":\"test\"}]}");
			Path models = dir.resolve("models");
			Run r = cli("download", "--manifest", manifest.toString(), "--dir", models.toString());
			assertEquals(0, r.code(), r.err());
			assertTrue(r.out().contains("w.bin: downloaded") && r.out().contains("checksum unknown, not verified"), r.out());
			assertArrayEquals(data, Files.readAllBytes(models.resolve("w.bin")));
			Run st = cli("models", "--manifest", manifest.toString(), "--dir", models.toString());
			assertEquals(0, st.code(), st.out());
			assertTrue(st.out().contains("unverified"), st.out());
		}
	}
}
