package org.rerender.model.download;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Chooses the proxy for a download URL. Java's own system properties win ({@code https.proxyHost}/
 * {@code https.proxyPort}, {@code http.proxyHost}/{@code http.proxyPort}, {@code http.nonProxyHosts}), then the
 * usual environment variables ({@code https_proxy}/{@code HTTPS_PROXY}, {@code http_proxy}/{@code HTTP_PROXY},
 * {@code no_proxy}/{@code NO_PROXY}); otherwise a direct connection.
 */
public final class ProxySettings extends ProxySelector {

	private final Properties props;
	private final Map<String, String> env;

	public ProxySettings(Properties props, Map<String, String> env) {
		this.props = props;
		this.env = env;
	}

	/** Settings of this JVM and process. */
	public static ProxySettings system() {
		return new ProxySettings(System.getProperties(), System.getenv());
	}

	@Override
	public List<Proxy> select(URI uri) {
		return List.of(choose(uri));
	}

	/** The proxy for {@code uri} ({@link Proxy#NO_PROXY} for a direct connection). */
	public Proxy choose(URI uri) {
		String scheme = uri.getScheme() == null ? "http" : uri.getScheme().toLowerCase(Locale.ROOT);
		String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
		String javaHost = props.getProperty(scheme + ".proxyHost");
		if (javaHost != null && !javaHost.isBlank()) {
			if (matchesJavaNonProxy(host, props.getProperty("http.nonProxyHosts"))) return Proxy.NO_PROXY;
			int port = parsePort(props.getProperty(scheme + ".proxyPort"), scheme.equals("https") ? 443 : 80);
			return new Proxy(Proxy.Type.HTTP, InetSocketAddress.createUnresolved(javaHost.trim(), port));
		}
		String spec = envVar(scheme + "_proxy");
		if (spec == null || spec.isBlank()) return Proxy.NO_PROXY;
		if (matchesNoProxy(host, envVar("no_proxy"))) return Proxy.NO_PROXY;
		String s = spec.trim();
		if (!s.contains("://")) s = "http://" + s;
		URI p = URI.create(s);
		if (p.getHost() == null) return Proxy.NO_PROXY;
		int port = p.getPort() > 0 ? p.getPort() : 80;
		Proxy.Type type = p.getScheme().toLowerCase(Locale.ROOT).startsWith("socks") ? Proxy.Type.SOCKS : Proxy.Type.HTTP;
		return new Proxy(type, InetSocketAddress.createUnresolved(p.getHost(), port));
	}

	private String envVar(String lower) {
		String v = env.get(lower);
		return v != null ? v : env.get(lower.toUpperCase(Locale.ROOT));
	}

	private static int parsePort(String s, int def) {
		try {
			return s == null ? def : Integer.parseInt(s.trim());
		}
		catch (NumberFormatException e) {
			return def;
		}
	}

	/** Java's {@code http.nonProxyHosts}: {@code |}-separated patterns with {@code *} wildcards. */
	static boolean matchesJavaNonProxy(String host, String patterns) {
		if (patterns == null) return false;
		for (String p : patterns.split("\\|")) {
			String q = p.trim().toLowerCase(Locale.ROOT);
			if (q.isEmpty()) continue;
			String regex = ("\\Q" + q + "\\E").replace("*", "\\E.*\\Q");
			if (host.matches(regex)) return true;
		}
		return false;
	}

	/** curl-style {@code no_proxy}: comma-separated host suffixes, {@code *} for all. */
	static boolean matchesNoProxy(String host, String list) {
		if (list == null) return false;
		for (String p : list.split(",")) {
			String q = p.trim().toLowerCase(Locale.ROOT);
			if (q.isEmpty()) continue;
			if (q.equals("*")) return true;
			if (q.startsWith("*")) q = q.substring(1);
			if (q.startsWith(".")) q = q.substring(1);
			if (host.equals(q) || host.endsWith("." + q)) return true;
		}
		return false;
	}

	@Override
	public void connectFailed(URI uri, SocketAddress sa, IOException ioe) {
		// nothing to remember: the downloader reports the failure itself
	}
}
