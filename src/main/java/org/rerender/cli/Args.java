package org.rerender.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;
import java.util.Map;

/**
 * A small GNU-style argument parser: {@code --key value}, {@code --key=value}, flags
 * ({@code -ps}, {@code --poisson}) and positionals. Subcommands declare which flags take no
 * value; everything unknown is an error, so typos never pass silently.
 */
public final class Args {
	private final Map<String, String> options = new LinkedHashMap<>();
	private final Set<String> flags = new HashSet<>();
	private final List<String> positionals = new ArrayList<>();

	private Args() {}

	/**
	 * @param flagNames option names (with dashes) that take no value
	 * @param valueNames option names (with dashes) that take a value
	 */
	public static Args parse(String[] argv, Set<String> flagNames, Set<String> valueNames) {
		Args a = new Args();
		for (int i = 0; i < argv.length; i++) {
			String s = argv[i];
			if (s.startsWith("-") && s.length() > 1 && !isNumber(s)) {
				String key = s, value = null;
				int eq = s.indexOf('=');
				if (eq > 0) {
					key = s.substring(0, eq);
					value = s.substring(eq + 1);
				}
				if (flagNames.contains(key)) {
					if (value != null) throw new UsageException("option " + key + " takes no value");
					a.flags.add(key);
				}
				else if (valueNames.contains(key)) {
					if (value == null) {
						if (i + 1 >= argv.length) throw new UsageException("option " + key + " needs a value");
						value = argv[++i];
					}
					a.options.put(key, value);
				}
				else throw new UsageException("unknown option " + key);
			}
			else a.positionals.add(s);
		}
		return a;
	}

	private static boolean isNumber(String s) {
		try {
			Double.parseDouble(s);
			return true;
		}
		catch (NumberFormatException e) {
			return false;
		}
	}

	public boolean flag(String name) {
		return flags.contains(name);
	}

	public String string(String name, String def) {
		return options.getOrDefault(name, def);
	}

	public String required(String name) {
		String v = options.get(name);
		if (v == null) throw new UsageException("missing required option " + name);
		return v;
	}

	public int integer(String name, int def) {
		String v = options.get(name);
		if (v == null) return def;
		try {
			return Integer.parseInt(v.trim());
		}
		catch (NumberFormatException e) {
			throw new UsageException("option " + name + " needs an integer, got '" + v + "'");
		}
	}

	public double number(String name, double def) {
		String v = options.get(name);
		if (v == null) return def;
		try {
			return Double.parseDouble(v.trim());
		}
		catch (NumberFormatException e) {
			throw new UsageException("option " + name + " needs a number, got '" + v + "'");
		}
	}

	public Path path(String name, Path def) {
		String v = options.get(name);
		return v == null ? def : Path.of(v);
	}

	public boolean has(String name) {
		return options.containsKey(name);
	}

	public List<String> positionals() {
		return positionals;
	}
}
