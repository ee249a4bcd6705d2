package org.rerender.model.download;

import java.io.IOException;

/** Lets tests in other packages use the loopback file server. */
public final class LoopbackFileServerAccess implements AutoCloseable {
	private final LoopbackFileServer server;

	public LoopbackFileServerAccess() throws IOException {
		server = new LoopbackFileServer();
	}

	/** Serves {@code data} at {@code path}; returns its URL. */
	public String serve(String path, byte[] data) {
		server.serve(path, data);
		return server.url(path);
	}

	/** Serves nothing at {@code path} (404); returns its URL. */
	public String missing(String path) {
		return server.url(path);
	}

	@Override
	public void close() {
		server.close();
	}
}
