package org.rerender.model.download;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.testing.Fixtures;

/** Model folder resolution, status, the packaged manifest and proxy selection. */
class ModelStoreTest {

	@TempDir
	Path dir;

	@Test
	void folderResolutionOrder() throws Exception {
		Map<String, String> props = new java.util.HashMap<>();
		Path fiji = Files.createDirectories(dir.resolve("Fiji.app/jars"));
		Path jar = Files.write(fiji.resolve("Rerender_Video-1.jar"), new byte[0]);
		assertEquals(Path.of("/x/prop"), fromProps(props, "/x/pref", jar, "/x/prop"));
		assertEquals(Path.of("/x/pref"), fromProps(props, "/x/pref", jar, null));
		props.put("imagej.dir", "/opt/Fiji.app");
		assertEquals(Path.of("/opt/Fiji.app/models/rerender"), fromProps(props, null, jar, null));
		props.clear();
		assertEquals(dir.resolve("Fiji.app/models/rerender"), fromProps(props, null, jar, null));
		Path classes = Files.createDirectories(dir.resolve("checkout/target/classes"));
		assertEquals(dir.resolve("checkout/models"), fromProps(props, null, classes, null));
		assertTrue(fromProps(props, null, null, null).endsWith(Path.of(".rerender", "models")));
	}

	private static Path fromProps(Map<String, String> props, String pref, Path code, String override) {
		return ModelStore.defaultDirectory(k -> k.equals(ModelStore.PROPERTY) ? override : props.get(k), pref, code);
	}

	@Test
	void statusReportsEachState() throws Exception {
		byte[] good = "hello".getBytes();
		String sha = Downloader.hashFile(Files.write(dir.resolve("tmp"), good), "", Progress.NONE, Cancel.NEVER);
		ModelEntry withSum = new ModelEntry("a", "a.bin", "r", "http://h/a", 5L, sha, true, "l");
		ModelEntry noSum = new ModelEntry("b", "b.bin", "r", "http://h/b", null, null, true, "l");
		ModelEntry sized = new ModelEntry("c", "c.bin", "r", "http://h/c", 99L, null, false, "l");
		ModelEntry partial = new ModelEntry("d", "d.bin", "r", "http://h/d", null, null, false, "l");
		ModelEntry missing = new ModelEntry("e", "e.bin", "r", "http://h/e", null, null, true, "l");
		ModelStore store = new ModelStore(dir);
		Files.write(dir.resolve("a.bin"), good);
		Files.write(dir.resolve("b.bin"), good);
		Files.write(dir.resolve("c.bin"), good);
		Files.write(dir.resolve("d.bin.part"), good);
		assertEquals(ModelStore.State.UNVERIFIED, store.status(withSum).state(), "not checked yet");
		// the downloader checks a present file once and remembers it
		assertTrue(new Downloader(store).download(withSum, Progress.NONE, new Cancel()).verified());
		List<ModelStore.Status> st = store.status(List.of(withSum, noSum, sized, partial, missing));
		assertEquals(List.of(ModelStore.State.VERIFIED, ModelStore.State.UNVERIFIED, ModelStore.State.WRONG_SIZE, ModelStore.State.PARTIAL,
			ModelStore.State.MISSING), st.stream().map(ModelStore.Status::state).toList());
		String table = ModelStore.table(st);
		assertTrue(table.contains("verified") && table.contains("missing") && table.contains("(optional)"), table);
		// a modified file is no longer verified
		Files.write(dir.resolve("a.bin"), "HELLO".getBytes());
		Files.setLastModifiedTime(dir.resolve("a.bin"), java.nio.file.attribute.FileTime.fromMillis(1000));
		assertEquals(ModelStore.State.UNVERIFIED, store.status(withSum).state());
	}

