package org.rerender.fiji;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.rerender.engine.RerenderException;
import org.scijava.Context;
import org.scijava.app.StatusService;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandService;
import org.scijava.console.ConsoleService;
import org.scijava.convert.ConvertService;
import org.scijava.event.EventHandler;
import org.scijava.event.EventService;
import org.scijava.log.LogLevel;
import org.scijava.log.LogListener;
import org.scijava.log.LogMessage;
import org.scijava.log.LogService;
import org.scijava.module.Module;
import org.scijava.module.ModuleItem;
import org.scijava.module.event.ModuleCanceledEvent;
import org.scijava.module.event.ModuleErroredEvent;
import org.scijava.module.event.ModuleFinishedEvent;
import org.scijava.parse.Items;
import org.scijava.parse.ParseService;
import org.scijava.run.RunService;
import org.scijava.script.ScriptService;
import org.scijava.startup.StartupService;
import org.scijava.ui.UIService;

/**
 * Fiji's own command line ({@code --headless --run "Rerender Video" 'input_file="…",prompt="…"'}), with an exit code.
 * The arguments go through SciJava's {@link ConsoleService} exactly as Fiji's launcher hands them over (so the syntax
 * is Fiji's: the command by its menu title or class name, then {@code key=value} pairs, text in double quotes,
 * numbers and {@code true/false} bare); the queued runs are executed as {@code Gateway.launch} does. Fiji itself only
 * logs a failed {@code --run}; here each one is checked and the process exits with
 * <ul>
 * <li>0: every {@code --run} command finished,</li>
 * <li>1: a command failed or was canceled (missing input, missing model, corrupt file, …): its reason is printed,</li>
 * <li>2: a bad invocation: no {@code --run}, an unknown command, bad {@code key=value} syntax, an unknown parameter
 * or a value of the wrong kind (checked before anything runs).</li>
 * </ul>
 * It always runs headless ({@code --headless} is accepted, as in Fiji, but not needed): no dialog can wait for a user.
 * Usage: {@code java -Djava.library.path=Fiji.app/lib/linux64 -cp "Fiji.app/jars/*:Fiji.app/plugins/*" org.rerender.fiji.HeadlessRun
 * --headless --run "Rerender Video" '…'}
 * or {@code fiji --headless --main-class=org.rerender.fiji.HeadlessRun --run …}.
 */
public final class HeadlessRun {
	public static final int OK = 0, FAILED = 1, USAGE = 2;

	/** The services {@code --headless} and {@code --run} (commands and scripts) need, and those the Rerender commands use. */
	static final List<Class<? extends org.scijava.service.Service>> SERVICES = List.of(ConsoleService.class, StartupService.class,
		RunService.class, ParseService.class, CommandService.class, ConvertService.class, UIService.class, StatusService.class,
		LogService.class, EventService.class, ScriptService.class, RerenderService.class);

	private HeadlessRun() {}

	public static void main(String... args) {
		int code;
		try {
			code = run(System.out, System.err, args);
		}
		catch (Throwable t) { // never leave the JVM running (pool threads) or exit 0 on an unexpected failure
			System.err.println("HeadlessRun: unexpected failure: " + t);
			t.printStackTrace();
			code = FAILED;
		}
		System.exit(code);
	}

	/** Runs the arguments in a fresh context (disposed before returning) and returns the exit code. */
	public static int run(PrintStream out, PrintStream err, String... args) {
		if (args.length == 0 || List.of(args).contains("--help") || List.of(args).contains("-h")) {
			(args.length == 0 ? err : out).println(USAGE_TEXT);
			return args.length == 0 ? USAGE : OK;
		}
		System.setProperty("java.awt.headless", "true"); // always headless, with or without --headless: no dialog may wait for a user
		Context context = new Context(SERVICES);
		try {
			return run(context, out, err, args);
		}
		finally {
			context.dispose();
		}
	}

