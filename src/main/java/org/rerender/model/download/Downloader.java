package org.rerender.model.download;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.HttpURLConnection;
import java.net.NoRouteToHostException;
import java.net.Proxy;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URL;
import java.net.UnknownHostException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.function.Consumer;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.engine.Sha256;

/**
 * Downloads manifest entries into a {@link ModelStore}: resumable HTTP range requests into {@code FILE.part},
 * SHA-256 verification, atomic rename into place, progress with bytes, rate and ETA, cancel, proxies and retries
 * with exponential backoff for transient failures (connection dropped, time-out, HTTP 5xx/429).
 *
 * <p>Failure policy: a wrong checksum or size deletes the partial file (its bytes are wrong); a 404 or a refused
 * request fails at once; a failed <em>write</em> (disk full) is not retried: the partial file is cut back to the
 * bytes known to be written and kept, so the next run resumes once space is freed; cancel keeps the partial file
 * too.
 */
public final class Downloader {

	/** Opens the partial file for writing (replaceable to simulate a full disk). */
	@FunctionalInterface
	public interface Opener {
		OutputStream open(Path part, boolean append) throws IOException;
	}

	/** Tunables; defaults suit real downloads, tests shrink the timeouts. */
	public static final class Options {
		public int connectTimeoutMs = 30_000;
		public int readTimeoutMs = 60_000;
		public int maxRetries = 4;
		public long backoffMs = 1_000;
		public long reportIntervalMs = 250;
		public ProxySettings proxies = ProxySettings.system();
		public Opener opener = (p, append) -> Files.newOutputStream(p, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
			append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING);
		/** Receives one-line notes (restart, retry, "checksum unknown, not verified"). */
		public Consumer<String> log = s -> {};
	}

	/** Outcome of one entry. */
	public record Result(ModelEntry entry, Path path, long bytes, String sha256, boolean verified, boolean alreadyPresent) {
		public String describe() {
			return entry.file() + ": " + (alreadyPresent ? "already present" : "downloaded") + ", " + Units.bytes(bytes) + ", "
				+ (verified ? "SHA-256 verified" : "checksum unknown, not verified (SHA-256 " + sha256 + ")");
		}
	}

	private static final class Transient extends Exception {
		private static final long serialVersionUID = 1L;

		Transient(String message, Throwable cause) {
			super(message, cause);
		}
	}

	private final ModelStore store;
	private final Options opt;

	public Downloader(ModelStore store, Options options) {
		this.store = store;
		this.opt = options;
	}

	public Downloader(ModelStore store) {
		this(store, new Options());
	}

	public Result download(ModelEntry e, Progress progress, Cancel cancel) {
		Path dir = store.directory();
		try {
			Files.createDirectories(dir);
		}
		catch (IOException ex) {
			throw new RerenderException("Cannot create the model folder " + dir + ": " + ex.getMessage(), ex);
		}
		Result present = checkPresent(e, progress, cancel);
		if (present != null) return present;
		for (int attempt = 0;; attempt++) {
			cancel.check();
			try {
				return transfer(e, progress, cancel);
			}
			catch (Transient t) {
				if (attempt >= opt.maxRetries) throw new RerenderException(t.getMessage()
					+ (Files.exists(store.partPath(e)) ? " The partial file " + store.partPath(e).getFileName()
						+ " is kept: run the download again to resume." : ""), t.getCause());
				long wait = opt.backoffMs << Math.min(attempt, 10);
				opt.log.accept(e.file() + ": " + t.getMessage() + " Retrying in " + Units.duration(wait / 1000.0) + " (attempt "
					+ (attempt + 2) + " of " + (opt.maxRetries + 1) + ").");
				sleep(wait, cancel);
			}
		}
	}