	@Test
	void packagedManifestIsCompleteAndInventsNoChecksums() throws Exception {
		ModelManifest m = ModelManifest.packaged();
		List<String> ids = m.entries().stream().map(ModelEntry::id).toList();
		assertEquals(List.of("controlnet-hed", "controlnet-canny", "sd15-base", "vae-ft-mse", "hed-annotator", "gmflow", "clip-bpe",
			"clip-vocab", "clip-merges", "realistic-vision-v20", "rev-animated-v11"), ids);
		for (ModelEntry e : m.entries()) {
			assertTrue(e.url().startsWith("https://"), e.url());
			assertTrue(e.licence() != null && !e.licence().isBlank(), e.id());
			if (e.sha256() != null) {
				assertTrue(e.sha256().matches("[0-9a-f]{64}"), e.id() + ": " + e.sha256());
				// a published checksum belongs to one revision: Hugging Face downloads must be pinned to it
				if (e.url().contains("huggingface.co/") && !e.id().equals("vae-ft-mse") && !e.id().equals("gmflow"))
					assertTrue(e.url().matches(".*/resolve/[0-9a-f]{40}/.*"), e.id() + " is not pinned to a revision: " + e.url());
			}
		}
		// checksums only where a published value was found (see the manifest's description); none invented for the rest
		assertEquals(List.of("controlnet-hed", "controlnet-canny", "sd15-base", "vae-ft-mse", "hed-annotator", "gmflow", "clip-bpe",
			"clip-vocab", "clip-merges"), m.entries().stream().filter(e -> e.sha256() != null).map(ModelEntry::id).toList());
		assertNull(m.get("gmflow").size(), "no published size for the GMFlow weights");
		assertNull(m.get("realistic-vision-v20").sha256());
		assertNull(m.get("rev-animated-v11").sha256());
		assertEquals(List.of("controlnet-hed", "vae-ft-mse", "hed-annotator", "gmflow", "clip-bpe"),
			m.select(null).stream().map(ModelEntry::id).toList());
		assertEquals(2, m.select("gmflow, clip-bpe").size());
		RerenderException ex = assertThrows(RerenderException.class, () -> m.select("gmflow,nope"));
		assertTrue(ex.getMessage().contains("Unknown model id 'nope'"), ex.getMessage());
		// the one checksum we can recompute here is that of the vocabulary file kept (unchanged from openai/CLIP) in the fixtures
		Path bpe = Fixtures.file("bpe_simple_vocab_16e6.txt.gz");
		assertEquals(m.get("clip-bpe").sha256(), Downloader.hashFile(bpe, "", Progress.NONE, Cancel.NEVER));
		assertEquals(m.get("clip-bpe").size(), Files.size(bpe));
	}

	@Test
	void manifestRejectsBadEntries() {
		assertThrows(IllegalArgumentException.class, () -> new ModelEntry("x", "../evil", "r", "https://h/x", null, null, true, "l"));
		assertThrows(IllegalArgumentException.class, () -> new ModelEntry("x", "f", "r", "ftp://h/x", null, null, true, "l"));
		assertThrows(IllegalArgumentException.class, () -> new ModelEntry("x", "f", "r", "https://h/x", null, "abc", true, "l"));
	}

	@Test
	void proxySelection() {
		URI https = URI.create("https://huggingface.co/x"), http = URI.create("http://example.org/x");
		Properties p = new Properties();
		assertEquals(Proxy.NO_PROXY, new ProxySettings(p, Map.of()).choose(https));
		ProxySettings env = new ProxySettings(p, Map.of("HTTPS_PROXY", "http://proxy.local:3128", "http_proxy", "plain:8080",
			"no_proxy", "localhost,.internal"));
		assertEquals(addr("proxy.local", 3128), env.choose(https).address());
		assertEquals(addr("plain", 8080), env.choose(http).address());
		assertEquals(Proxy.NO_PROXY, env.choose(URI.create("https://models.internal/x")));
		Properties javaProps = new Properties();
		javaProps.setProperty("https.proxyHost", "jproxy");
		javaProps.setProperty("https.proxyPort", "8443");
		javaProps.setProperty("http.nonProxyHosts", "*.example.org|localhost");
		ProxySettings both = new ProxySettings(javaProps, Map.of("https_proxy", "http://proxy.local:3128"));
		assertEquals(addr("jproxy", 8443), both.choose(https).address(), "Java properties win over the environment");
		assertEquals(Proxy.NO_PROXY, both.choose(URI.create("https://cdn.example.org/x")));
		assertEquals(Proxy.Type.SOCKS, new ProxySettings(p, Map.of("https_proxy", "socks5://s:1080")).choose(https).type());
	}

	private static InetSocketAddress addr(String host, int port) {
		return InetSocketAddress.createUnresolved(host, port);
	}
}
