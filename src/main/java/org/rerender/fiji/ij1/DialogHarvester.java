package org.rerender.fiji.ij1;

import java.io.File;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import ij.ImagePlus;
import ij.Prefs;
import ij.WindowManager;
import ij.gui.GenericDialog;

import org.scijava.Context;
import org.scijava.ItemVisibility;
import org.scijava.command.CommandInfo;
import org.scijava.module.ModuleItem;
import org.scijava.service.Service;

/**
 * Asks for a SciJava command's inputs in an ImageJ 1.x {@link GenericDialog} (for {@link CommandBridge} when a
 * command is chosen from the IJ1 menu), persists the values in {@link Prefs}, and turns values back into the macro
 * option string that {@link CommandBridge#run(String, String)} reads, so the call can be recorded.
 */
public final class DialogHarvester {

	private static final String PREFS = "rerender.";

	private DialogHarvester() {}

	/** The inputs a dialog or macro can set (services, the context, buttons and hidden items are skipped). */
	public static List<ModuleItem<?>> fields(CommandInfo info) {
		List<ModuleItem<?>> out = new ArrayList<>();
		for (ModuleItem<?> item : info.inputs()) {
			Class<?> t = item.getType();
			if (Service.class.isAssignableFrom(t) || Context.class.isAssignableFrom(t)) continue;
			if (item.getVisibility() == ItemVisibility.INVISIBLE) continue;
			// a SciJava button (e.g. "reset to defaults") has no value; the dialog has its own Reset button
			if (org.scijava.widget.Button.class.isAssignableFrom(t)) continue;
			out.add(item);
		}
		return out;
	}