	/** Returns a result when the final file is already there and acceptable, else null (deleting a bad file). */
	private Result checkPresent(ModelEntry e, Progress progress, Cancel cancel) {
		ModelStore.Status s = store.status(e);
		if (s.state() == ModelStore.State.VERIFIED) return new Result(e, s.path(), s.bytesOnDisk(), e.sha256(), true, true);
		if (s.state() == ModelStore.State.UNVERIFIED) {
			try {
				String sha = hashFile(s.path(), "Checking " + e.file(), progress, cancel);
				if (!e.hasChecksum()) return new Result(e, s.path(), s.bytesOnDisk(), sha, false, true);
				if (sha.equals(e.sha256())) {
					store.markVerified(e);
					return new Result(e, s.path(), s.bytesOnDisk(), sha, true, true);
				}
				opt.log.accept(e.file() + " in " + store.directory() + " does not match its SHA-256; deleting it and downloading again.");
				Files.delete(s.path());
			}
			catch (IOException ex) {
				throw new RerenderException("Cannot read " + s.path() + ": " + ex.getMessage(), ex);
			}
		}
		else if (s.state() == ModelStore.State.WRONG_SIZE) {
			throw new RerenderException(e.file() + " in " + store.directory() + " has " + s.bytesOnDisk() + " bytes but should have "
				+ e.size() + ". Delete it (or move it away) and download again.");
		}
		return null;
	}

	private Result transfer(ModelEntry e, Progress progress, Cancel cancel) throws Transient {
		Path part = store.partPath(e);
		long have = 0;
		try {
			if (Files.exists(part)) have = Files.size(part);
			if (e.size() != null && have > e.size()) {
				Files.delete(part);
				have = 0;
			}
		}
		catch (IOException ex) {
			throw new RerenderException("Cannot use the partial file " + part + ": " + ex.getMessage(), ex);
		}
		if (have > 0 && e.size() != null && have == e.size()) return completePart(e, part, have, progress, cancel);
		HttpURLConnection conn = null;
		try {
			conn = connect(e, have);
			int code = conn.getResponseCode();
			long total;
			boolean append;
			if (code == HttpURLConnection.HTTP_PARTIAL && have > 0) {
				long[] range = contentRange(conn.getHeaderField("Content-Range"));
				if (range == null || range[0] != have) {
					Files.deleteIfExists(part);
					throw new Transient("The server answered the resume request with an unexpected range ("
						+ conn.getHeaderField("Content-Range") + "); starting over.", null);
				}
				total = range[1];
				append = true;
			}
			else if (code == HttpURLConnection.HTTP_OK) {
				if (have > 0) opt.log.accept(e.host() + " ignored the resume request (HTTP 200 instead of 206); restarting "
					+ e.file() + " from the beginning.");
				have = 0;
				total = conn.getContentLengthLong();
				append = false;
			}
			else if (code == 416 && have > 0) {
				long[] range = contentRange(conn.getHeaderField("Content-Range"));
				if (range != null && range[1] == have) return completePart(e, part, have, progress, cancel);
				Files.deleteIfExists(part);
				throw new Transient("The server refused to resume " + e.file() + " (HTTP 416); starting over.", null);
			}
			else throw httpError(e, code, conn.getResponseMessage());
			if (e.size() != null && total >= 0 && total != e.size())
				throw new RerenderException(e.host() + " offers " + total + " bytes for " + e.file() + " but the manifest expects "
					+ e.size() + ": the file has changed upstream. Download it manually from " + e.url() + " and put it in "
					+ store.directory() + " if you trust it.");
			MessageDigest sha = Sha256.digest();
			if (append) digestInto(part, sha, "Checking partial " + e.file(), progress, cancel);
			long received = copy(conn, e, part, append, have, total, sha, progress, cancel);
			long size = have + received;
			if (total >= 0 && size != total) throw new Transient("The connection to " + e.host() + " closed after " + Units.bytes(size)
				+ " of " + Units.bytes(total) + ".", null);
			return install(e, part, size, Sha256.hex(sha.digest()));
		}
		catch (UnknownHostException | ConnectException | NoRouteToHostException ex) {
			String msg = unreachable(e, ex);
			if (ex instanceof UnknownHostException) throw new RerenderException(msg, ex);
			throw new Transient(msg, ex);
		}
		catch (SocketTimeoutException ex) {
			throw new Transient(e.host() + " did not answer in time (" + ex.getMessage() + ").", ex);
		}
		catch (IOException ex) {
			throw new Transient("The download of " + e.file() + " from " + e.host() + " failed: " + ex.getMessage() + ".", ex);
		}
		finally {
			if (conn != null) conn.disconnect();
		}
	}

