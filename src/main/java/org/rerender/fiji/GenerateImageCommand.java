package org.rerender.fiji;

import ij.ImagePlus;
import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.rerender.diffusion.ControlledGenerator;
import org.rerender.engine.RerenderException;
import org.rerender.image.Png;
import org.rerender.image.Rgb8Image;
import org.rerender.model.download.ModelStore;
import org.rerender.pipeline.DiffusionModels;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

/**
 * {@code Plugins > Rerender > Generate Image (developer)}: one image from a prompt and a control image (an open image
 * or a file), optionally from an init image (SDEdit), on the chosen device (default auto, as the Rerender commands). The
 * models come from the service's cache under a lease (shared with the Rerender commands; only changed networks are
 * reloaded, a device change reloads all).
 */
@Plugin(type = Command.class, menuPath = "Plugins>Rerender>Generate Image (developer)", label = "Generate Image (developer)",
	headless = true)
public class GenerateImageCommand extends EngineCommand {

	@Parameter(label = "Prompt", description = "What to draw; the model sees prompt + \", \" + added prompt")
	private String prompt = "";

	@Parameter(label = "Added prompt", required = false, persist = false, description = "Appended to the prompt")
	private String a_prompt = "best quality, extremely detailed";

	@Parameter(label = "Negative prompt", required = false, persist = false, description = "What to steer away from")
	private String n_prompt = "longbody, lowres, bad anatomy, bad hands, missing fingers, extra digit, fewer digits, cropped, "
		+ "worst quality, low quality";

	@Parameter(label = "Control image", required = false, description = "The image the control map is computed from")
	private ImagePlus control_image;

	@Parameter(label = "Control file", required = false, persist = false, style = FileWidget.OPEN_STYLE, description = "Instead of an open image: an image file")
	private File control_file;

	@Parameter(label = "Init file", required = false, persist = false, style = FileWidget.OPEN_STYLE, description = "Start from this image (SDEdit); empty = from noise")
	private File init_file;

	@Parameter(label = "Strength", min = "0", max = "1", stepSize = "0.05", persist = false,
		description = "SDEdit strength with an init image: 1 = all steps, 0 = the init image unchanged")
	private double strength = 0.75;

	@Parameter(label = "Steps", min = "1", max = "100", persist = false, description = "DDIM steps")
	private int steps = 20;

	@Parameter(label = "CFG scale", min = "0", max = "30", stepSize = "0.5", persist = false, description = "Classifier-free guidance scale")
	private double scale = 7.5;

	@Parameter(label = "Seed", min = "-1", max = "4294967295", persist = false, description = "-1 = random")
	private long seed = -1;

	@Parameter(label = "Control type", choices = { "canny", "hed" }, persist = false, description = "The control map: Canny edges or HED soft edges")
	private String control_type = "canny";

	@Parameter(label = "Control strength", min = "0", max = "2", stepSize = "0.05", persist = false, description = "Scale of all ControlNet residuals")
	private double control_strength = 1.0;

	@Parameter(label = "Canny low", min = "0", max = "1000", persist = false, description = "Canny low threshold (canny only)")
	private int canny_low = 50;

	@Parameter(label = "Canny high", min = "0", max = "1000", persist = false, description = "Canny high threshold (canny only)")
	private int canny_high = 100;

	@Parameter(label = "Resolution", min = "0", max = "2048", stepSize = "64", persist = false,
		description = "Long side, rounded to multiples of 64 (0 = keep)")
	private int resolution = 512;

	@Parameter(label = "ControlNet model", required = false, persist = false, style = FileWidget.OPEN_STYLE, description = "Empty = the model folder's control_sd15_<type>.pth")
	private File controlnet_model;

	@Parameter(label = "SD model", required = false, persist = false, style = FileWidget.OPEN_STYLE, description = "An SD 1.5 checkpoint over the ControlNet's (optional)")
	private File sd_model;

	@Parameter(label = "LoRA file", required = false, persist = false, style = FileWidget.OPEN_STYLE,
		description = "Optional kohya-style LoRA (.safetensors) merged into the SD 1.5 weights at load")
	private File lora_file;

	@Parameter(label = "LoRA strength", min = "-10", max = "10", stepSize = "0.1", persist = false, description = "Scale of the merged LoRA (1 = as trained)")
	private double lora_strength = 1.0;

	@Parameter(label = "Device", choices = { "auto", "cpu", "cuda:0", "cuda:1" }, persist = false,
		description = "auto = the GPU when the PyTorch natives have CUDA (F16), else the CPU (F32); a change reloads all networks")
	private String device = "auto";

	@Parameter(type = ItemIO.OUTPUT, label = "Generated")
	private ImagePlus output;

	@Parameter(type = ItemIO.OUTPUT, label = "Control map")
	private ImagePlus control_map;

	@Parameter
	private RerenderService rerender;

	@Override
	protected void execute() {
		Rgb8Image control = control_file != null ? read(control_file)
			: control_image != null && control_image.getWidth() > 0 ? ImageFrames.current(control_image) : null; // as displayed
		if (control == null) throw new RerenderException("Give a control image: an open image or a file");
		ControlledGenerator.ControlType type = ControlledGenerator.ControlType.valueOf(control_type.toUpperCase(Locale.ROOT));
		ControlledGenerator.Request req = new ControlledGenerator.Request(prompt, a_prompt, n_prompt, steps, scale, seed, type,
			control_strength, canny_low, canny_high, resolution, control, init_file == null ? null : read(init_file), strength);
		DiffusionModels.Files files = ControlledGenerator.resolveFiles(type, path(controlnet_model), path(sd_model), null,
			path(lora_file), lora_strength, ModelStore.standard());
		try (RerenderService.Lease lease = rerender.lease()) {
			DiffusionModels models = lease.models(files, device); // kept by the service for the next run
			ControlledGenerator.Result r = new ControlledGenerator(models).generate(req, rerender.progress(), cancelToken);
			output = ImageFrames.output("Generated (seed " + r.seed() + ")", List.of(r.image()), null);
			ij.ImageStack map = new ij.ImageStack(r.control().width(), r.control().height());
			map.addSlice(new ij.process.ByteProcessor(r.control().width(), r.control().height(), r.control().data().clone()));
			control_map = ImageFrames.newImage("Control map", map);
		}
		finally {
			rerender.done();
		}
	}

	private static java.nio.file.Path path(File f) {
		return f == null || f.getPath().isEmpty() ? null : f.toPath();
	}

	private static Rgb8Image read(File f) {
		try {
			return Png.read(f.toPath());
		}
		catch (IOException | RuntimeException e) {
			throw new RerenderException(f + " is not a readable image (PNG, JPEG, BMP or GIF)");
		}
	}
}
