package org.rerender.model.download;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Cancel;
import org.rerender.engine.CancelledException;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;

/** The downloader against a loopback HTTP server serving generated files. */
class DownloaderTest {

	@TempDir
	Path dir;
	LoopbackFileServer server;
	final List<String> log = new ArrayList<>();

	@BeforeEach
	void start() throws IOException {
		server = new LoopbackFileServer();
	}

	@AfterEach
	void stop() {
		server.close();
	}

	static byte[] data(int n, long seed) {
		byte[] b = new byte[n];
		new Random(seed).nextBytes(b);
		return b;
	}

	static String sha(byte[] b) throws Exception {
		return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
	}

	ModelEntry entry(String path, byte[] d, boolean withHash) throws Exception {
		return new ModelEntry("m", "model.bin", "test", server.url(path), withHash ? (long) d.length : null,
			withHash ? sha(d) : null, true, "test");
	}

	Downloader.Options fast() {
		Downloader.Options o = new Downloader.Options();
		// generous: the build machine is shared and loaded; the slow-server test sets its own short timeout
		o.connectTimeoutMs = 5000;
		o.readTimeoutMs = 5000;
		o.maxRetries = 0;
		o.backoffMs = 10;
		o.reportIntervalMs = 0;
		o.proxies = new ProxySettings(new Properties(), Map.of());
		o.log = log::add;
		return o;
	}

	@Test
	void downloadsVerifiesAndInstallsAtomically() throws Exception {
		byte[] d = data(300_000, 1);
		server.serve("/a.bin", d);
		ModelStore store = new ModelStore(dir);
		List<long[]> reports = new ArrayList<>();
		List<String> stages = new ArrayList<>();
		Progress p = (stage, done, total) -> {
			reports.add(new long[] { done, total });
			stages.add(stage);
		};
		Downloader.Result r = new Downloader(store, fast()).download(entry("/a.bin", d, true), p, new Cancel());
		assertTrue(r.verified());
		assertFalse(r.alreadyPresent());
		assertArrayEquals(d, Files.readAllBytes(dir.resolve("model.bin")));
		assertFalse(Files.exists(dir.resolve("model.bin.part")));
		assertEquals(ModelStore.State.VERIFIED, store.status(r.entry()).state());
		long[] last = reports.get(reports.size() - 1);
		assertEquals(d.length, last[0]);
		assertEquals(d.length, last[1]);
		assertTrue(stages.get(stages.size() - 1).contains("/s"), stages.get(stages.size() - 1));
		// a second run finds it verified without a request
		int before = server.requests.size();
		assertTrue(new Downloader(store, fast()).download(r.entry(), Progress.NONE, new Cancel()).alreadyPresent());
		assertEquals(before, server.requests.size());
	}

	@Test
	void unknownChecksumIsReportedHonestly() throws Exception {
		byte[] d = data(5000, 2);
		server.serve("/u.bin", d);
		ModelStore store = new ModelStore(dir);
		Downloader.Result r = new Downloader(store, fast()).download(entry("/u.bin", d, false), Progress.NONE, new Cancel());
		assertFalse(r.verified());
		assertEquals(sha(d), r.sha256());
		assertTrue(r.describe().contains("checksum unknown, not verified"), r.describe());
		assertTrue(log.stream().anyMatch(s -> s.contains("checksum unknown, not verified")), log.toString());
		assertEquals(ModelStore.State.UNVERIFIED, store.status(r.entry()).state());
	}

	@Test
	void resumesAfterInterruptedTransferWithRange() throws Exception {
		byte[] d = data(200_000, 3);
		LoopbackFileServer.Served s = server.serve("/r.bin", d);
		s.cutAfter = 70_000;
		s.cutsLeft.set(1);
		ModelStore store = new ModelStore(dir);
		ModelEntry e = entry("/r.bin", d, true);
		RerenderException first = assertThrows(RerenderException.class, () -> new Downloader(store, fast()).download(e, Progress.NONE, new Cancel()));
		assertTrue(first.getMessage().contains("resume"), first.getMessage());
		assertFalse(first.getMessage().contains("did not answer"), "the cut is seen as a dropped connection: " + first.getMessage());
		long partial = Files.size(dir.resolve("model.bin.part"));
		assertTrue(partial > 0 && partial < d.length, "partial " + partial);
		Downloader.Result r = new Downloader(store, fast()).download(e, Progress.NONE, new Cancel());
		assertTrue(r.verified());
		assertEquals("bytes=" + partial + "-", server.requests.get(server.requests.size() - 1).range());
		assertArrayEquals(d, Files.readAllBytes(dir.resolve("model.bin")));
	}