	private HttpURLConnection connect(ModelEntry e, long have) throws IOException {
		URI uri = URI.create(e.url());
		for (int hop = 0; hop < 8; hop++) {
			URL url = uri.toURL();
			Proxy proxy = opt.proxies.choose(uri);
			HttpURLConnection c = (HttpURLConnection) url.openConnection(proxy);
			c.setInstanceFollowRedirects(false);
			c.setConnectTimeout(opt.connectTimeoutMs);
			c.setReadTimeout(opt.readTimeoutMs);
			c.setRequestProperty("User-Agent", "RerenderForFiji/1 (model downloader)");
			c.setRequestProperty("Accept-Encoding", "identity");
			if (have > 0) c.setRequestProperty("Range", "bytes=" + have + "-");
			int code = c.getResponseCode();
			if (code == 301 || code == 302 || code == 303 || code == 307 || code == 308) {
				String loc = c.getHeaderField("Location");
				c.disconnect();
				if (loc == null) throw new IOException("redirect without a Location header");
				uri = uri.resolve(loc);
				continue;
			}
			return c;
		}
		throw new IOException("too many redirects");
	}

	private long copy(HttpURLConnection conn, ModelEntry e, Path part, boolean append, long have, long total, MessageDigest sha,
		Progress progress, Cancel cancel) throws IOException
	{
		long written = 0;
		long start = System.nanoTime();
		long lastReport = 0;
		byte[] buf = new byte[64 * 1024];
		OutputStream out;
		try {
			out = opt.opener.open(part, append);
		}
		catch (IOException ex) {
			throw diskError(e, part, ex);
		}
		try (InputStream in = conn.getInputStream()) {
			for (;;) {
				cancel.check();
				int n = in.read(buf);
				if (n < 0) break;
				try {
					out.write(buf, 0, n);
				}
				catch (IOException ex) {
					closeQuietly(out);
					out = null;
					truncate(part, have + written);
					throw diskError(e, part, ex);
				}
				sha.update(buf, 0, n);
				written += n;
				long now = System.nanoTime();
				if (now - lastReport >= opt.reportIntervalMs * 1_000_000L) {
					lastReport = now;
					progress.report(progressLine(e, have + written, total, written, now - start), have + written, Math.max(total, 0));
				}
			}
		}
		finally {
			if (out != null) {
				try {
					out.close();
				}
				catch (IOException ex) {
					truncate(part, have + written);
					throw diskError(e, part, ex);
				}
			}
		}
		progress.report(progressLine(e, have + written, total, written, System.nanoTime() - start), have + written, Math.max(total, 0));
		return written;
	}

	/** The partial file already holds every byte (a run stopped before the rename): verify and install it. */
	private Result completePart(ModelEntry e, Path part, long size, Progress progress, Cancel cancel) {
		try {
			return install(e, part, size, hashFile(part, "Checking " + e.file(), progress, cancel));
		}
		catch (IOException ex) {
			throw new RerenderException("Cannot read the partial file " + part + ": " + ex.getMessage(), ex);
		}
	}

	static String progressLine(ModelEntry e, long done, long total, long sessionBytes, long elapsedNanos) {
		double secs = elapsedNanos / 1e9;
		double rate = secs > 0 ? sessionBytes / secs : 0;
		StringBuilder sb = new StringBuilder("Downloading ").append(e.file()).append(": ").append(Units.bytes(done));
		if (total > 0) sb.append(" of ").append(Units.bytes(total));
		sb.append(", ").append(Units.bytes((long) rate)).append("/s");
		if (total > 0 && rate > 0) sb.append(", ETA ").append(Units.duration((total - done) / rate));
		return sb.toString();
	}

	private Result install(ModelEntry e, Path part, long size, String sha) {
		try {
			if (e.size() != null && size != e.size()) {
				Files.deleteIfExists(part);
				throw new RerenderException(e.file() + " has " + size + " bytes after download, but the manifest expects " + e.size()
					+ "; the partial file was deleted. Try again later or download it manually from " + e.url());
			}
			if (e.hasChecksum() && !sha.equals(e.sha256())) {
				Files.deleteIfExists(part);
				throw new RerenderException("Checksum mismatch for " + e.file() + ": expected SHA-256 " + e.sha256() + ", got " + sha
					+ ". The downloaded file was deleted. Try again; if it keeps failing, the file changed upstream or the download is "
					+ "being altered (proxy?).");
			}
			Path target = store.path(e);
			try {
				Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
			}
			catch (AtomicMoveNotSupportedException ex) {
				Files.move(part, target, StandardCopyOption.REPLACE_EXISTING);
			}
			if (e.hasChecksum()) store.markVerified(e);
			else opt.log.accept(e.file() + ": checksum unknown, not verified (its SHA-256 is " + sha + ").");
			return new Result(e, target, size, sha, e.hasChecksum(), false);
		}
		catch (IOException ex) {
			throw new RerenderException("Cannot install " + e.file() + " into " + store.directory() + ": " + ex.getMessage(), ex);
		}
	}