	/** Checks and runs the arguments in the given context, as Fiji's launcher would; returns the exit code. */
	public static int run(Context context, PrintStream out, PrintStream err, String... args) {
		List<String> runs;
		try {
			runs = check(context, args);
		}
		catch (IllegalArgumentException e) {
			err.println("HeadlessRun: " + e.getMessage());
			return USAGE;
		}
		context.service(UIService.class).setHeadless(true);
		Outcome outcome = new Outcome();
		EventService events = context.service(EventService.class);
		List<org.scijava.event.EventSubscriber<?>> subscribers = events.subscribe(outcome);
		LogService log = context.service(LogService.class);
		log.addLogListener(outcome);
		try {
			context.service(ConsoleService.class).processArgs(args);
			context.service(StartupService.class).executeOperations();
		}
		finally {
			log.removeLogListener(outcome);
			events.unsubscribe(subscribers);
		}
		for (String line : outcome.done) out.println(line);
		boolean ok = outcome.failures.isEmpty() && outcome.done.size() == runs.size();
		if (ok) return OK;
		if (outcome.failures.isEmpty()) outcome.failures.add(outcome.errors.isEmpty()
			? "not every --run command finished (" + outcome.done.size() + " of " + runs.size() + ")" : String.join("; ", outcome.errors));
		for (String f : outcome.failures) err.println("HeadlessRun: " + f);
		return FAILED;
	}

	/**
	 * Validates every {@code --run NAME ['key=value,…']} before anything runs, with SciJava's own parser and lookup,
	 * and returns the command titles.
	 */
	static List<String> check(Context context, String... args) {
		List<String> runs = new ArrayList<>();
		for (int i = 0; i < args.length; i++) {
			if (!"--run".equals(args[i])) continue;
			if (i + 1 >= args.length) throw new IllegalArgumentException("--run needs a command name, e.g. --run \"Rerender Video\" 'input_file=\"/data/clip.mp4\",…'");
			String name = args[++i];
			String params = i + 1 < args.length && !args[i + 1].startsWith("-") ? args[++i] : null;
			CommandInfo info = command(context.service(CommandService.class), name);
			if (info == null) {
				if (context.service(RunService.class).supports(name)) {
					runs.add(name);
					continue;
				}
				throw new IllegalArgumentException("no command named '" + name + "' (use its menu title, e.g. \"Rerender Video\", or its class name)");
			}
			if (params != null) checkParams(context, info, params);
			runs.add(info.getTitle());
		}
		if (runs.isEmpty()) throw new IllegalArgumentException("nothing to run: give --run \"COMMAND\" 'key=value,…'\n" + USAGE_TEXT);
		return runs;
	}

	private static void checkParams(Context context, CommandInfo info, String params) {
		Items items;
		try {
			items = context.service(ParseService.class).parse(params);
		}
		catch (IllegalArgumentException e) {
			throw new IllegalArgumentException("cannot read the parameters of '" + info.getTitle() + "' (" + e.getMessage()
				+ "): write key=value pairs separated by commas, text in double quotes, e.g. 'input_file=\"/data/clip.mp4\",ddim_steps=20'");
		}
		if (!items.isMap()) throw new IllegalArgumentException("the parameters of '" + info.getTitle() + "' must all be key=value pairs");
		ConvertService convert = context.service(ConvertService.class);
		for (Map.Entry<String, Object> e : items.asMap().entrySet()) {
			ModuleItem<?> input = info.getInput(e.getKey());
			if (input == null || !input.isInput()) throw new IllegalArgumentException("'" + info.getTitle() + "' has no parameter '" + e.getKey()
				+ "'; its parameters: " + String.join(", ", inputNames(info)));
			Object v = e.getValue();
			Class<?> type = org.scijava.util.Types.box(input.getType());
			boolean textForNumber = v instanceof String && Number.class.isAssignableFrom(type);
			if (v != null && (textForNumber || !convert.supports(v, input.getType()) || convert.convert(v, input.getType()) == null))
				throw new IllegalArgumentException("parameter '" + e.getKey() + "' of '" + info.getTitle() + "' needs " + kind(input.getType())
					+ ", got " + (v instanceof String ? "\"" + v + "\"" : v + (type == String.class || input.getType() == java.io.File.class ? " (put text in double quotes)" : "")));
		}
	}

