package org.rerender.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import ij.Macro;
import ij.Menus;
import ij.macro.Interpreter;

/**
 * Runs ImageJ 1.x macros with ImageJ's own interpreter, headless and in batch mode, the way a user's macro runs.
 * The commands listed in every {@code plugins.config} on the class path are registered in ImageJ's command table
 * first (a headless ImageJ 1.x builds no menus, so it would not find them otherwise).
 */
public final class MacroRunner {
	private MacroRunner() {}

	private static final Pattern LINE = Pattern.compile("^\\s*([^,#]+),\\s*\"([^\"]+)\",\\s*(.+?)\\s*$");
	private static boolean registered;

	/** Runs a macro file with an argument ({@code getArgument()}); returns what the macro returns. */
	public static String runFile(Path macro, String arg) throws IOException {
		return run(Files.readString(macro, StandardCharsets.UTF_8), arg);
	}

	/**
	 * Runs macro text; throws {@link AssertionError} with the interpreter's message if the macro fails. A command
	 * that aborts the macro with a message ({@link Interpreter#abort(String)}: our commands' failure reason) stops the
	 * macro at once, and that message is the one reported, wherever the call sits (in a loop, a block, a function).
	 */
	public static synchronized String run(String macro, String arg) {
		System.setProperty("java.awt.headless", "true");
		registerCommands();
		Interpreter.batchMode = true;
		StoppingInterpreter interp = new StoppingInterpreter();
		interp.setIgnoreErrors(true); // no error dialogs (headless): errors are read back below
		String result;
		try {
			result = interp.run(macro, arg);
		}
		catch (RuntimeException e) {
			if (interp.abortMessage != null) throw new AssertionError("Macro failed: " + interp.abortMessage, e);
			if (Macro.MACRO_CANCELED.equals(e.getMessage()))
				throw new AssertionError("Macro stopped by exit() or an abort without a message (an exit message is printed above)", e);
			throw e;
		}
		if (interp.abortMessage != null) throw new AssertionError("Macro failed: " + interp.abortMessage);
		// an error the interpreter found itself (syntax, undefined variable, ...)
		if (interp.wasError() || interp.getErrorMessage() != null)
			throw new AssertionError("Macro failed: " + interp.getErrorMessage());
		return result;
	}

	/**
	 * An interpreter that stops at the first {@link #abort(String)}. With errors ignored (no dialogs), ImageJ's own
	 * abort only marks the macro done and lets the parser run on: inside a loop, block or function the parser then
	 * reports a syntax error of its own ("';' expected", "'}' expected") over the command's message. Here the first
	 * message is kept and the macro unwinds as ImageJ's error dialog path does (Macro.MACRO_CANCELED).
	 */
	private static final class StoppingInterpreter extends Interpreter {
		String abortMessage;

		@Override
		public void abort(String message) {
			if (abortMessage == null) abortMessage = message == null ? "Macro aborted" : message;
			super.abort(message);
			throw new RuntimeException(Macro.MACRO_CANCELED);
		}
	}

	/** The commands registered from plugins.config: label → class("arg"). */
	@SuppressWarnings("unchecked")
	public static synchronized Map<String, String> registerCommands() {
		Map<String, String> found = new LinkedHashMap<>();
		try {
			Enumeration<URL> urls = MacroRunner.class.getClassLoader().getResources("plugins.config");
			while (urls.hasMoreElements()) {
				try (BufferedReader r = new BufferedReader(new InputStreamReader(urls.nextElement().openStream(),
					StandardCharsets.UTF_8)))
				{
					for (String line; (line = r.readLine()) != null; ) {
						Matcher m = LINE.matcher(line);
						if (!line.trim().startsWith("#") && m.matches()) found.put(m.group(2), m.group(3));
					}
				}
			}
		}
		catch (IOException e) {
			throw new IllegalStateException("Cannot read plugins.config", e);
		}
		Hashtable<String, String> table = Menus.getCommands();
		if (table == null) {
			// A headless ImageJ 1.x cannot build its menus (AWT), so it has no command table: give it one with our
			// commands. Built-in macro functions work without it; built-in menu commands are not available.
			table = new Hashtable<>();
			try {
				java.lang.reflect.Field f = Menus.class.getDeclaredField("pluginsTable");
				f.setAccessible(true);
				f.set(null, table);
			}
			catch (ReflectiveOperationException e) {
				throw new IllegalStateException("Cannot give ImageJ a command table", e);
			}
		}
		table.putAll(found);
		registered = true;
		return found;
	}
}