	@Test
	void retriesResumeWithinOneCall() throws Exception {
		byte[] d = data(150_000, 4);
		LoopbackFileServer.Served s = server.serve("/t.bin", d);
		s.cutAfter = 40_000;
		s.cutsLeft.set(2);
		Downloader.Options o = fast();
		o.maxRetries = 3;
		Downloader.Result r = new Downloader(new ModelStore(dir), o).download(entry("/t.bin", d, true), Progress.NONE, new Cancel());
		assertTrue(r.verified());
		assertEquals(3, server.requests.size());
		assertNull(server.requests.get(0).range());
		assertTrue(server.requests.get(2).range().startsWith("bytes="), server.requests.toString());
		assertTrue(log.stream().anyMatch(m -> m.contains("Retrying")), log.toString());
	}

	@Test
	void serverIgnoringRangeRestartsCleanly() throws Exception {
		byte[] d = data(100_000, 5);
		LoopbackFileServer.Served s = server.serve("/i.bin", d);
		s.ignoreRange = true;
		Files.write(dir.resolve("model.bin.part"), java.util.Arrays.copyOf(d, 30_000));
		Downloader.Result r = new Downloader(new ModelStore(dir), fast()).download(entry("/i.bin", d, true), Progress.NONE, new Cancel());
		assertTrue(r.verified());
		assertEquals("bytes=30000-", server.requests.get(0).range());
		assertArrayEquals(d, Files.readAllBytes(dir.resolve("model.bin")));
		assertTrue(log.stream().anyMatch(m -> m.contains("ignored the resume request")), log.toString());
	}

	@Test
	void completePartIsInstalledWithoutRefetching() throws Exception {
		byte[] d = data(30_000, 12);
		server.serve("/k.bin", d);
		// size unknown: the server answers 416 "bytes */30000", which shows the part is complete
		Files.write(dir.resolve("model.bin.part"), d);
		ModelEntry e = new ModelEntry("m", "model.bin", "t", server.url("/k.bin"), null, sha(d), true, "t");
		assertTrue(new Downloader(new ModelStore(dir), fast()).download(e, Progress.NONE, new Cancel()).verified());
		assertEquals(1, server.requests.size());
		assertArrayEquals(d, Files.readAllBytes(dir.resolve("model.bin")));
		// size known: no request at all
		Files.move(dir.resolve("model.bin"), dir.resolve("model.bin.part"));
		assertTrue(new Downloader(new ModelStore(dir), fast()).download(entry("/k.bin", d, true), Progress.NONE, new Cancel()).verified());
		assertEquals(1, server.requests.size());
	}

	@Test
	void wrongChecksumDeletesTheFile() throws Exception {
		byte[] d = data(20_000, 6);
		server.serve("/w.bin", d);
		ModelEntry e = new ModelEntry("m", "model.bin", "t", server.url("/w.bin"), null, sha(data(10, 7)), true, "t");
		RerenderException ex = assertThrows(RerenderException.class,
			() -> new Downloader(new ModelStore(dir), fast()).download(e, Progress.NONE, new Cancel()));
		assertTrue(ex.getMessage().startsWith("Checksum mismatch for model.bin"), ex.getMessage());
		assertFalse(Files.exists(dir.resolve("model.bin")));
		assertFalse(Files.exists(dir.resolve("model.bin.part")));
	}

	@Test
	void notFoundGivesAClearMessage() throws Exception {
		ModelEntry e = new ModelEntry("m", "model.bin", "t", server.url("/missing.bin"), null, null, true, "t");
		Downloader.Options o = fast();
		o.maxRetries = 3;
		RerenderException ex = assertThrows(RerenderException.class,
			() -> new Downloader(new ModelStore(dir), o).download(e, Progress.NONE, new Cancel()));
		assertTrue(ex.getMessage().contains("HTTP 404") && ex.getMessage().contains("manually from " + e.url()), ex.getMessage());
		assertEquals(1, server.requests.size(), "a 404 is not retried");
	}

	@Test
	void slowServerTimesOutInBoundedTime() throws Exception {
		byte[] d = data(1000, 8);
		server.serve("/s.bin", d).stallMs = 5_000;
		Downloader.Options o = fast();
		o.readTimeoutMs = 200;
		o.maxRetries = 1;
		ModelEntry e = entry("/s.bin", d, true);
		long t0 = System.nanoTime();
		RerenderException ex = assertTimeoutPreemptively(Duration.ofSeconds(4), () -> assertThrows(RerenderException.class,
			() -> new Downloader(new ModelStore(dir), o).download(e, Progress.NONE, new Cancel())));
		assertTrue(ex.getMessage().contains("did not answer in time"), ex.getMessage());
		assertEquals(2, server.requests.size());
		assertTrue((System.nanoTime() - t0) / 1e9 < 3, "bounded by the read timeout");
	}

