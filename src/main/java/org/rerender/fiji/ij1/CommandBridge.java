package org.rerender.fiji.ij1;

import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import ij.IJ;
import ij.ImagePlus;
import ij.Macro;
import ij.WindowManager;
import ij.plugin.PlugIn;
import ij.plugin.frame.Recorder;

import org.scijava.Context;
import org.scijava.command.Command;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;
import org.scijava.convert.ConvertService;
import org.scijava.module.ModuleItem;
import org.scijava.module.ModuleService;
import org.scijava.service.Service;

/**
 * Lets plain ImageJ 1.x (its menus and its macro language) run any of our SciJava commands. Registered in
 * {@code plugins.config} with the command's class name as argument:
 * <pre>Plugins&gt;Rerender, "Open Video", org.rerender.fiji.ij1.CommandBridge("org.rerender.fiji.OpenVideoCommand")</pre>
 * Macro options ({@code key=value key=[value with spaces] flag}) are mapped onto the command's inputs by
 * lower-cased parameter name; missing keys keep the command's defaults. {@code ImagePlus} inputs are given by
 * image title (batch-mode images included) and default to the current image. Output images are shown (in batch
 * mode: registered as batch-mode images, the last one becoming the current image) with the titles they were made
 * with (unique among open images: {@link org.rerender.fiji.ImageFrames#newImage}); output strings are logged.
 * Commands run through {@link CommandService} in one shared SciJava {@link Context}: Fiji's own when running inside
 * Fiji, otherwise one created on first use.
 */
public class CommandBridge implements PlugIn {

	private static Context context;

	@Override
	public void run(String arg) {
		String options = Macro.getOptions();
		try {
			if (options == null && !IJ.isMacro()) {
				options = askAndRecord(arg);
				if (options == null) return; // cancelled
			}
			run(arg, options == null ? "" : options);
		}
		catch (RuntimeException e) {
			String msg = message(e);
			IJ.log("Rerender error: " + msg);
			if (IJ.isMacro() && ij.macro.Interpreter.getInstance() != null) ij.macro.Interpreter.getInstance().abort(msg);
			else IJ.error("Rerender", msg);
		}
	}

	/**
	 * Runs command {@code className} with IJ1 macro options; shows output images, logs output strings, and returns
	 * all outputs by name.
	 */
	public static Map<String, Object> run(String className, String options) {
		Context ctx = context();
		CommandService commands = ctx.service(CommandService.class);
		CommandInfo info = commands.getCommand(className);
		if (info == null) throw new IllegalArgumentException("No SciJava command " + className);
		Map<String, Object> inputs = new LinkedHashMap<>();
		ConvertService convert = ctx.getService(ConvertService.class);
		for (ModuleItem<?> item : info.inputs()) {
			Class<?> type = item.getType();
			if (Service.class.isAssignableFrom(type) || Context.class.isAssignableFrom(type)) continue;
			String key = item.getName().toLowerCase();
			String value = Macro.getValue(options, key, null);
			if (ImagePlus.class.isAssignableFrom(type)) {
				if (value == null && !item.isRequired()) continue; // optional image not named: leave it unset
				inputs.put(item.getName(), image(value));
				continue;
			}
			if (value == null && (type == boolean.class || type == Boolean.class)
				&& (" " + options + " ").contains(" " + key + " "))
				value = "true";
			if (value == null) continue;
			inputs.put(item.getName(), convert(value, type, convert, key));
		}
		ModuleService modules = ctx.service(ModuleService.class);
		CommandModule module = (CommandModule) modules.createModule(info); // kept: an interrupted caller cancels it
		Future<CommandModule> run = modules.run(module, true, inputs);
		try {
			run.get();
		}
		catch (InterruptedException e) { // the macro was aborted: stop the command too, and wait until it has stopped
			module.cancel("Cancelled (the calling macro or plugin was interrupted).");
			awaitStopped(run);
			Thread.currentThread().interrupt();
			throw new IllegalStateException(module.getCancelReason(), e);
		}
		catch (ExecutionException e) {
			throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
		}
		if (module.isCanceled()) { // our commands cancel with the user-facing reason of a failure: show just that
			String reason = module.getCancelReason();
			throw new IllegalStateException(reason == null || reason.isBlank() ? "Cancelled" : reason);
		}
		Map<String, Object> outputs = new LinkedHashMap<>();
		for (ModuleItem<?> item : info.outputs()) {
			Object v = module.getOutput(item.getName());
			outputs.put(item.getName(), v);
			if (v instanceof ImagePlus imp) imp.show();
			else if (v instanceof String s && !s.isEmpty()) IJ.log(s);
		}
		return outputs;
	}

