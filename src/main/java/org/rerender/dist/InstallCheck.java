package org.rerender.dist;

import java.io.InputStream;

/**
 * A smoke test run inside an installed Fiji.app (child JVM with {@code jars/*} and {@code plugins/*} on the class
 * path and {@code lib/linux64} as {@code java.library.path}): loads the given classes, checks that the plugin jar
 * carries {@code plugins.config} and the model manifest, and loads the given native libraries. Prints one line per
 * check and exits non-zero on the first failure.
 *
 * <p>Usage: {@code InstallCheck [--class NAME]... [--library NAME]... [--call CLASS#STATIC_METHOD]...}
 */
public final class InstallCheck {
	private InstallCheck() {}

	public static void main(String[] args) {
		try {
			for (String res : new String[] { "/plugins.config", "/org/rerender/model/download/manifest.json" }) {
				try (InputStream in = InstallCheck.class.getResourceAsStream(res)) {
					if (in == null) throw new IllegalStateException("resource " + res + " missing");
				}
				System.out.println("ok resource " + res);
			}
			for (int i = 0; i + 1 < args.length; i += 2) {
				if (args[i].equals("--class")) {
					Class<?> c = Class.forName(args[i + 1], true, InstallCheck.class.getClassLoader());
					System.out.println("ok class " + c.getName() + " from " + c.getProtectionDomain().getCodeSource().getLocation());
				}
				else if (args[i].equals("--library")) {
					System.loadLibrary(args[i + 1]);
					System.out.println("ok library " + args[i + 1] + " from " + System.getProperty("java.library.path"));
				}
				else if (args[i].equals("--call")) {
					// CLASS#METHOD: a public static no-argument method, e.g. the plugin's own native loader
					String[] cm = args[i + 1].split("#");
					Object r = Class.forName(cm[0]).getMethod(cm[1]).invoke(null);
					System.out.println("ok call " + args[i + 1] + (r == null ? "" : " -> " + r));
				}
				else throw new IllegalArgumentException("unknown option " + args[i]);
			}
			System.out.println("manifest entries: " + org.rerender.model.download.ModelManifest.packaged().entries().size());
		}
		catch (java.lang.reflect.InvocationTargetException t) {
			System.out.println("FAILED: " + t.getCause());
			System.exit(1);
		}
		catch (Throwable t) {
			System.out.println("FAILED: " + t);
			System.exit(1);
		}
	}
}
