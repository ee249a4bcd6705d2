package org.rerender.dist;

import java.nio.file.Path;
import java.util.List;

/**
 * Which runtime jars the update site ships. Fiji already ships SciJava, ImageJ 1.x, ImgLib2, Gson, JNA,
 * Commons (compress, codec, io) and SLF4J; the site ships DJL (api, PyTorch engine, JNI, CPU natives for
 * linux-x86_64) and JavaCV/JavaCPP with the OpenCV, OpenBLAS and FFmpeg presets (linux-x86_64 natives). JavaFX (pulled
 * in by JavaCV for its JavaFX frame converter, which we never use) is left out. A jar that matches no rule fails the
 * build, so a new dependency is always decided here.
 */
public final class DependencyPolicy {
	private DependencyPolicy() {}

	public enum Action { SHIP, FIJI_PROVIDES, SKIP }

	/** The decision for one jar: where it goes ({@code jars/NAME}) and for which platform (null: all). */
	public record Decision(Action action, String installName, String platform, String reason) {}

	private record Rule(String coordinate, Action action, String reason) {}

	private static final List<Rule> RULES = List.of(
		new Rule("ai/djl/", Action.SHIP, "DJL tensor engine (not in Fiji)"),
		new Rule("org/bytedeco/", Action.SHIP, "JavaCV/JavaCPP video and OpenCV (not in Fiji core)"),
		new Rule("org/openjfx/", Action.SKIP, "JavaFX: only JavaCV's JavaFX frame converter needs it; unused"),
		new Rule("org/scijava/scijava-common/", Action.FIJI_PROVIDES, "Fiji core"),
		new Rule("org/scijava/parsington/", Action.FIJI_PROVIDES, "Fiji core"),
		new Rule("net/imagej/ij/", Action.FIJI_PROVIDES, "Fiji core"),
		new Rule("net/imglib2/imglib2/", Action.FIJI_PROVIDES, "Fiji core"),
		new Rule("com/google/code/gson/gson/", Action.FIJI_PROVIDES, "Fiji core"),
		new Rule("net/java/dev/jna/", Action.FIJI_PROVIDES, "Fiji core"),
		new Rule("org/apache/commons/commons-compress/", Action.FIJI_PROVIDES, "Fiji core"),
		new Rule("commons-codec/commons-codec/", Action.FIJI_PROVIDES, "Fiji core"),
		new Rule("commons-io/commons-io/", Action.FIJI_PROVIDES, "Fiji core"),
		new Rule("org/slf4j/slf4j-api/", Action.FIJI_PROVIDES, "Fiji core"));

	/**
	 * Decides for a jar inside a Maven repository layout ({@code .../GROUP/ARTIFACT/VERSION/FILE.jar}).
	 *
	 * @throws IllegalArgumentException for a jar no rule covers
	 */
	public static Decision decide(Path jar) {
		String p = jar.toAbsolutePath().normalize().toString().replace('\\', '/');
		String file = jar.getFileName().toString();
		for (Rule r : RULES) {
			if (!p.contains("/" + r.coordinate())) continue;
			String name = file;
			// DJL's "api-VERSION.jar" is too generic a name for Fiji's jars/ folder
			if (r.coordinate().equals("ai/djl/") && file.startsWith("api-")) name = "djl-" + file;
			String platform = file.contains("-linux-x86_64") || file.endsWith("-linux.jar") ? "linux64" : null;
			return new Decision(r.action(), name, platform, r.reason());
		}
		throw new IllegalArgumentException("No update-site rule for " + p + ": decide in " + DependencyPolicy.class.getName()
			+ " whether Fiji provides it or the site ships it.");
	}
}