	private RerenderException httpError(ModelEntry e, int code, String message) {
		String what = "HTTP " + code + (message == null ? "" : " " + message);
		String manual = " Download " + e.file() + " manually from " + e.url() + " and put it in " + store.directory() + ".";
		if (code == 404 || code == 410)
			return new RerenderException(e.host() + " does not have " + e.file() + " (" + what + "): the file has moved or the manifest is "
				+ "out of date." + manual);
		if (code == 401 || code == 403)
			return new RerenderException(e.host() + " refused the download of " + e.file() + " (" + what + "): it may need a login, an "
				+ "accepted licence or an API token." + manual);
		if (code == 429 || code >= 500) return new RerenderException(e.host() + " failed (" + what + "); try again later." + manual);
		return new RerenderException(e.host() + " answered " + what + " for " + e.file() + "." + manual);
	}

	private String unreachable(ModelEntry e, IOException ex) {
		Proxy p = opt.proxies.choose(URI.create(e.url()));
		String via = p.type() == Proxy.Type.DIRECT ? "" : " through proxy " + p.address();
		return "Cannot reach " + e.host() + via + " (" + ex.getClass().getSimpleName() + ": " + ex.getMessage()
			+ "): offline or blocked? Download " + e.file() + " manually from " + e.url() + " and put it in " + store.directory() + ".";
	}

	private RerenderException diskError(ModelEntry e, Path part, IOException ex) {
		long kept = 0;
		try {
			kept = Files.exists(part) ? Files.size(part) : 0;
		}
		catch (IOException ignored) {
			// report 0
		}
		return new RerenderException("Cannot write " + part + " (" + ex.getMessage() + "): is the disk full? Free some space in "
			+ store.directory() + " and run the download again; it resumes from the " + Units.bytes(kept) + " already saved.", ex);
	}

	private static void truncate(Path part, long size) {
		try (var ch = Files.newByteChannel(part, StandardOpenOption.WRITE)) {
			if (ch.size() > size) ch.truncate(size);
		}
		catch (IOException ignored) {
			// nothing more we can do; the checksum catches a bad tail
		}
	}

	private static void closeQuietly(OutputStream out) {
		try {
			out.close();
		}
		catch (IOException ignored) {
			// already failing
		}
	}

	static long[] contentRange(String header) {
		// "bytes START-END/TOTAL"; TOTAL may be "*"
		if (header == null) return null;
		var all = java.util.regex.Pattern.compile("bytes\\s+\\*/(\\d+)").matcher(header.trim());
		if (all.matches()) return new long[] { -1, Long.parseLong(all.group(1)) };
		var m = java.util.regex.Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)").matcher(header.trim());
		if (!m.matches()) return null;
		long total = m.group(3).equals("*") ? -1 : Long.parseLong(m.group(3));
		return new long[] { Long.parseLong(m.group(1)), total };
	}

	private static void digestInto(Path f, MessageDigest sha, String stage, Progress progress, Cancel cancel) throws IOException {
		long size = Files.size(f), done = 0;
		byte[] buf = new byte[1 << 20];
		try (InputStream in = Files.newInputStream(f)) {
			for (int n; (n = in.read(buf)) > 0;) {
				cancel.check();
				sha.update(buf, 0, n);
				done += n;
				progress.report(stage, done, size);
			}
		}
	}

	/** SHA-256 of a file, lower-case hex. */
	public static String hashFile(Path f, String stage, Progress progress, Cancel cancel) throws IOException {
		MessageDigest sha = Sha256.digest();
		digestInto(f, sha, stage, progress, cancel);
		return Sha256.hex(sha.digest());
	}

	private static void sleep(long ms, Cancel cancel) {
		long end = System.currentTimeMillis() + ms;
		while (System.currentTimeMillis() < end) {
			cancel.check();
			try {
				Thread.sleep(Math.min(50, Math.max(1, end - System.currentTimeMillis())));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new RerenderException("Download interrupted.", ex);
			}
		}
	}
}