	@Test
	void offlineHostGivesManualInstructions() throws Exception {
		int freePort;
		try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
			freePort = ss.getLocalPort();
		}
		ModelEntry e = new ModelEntry("m", "model.bin", "t", "http://127.0.0.1:" + freePort + "/x.bin", null, null, true, "t");
		RerenderException ex = assertThrows(RerenderException.class,
			() -> new Downloader(new ModelStore(dir), fast()).download(e, Progress.NONE, new Cancel()));
		assertTrue(ex.getMessage().startsWith("Cannot reach 127.0.0.1"), ex.getMessage());
		assertTrue(ex.getMessage().contains("offline or blocked? Download model.bin manually from " + e.url() + " and put it in " + dir),
			ex.getMessage());
		ModelEntry unknown = new ModelEntry("m", "model.bin", "t", "http://no-such-host.invalid/x.bin", null, null, true, "t");
		RerenderException ex2 = assertThrows(RerenderException.class,
			() -> new Downloader(new ModelStore(dir), fast()).download(unknown, Progress.NONE, new Cancel()));
		assertTrue(ex2.getMessage().startsWith("Cannot reach no-such-host.invalid"), ex2.getMessage());
	}

	@Test
	void diskFullKeepsTheWrittenPartForResume() throws Exception {
		byte[] d = data(200_000, 9);
		server.serve("/f.bin", d);
		ModelEntry e = entry("/f.bin", d, true);
		Downloader.Options o = fast();
		o.maxRetries = 3;
		Downloader.Opener real = o.opener;
		o.opener = (part, append) -> new FilterOutputStream(real.open(part, append)) {
			long written;

			@Override
			public void write(byte[] b, int off, int len) throws IOException {
				if (written + len > 100_000) {
					out.write(b, off, 10); // a torn write: some bytes land before the failure
					throw new IOException("No space left on device");
				}
				out.write(b, off, len);
				written += len;
			}
		};
		RerenderException ex = assertThrows(RerenderException.class,
			() -> new Downloader(new ModelStore(dir), o).download(e, Progress.NONE, new Cancel()));
		assertTrue(ex.getMessage().contains("disk full") && ex.getMessage().contains("No space left on device"), ex.getMessage());
		assertEquals(1, server.requests.size(), "a write failure is not retried");
		long kept = Files.size(dir.resolve("model.bin.part"));
		assertTrue(kept > 0 && kept <= 100_000, "kept " + kept);
		assertArrayEquals(java.util.Arrays.copyOf(d, (int) kept), Files.readAllBytes(dir.resolve("model.bin.part")), "no torn tail");
		// space freed: the next run resumes and completes
		Downloader.Result r = new Downloader(new ModelStore(dir), fast()).download(e, Progress.NONE, new Cancel());
		assertTrue(r.verified());
		assertEquals("bytes=" + kept + "-", server.requests.get(1).range());
	}

	@Test
	void cancelStopsAndKeepsThePart() throws Exception {
		byte[] d = data(2_000_000, 10);
		server.serve("/c.bin", d);
		Cancel cancel = new Cancel();
		Progress p = (stage, done, total) -> {
			if (done > 0 && stage.startsWith("Downloading")) cancel.request();
		};
		assertThrows(CancelledException.class,
			() -> new Downloader(new ModelStore(dir), fast()).download(entry("/c.bin", d, true), p, cancel));
		assertFalse(Files.exists(dir.resolve("model.bin")));
		long kept = Files.size(dir.resolve("model.bin.part"));
		assertTrue(kept > 0 && kept < d.length, "kept " + kept);
	}

	@Test
	void proxyFromEnvironmentIsUsed() throws Exception {
		// the loopback server plays the proxy: the request line carries the absolute URL of an unresolvable host
		byte[] d = data(4000, 11);
		server.serve("/p.bin", d);
		Downloader.Options o = fast();
		o.proxies = new ProxySettings(new Properties(), Map.of("http_proxy", "http://127.0.0.1:" + server.port()));
		ModelEntry e = new ModelEntry("m", "model.bin", "t", "http://models.example.invalid/p.bin", (long) d.length, sha(d), true, "t");
		Downloader.Result r = new Downloader(new ModelStore(dir), o).download(e, Progress.NONE, new Cancel());
		assertTrue(r.verified());
		assertEquals("http://models.example.invalid/p.bin", server.requests.get(0).uri());
		assertEquals("models.example.invalid", server.requests.get(0).host());
	}

	@Test
	void progressLineHasBytesRateAndEta() {
		ModelEntry e = new ModelEntry("m", "x.pth", "t", "http://h/x", null, null, true, "t");
		String s = Downloader.progressLine(e, 512L << 20, 1L << 30, 256L << 20, 2_000_000_000L);
		assertEquals("Downloading x.pth: 512.0 MB of 1.0 GB, 128.0 MB/s, ETA 4 s", s);
	}
}