	/**
	 * The IJ1 macro options for these values: {@code key=value}, brackets around values with spaces or empty ones,
	 * booleans as a bare key when true and {@code key=false} when false, images by title, files by absolute path. Keys are the
	 * lower-cased parameter names; message items and null values are left out.
	 */
	public static String optionString(CommandInfo info, Map<String, Object> values) {
		StringBuilder sb = new StringBuilder();
		for (ModuleItem<?> item : fields(info)) {
			if (item.getVisibility() == ItemVisibility.MESSAGE) continue;
			Object v = values.get(item.getName());
			if (v == null) continue;
			String key = item.getName().toLowerCase();
			String s;
			if (v instanceof Boolean b) { // false written out: an absent key would keep a default of true
				append(sb, b ? key : key + "=false");
				continue;
			}
			if (v instanceof ImagePlus imp) s = imp.getTitle();
			else if (v instanceof File f) s = f.getAbsolutePath();
			else if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d)) s = Long.toString(d.longValue());
			else s = v.toString();
			append(sb, key + "=" + (s.isEmpty() || s.contains(" ") ? "[" + s + "]" : s));
		}
		return sb.toString();
	}

	private static void append(StringBuilder sb, String s) {
		if (sb.length() > 0) sb.append(' ');
		sb.append(s);
	}

	/** The macro line the recorder writes: {@code run("Command", "options");}. */
	public static String recordLine(String command, String options) {
		String esc = options.replace("\\", "\\\\").replace("\"", "\\\"");
		return "run(\"" + command + "\"" + (options.isEmpty() ? "" : ", \"" + esc + "\"") + ");\n";
	}

	/** The persisted value of an item (as its option text), else its declared default, else "". */
	static String remembered(CommandInfo info, ModuleItem<?> item) {
		Object def = item.getDefaultValue();
		String fallback = def == null ? "" : def instanceof File f ? f.getPath() : def.toString();
		return Prefs.get(key(info, item), fallback);
	}

	private static String key(CommandInfo info, ModuleItem<?> item) {
		return PREFS + info.getClassName() + "." + item.getName();
	}

	/**
	 * Builds the dialog from the command's parameters, shows it, and returns the chosen values as macro options,
	 * or null when cancelled. "Reset to defaults" forgets the remembered values and shows the dialog again.
	 */
	public static String ask(CommandInfo info, String title) {
		while (true) {
			GenericDialog gd = build(info, title);
			gd.showDialog();
			if (gd.wasCanceled()) return null;
			if (!gd.wasOKed()) {
				clearPrefs(info);
				continue;
			}
			Map<String, Object> values = read(info, gd);
			return optionString(info, values);
		}
	}

	/** Sets every remembered value of the command back to its declared default. */
	public static void clearPrefs(CommandInfo info) {
		for (ModuleItem<?> item : fields(info)) {
			Object def = item.getDefaultValue();
			Prefs.set(key(info, item), def == null ? "" : def instanceof File f ? f.getPath() : def.toString());
		}
	}

	/** The dialog, filled with remembered values (does not show it). */
	public static GenericDialog build(CommandInfo info, String title) {
		GenericDialog gd = new GenericDialog(title);
		StringBuilder help = new StringBuilder("<html><h3>" + title + "</h3><dl>");
		for (ModuleItem<?> item : fields(info)) {
			String label = item.getLabel() == null || item.getLabel().isEmpty() ? item.getName() : item.getLabel();
			Class<?> t = item.getType();
			String v = remembered(info, item);
			if (item.getDescription() != null && !item.getDescription().isEmpty())
				help.append("<dt><b>").append(label).append("</b></dt><dd>").append(item.getDescription()).append("</dd>");
			if (item.getVisibility() == ItemVisibility.MESSAGE) {
				gd.addMessage(plainText(v.isEmpty() ? label : v));
			}
			else if (ImagePlus.class.isAssignableFrom(t)) {
				String[] titles = WindowManager.getImageTitles();
				if (titles.length == 0) titles = new String[] {"(no image open)"};
				ImagePlus cur = WindowManager.getCurrentImage();
				gd.addChoice(label, titles, cur != null ? cur.getTitle() : titles[0]);
			}
			else if (t == boolean.class || t == Boolean.class) {
				gd.addCheckbox(label, Boolean.parseBoolean(v));
			}
			else if (isNumber(t)) {
				double d = v.isEmpty() ? 0 : Double.parseDouble(v);
				boolean integer = t == int.class || t == Integer.class || t == long.class || t == Long.class;
				String range = range(item);
				gd.addNumericField(label, d, integer ? 0 : 3, 8, range);
			}
			else if (item.getChoices() != null && !item.getChoices().isEmpty()) {
				String[] choices = item.getChoices().stream().map(Object::toString).toArray(String[]::new);
				gd.addChoice(label, choices, v.isEmpty() ? choices[0] : v);
			}
			else if (File.class.isAssignableFrom(t)) {
				String style = item.getWidgetStyle() == null ? "" : item.getWidgetStyle();
				if (style.contains("directory")) gd.addDirectoryField(label, v, 40);
				else gd.addFileField(label, v, 40);
			}
			else if ("text area".equals(item.getWidgetStyle())) {
				gd.addStringField(label, v, 50);
			}
			else {
				gd.addStringField(label, v, 40);
			}
		}
		gd.addHelp(help.append("</dl></html>").toString());
		gd.enableYesNoCancel("OK", "Reset to defaults");
		return gd;
	}

	private static boolean isNumber(Class<?> t) {
		return t == int.class || t == Integer.class || t == long.class || t == Long.class || t == double.class
			|| t == Double.class || t == float.class || t == Float.class;
	}

	private static String range(ModuleItem<?> item) {
		Object min = item.getMinimumValue(), max = item.getMaximumValue();
		if (min == null && max == null) return "";
		return "(" + (min == null ? "" : min) + "\u2013" + (max == null ? "" : max) + ")";
	}

	/** Reads the dialog back in field order, remembers the values, and checks numeric ranges. */
	private static Map<String, Object> read(CommandInfo info, GenericDialog gd) {
		Map<String, Object> values = new LinkedHashMap<>();
		for (ModuleItem<?> item : fields(info)) {
			Class<?> t = item.getType();
			Object v;
			if (item.getVisibility() == ItemVisibility.MESSAGE) continue;
			if (ImagePlus.class.isAssignableFrom(t)) v = WindowManager.getImage(gd.getNextChoice());
			else if (t == boolean.class || t == Boolean.class) v = gd.getNextBoolean();
			else if (isNumber(t)) {
				double d = gd.getNextNumber();
				if (Double.isNaN(d)) throw new IllegalArgumentException(item.getLabel() + ": not a number");
				checkRange(item, d);
				v = d;
			}
			else if (item.getChoices() != null && !item.getChoices().isEmpty()) v = gd.getNextChoice();
			else if (File.class.isAssignableFrom(t)) {
				String s = gd.getNextString().trim();
				v = s.isEmpty() ? null : new File(s);
			}
			else v = gd.getNextString();
			values.put(item.getName(), v);
			if (!(v instanceof ImagePlus))
				Prefs.set(key(info, item), v == null ? "" : v instanceof File f ? f.getPath() : v.toString());
		}
		return values;
	}

	private static void checkRange(ModuleItem<?> item, double d) {
		Object min = item.getMinimumValue(), max = item.getMaximumValue();
		if (min instanceof Number n && d < n.doubleValue() || max instanceof Number x && d > x.doubleValue())
			throw new IllegalArgumentException(item.getLabel() + " must be in " + range(item) + ", not " + d);
	}

	/** SciJava message items may carry HTML for Swing; ImageJ's dialog shows plain text, so tags and entities go. */
	static String plainText(String html) {
		return html.replaceAll("<[^>]*>", "").replace("&gt;", ">").replace("&lt;", "<").replace("&amp;", "&").trim();
	}
}