	/**
	 * Waits, ignoring further interrupts, until a cancelled command has stopped (the engine polls its cancel token
	 * between steps and frames), so that the caller goes on only once it writes nothing more.
	 */
	private static void awaitStopped(Future<?> run) {
		boolean interrupted = false;
		while (true) {
			try {
				run.get();
				break;
			}
			catch (InterruptedException again) {
				interrupted = true;
			}
			catch (ExecutionException | CancellationException done) {
				break;
			}
		}
		if (interrupted) Thread.currentThread().interrupt();
	}

	/**
	 * Chosen from the menu: shows the command's dialog ({@link DialogHarvester}) and records the call as
	 * {@code run("Label", "key=value ...");} when the macro recorder is on. Returns the options, or null if cancelled.
	 */
	private static String askAndRecord(String className) {
		CommandInfo info = context().service(CommandService.class).getCommand(className);
		if (info == null) throw new IllegalArgumentException("No SciJava command " + className);
		String label = Recorder.getCommand() != null ? Recorder.getCommand() : menuLabel(info);
		String options = DialogHarvester.ask(info, label);
		if (options != null && Recorder.record) {
			Recorder.disableCommandRecording(); // the GenericDialog's own field labels would make other keys
			Recorder.recordString(DialogHarvester.recordLine(label, options));
		}
		return options;
	}

	/** The last element of the command's menu path (its IJ1 menu label), else its title. */
	static String menuLabel(CommandInfo info) {
		if (info.getMenuPath() != null && info.getMenuPath().getLeaf() != null) return info.getMenuPath().getLeaf().getName();
		return info.getTitle();
	}

	/** The shared context: Fiji's (through ImageJ legacy) if present, else our own, created once. */
	public static synchronized Context context() {
		if (context == null) {
			Object legacy = null;
			try {
				Class.forName("net.imagej.legacy.LegacyService");
				legacy = IJ.runPlugIn("org.scijava.Context", "");
			}
			catch (ClassNotFoundException e) {
				// plain ImageJ 1.x
			}
			context = legacy instanceof Context c ? c : new Context();
		}
		return context;
	}

	private static ImagePlus image(String title) {
		ImagePlus imp = title == null ? WindowManager.getCurrentImage() : WindowManager.getImage(title);
		if (imp == null)
			throw new IllegalArgumentException(title == null ? "No image is open" : "No image titled \"" + title + "\"");
		return imp;
	}

	private static Object convert(String value, Class<?> type, ConvertService convert, String key) {
		try {
			if (type == String.class) return value;
			if (type == File.class) return value.isEmpty() ? null : new File(value);
			if (type == int.class || type == Integer.class) return (int) Math.round(Double.parseDouble(value));
			if (type == long.class || type == Long.class) return Math.round(Double.parseDouble(value));
			if (type == double.class || type == Double.class) return Double.parseDouble(value);
			if (type == float.class || type == Float.class) return Float.parseFloat(value);
			if (type == boolean.class || type == Boolean.class) return Boolean.parseBoolean(value);
			if (convert != null && convert.supports(value, type)) return convert.convert(value, type);
		}
		catch (NumberFormatException e) {
			throw new IllegalArgumentException("Option " + key + "=" + value + " is not a number");
		}
		throw new IllegalArgumentException("Option " + key + " has a type the macro bridge cannot set: " + type.getName());
	}

	private static String message(Throwable e) {
		for (Throwable t = e; t != null; t = t.getCause())
			if (t instanceof org.rerender.engine.RerenderException) return t.getMessage();
		return e.getMessage() == null ? e.toString() : e.getMessage();
	}

}
