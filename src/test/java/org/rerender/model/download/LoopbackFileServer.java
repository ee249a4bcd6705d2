package org.rerender.model.download;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tiny HTTP file server on 127.0.0.1 (ephemeral port) for downloader tests. Per path it serves bytes with
 * optional misbehaviour: ignore Range, cut the body after N bytes for the first K requests, stall before the body.
 */
final class LoopbackFileServer implements AutoCloseable {

	static final class Served {
		final byte[] data;
		volatile boolean ignoreRange;
		volatile int cutAfter = -1;
		final AtomicInteger cutsLeft = new AtomicInteger();
		volatile long stallMs;
		volatile int status = 200;

		Served(byte[] data) {
			this.data = data;
		}
	}

	/** One received request: path (as sent, possibly absolute for proxies) and its Range header. */
	record Request(String uri, String range, String host) {}

	private final HttpServer server;
	private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
		Thread t = new Thread(r, "loopback-http");
		t.setDaemon(true);
		return t;
	});
	private final Map<String, Served> files = new ConcurrentHashMap<>();
	final List<Request> requests = new CopyOnWriteArrayList<>();
	private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

	LoopbackFileServer() throws IOException {
		server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
		server.createContext("/", this::handle);
		server.setExecutor(pool);
		server.start();
	}

	Served serve(String path, byte[] data) {
		Served s = new Served(data);
		files.put(path, s);
		return s;
	}

	String url(String path) {
		return "http://127.0.0.1:" + server.getAddress().getPort() + path;
	}

	int port() {
		return server.getAddress().getPort();
	}

	private void handle(HttpExchange ex) throws IOException {
		String range = ex.getRequestHeaders().getFirst("Range");
		requests.add(new Request(ex.getRequestURI().toString(), range, ex.getRequestHeaders().getFirst("Host")));
		Served s = files.get(ex.getRequestURI().getPath());
		boolean cut = false;
		try {
			if (s == null || s.status == 404) {
				ex.sendResponseHeaders(404, -1);
				return;
			}
			if (s.status != 200) {
				ex.sendResponseHeaders(s.status, -1);
				return;
			}
			int from = 0;
			Matcher m = range == null ? null : RANGE.matcher(range);
			if (m != null && m.matches() && !s.ignoreRange) {
				from = Integer.parseInt(m.group(1));
				if (from >= s.data.length) {
					ex.getResponseHeaders().add("Content-Range", "bytes */" + s.data.length);
					ex.sendResponseHeaders(416, -1);
					return;
				}
				ex.getResponseHeaders().add("Content-Range", "bytes " + from + "-" + (s.data.length - 1) + "/" + s.data.length);
				ex.sendResponseHeaders(206, s.data.length - from);
			}
			else ex.sendResponseHeaders(200, s.data.length);
			OutputStream out = ex.getResponseBody();
			if (s.stallMs > 0) {
				out.flush();
				try {
					Thread.sleep(s.stallMs);
				}
				catch (InterruptedException e) {
					return;
				}
			}
			int len = s.data.length - from;
			if (s.cutAfter >= 0 && s.cutsLeft.getAndDecrement() > 0) {
				out.write(s.data, from, Math.min(len, s.cutAfter));
				out.flush();
				// abort the exchange: the connection is dropped with the body incomplete
				cut = true;
				throw new IOException("test server cuts the connection");
			}
			out.write(s.data, from, len);
		}
		finally {
			if (!cut) ex.close();
		}
	}

	@Override
	public void close() {
		server.stop(0);
		pool.shutdownNow();
	}
}