	private static List<String> inputNames(CommandInfo info) {
		List<String> names = new ArrayList<>();
		for (ModuleItem<?> in : info.inputs()) {
			if (in.getVisibility() == org.scijava.ItemVisibility.MESSAGE || org.scijava.service.Service.class.isAssignableFrom(in.getType())
				|| org.scijava.widget.Button.class.isAssignableFrom(in.getType()) || Context.class.isAssignableFrom(in.getType())) continue;
			names.add(in.getName());
		}
		return names;
	}

	private static String kind(Class<?> type) {
		if (type == java.io.File.class) return "a file path in double quotes";
		if (type == String.class) return "text in double quotes";
		if (type == boolean.class || type == Boolean.class) return "true or false";
		if (Number.class.isAssignableFrom(org.scijava.util.Types.box(type))) return "a number (no quotes)";
		return "a " + type.getSimpleName();
	}

	/** The lookup of SciJava's command runner: a class name, else the exact menu title. */
	static CommandInfo command(CommandService commands, String name) {
		CommandInfo info = commands.getCommand(name);
		if (info != null) return info;
		for (CommandInfo c : commands.getCommands())
			if (name.equals(c.getTitle())) return c;
		return null;
	}

	/** What happened to the modules the runs started. */
	static final class Outcome implements LogListener {
		final List<String> done = java.util.Collections.synchronizedList(new ArrayList<>());
		final List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
		final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());

		@EventHandler
		void onFinished(ModuleFinishedEvent e) {
			Module m = e.getModule();
			Map<String, Object> outs = new LinkedHashMap<>();
			for (ModuleItem<?> item : m.getInfo().outputs()) {
				Object v = m.getOutput(item.getName());
				if (v instanceof String || v instanceof Number || v instanceof Boolean || v instanceof java.io.File)
					if (!(v instanceof String s && s.isEmpty())) outs.put(item.getName(), v);
			}
			done.add(m.getInfo().getTitle() + ": finished" + (outs.isEmpty() ? "" : " " + outs));
		}

		@EventHandler
		void onCanceled(ModuleCanceledEvent e) {
			String reason = e.getReason();
			failures.add(e.getModule().getInfo().getTitle() + " failed: " + (reason == null || reason.isBlank() ? "canceled" : reason));
		}

		@EventHandler
		void onErrored(ModuleErroredEvent e) {
			Throwable t = e.getException();
			while (t.getCause() != null && (t.getMessage() == null || t instanceof RuntimeException && t.getClass() == RuntimeException.class))
				t = t.getCause();
			if (t instanceof RerenderException) e.consume(); // a user-facing message: reported below, no stack trace from the runner
			failures.add(e.getModule().getInfo().getTitle() + " failed: " + (t instanceof RerenderException ? t.getMessage() : t));
		}

		@Override
		public void messageLogged(LogMessage message) {
			if (message.level() > LogLevel.ERROR) return;
			Throwable t = message.throwable();
			while (t != null && t.getCause() != null) t = t.getCause();
			errors.add(t == null ? String.valueOf(message.text()) : message.text() + ": " + t);
		}
	}

	static final String USAGE_TEXT = """
		usage: HeadlessRun [--headless] --run "COMMAND" 'key="text",key=number,key=true,…' [--run …]
		  COMMAND: a menu title (e.g. "Rerender Video", "Open Video") or a command class name.
		  Parameters as in Fiji's --run: text and paths in double quotes, numbers and true/false bare.
		  Exit 0 = every command finished; 1 = a command failed (reason printed); 2 = bad invocation.""";
}
