package org.rerender.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;
import org.rerender.diffusion.ControlledGenerator;
import org.rerender.engine.DeviceChoice;
import org.rerender.engine.FileNames;
import org.rerender.engine.RerenderException;
import org.rerender.image.Png;
import org.rerender.image.Rgb8Image;
import org.rerender.model.download.ModelStore;
import org.rerender.pipeline.DiffusionModels;

/** {@code rerender generate}: one image from a prompt and a control image (developer tool, no video). */
final class GenerateSubcommand implements Subcommand {

	@Override
	public String name() {
		return "generate";
	}

	@Override
	public String summary() {
		return "one image from a prompt + control image (SD 1.5 + ControlNet; developer tool)";
	}

	@Override
	public String help() {
		return String.join("\n",
			"Usage: rerender generate --prompt TEXT --control IMAGE --output OUT.png [options]",
			"",
			"Generates one image with SD 1.5 + ControlNet (DDIM, classifier-free guidance), F32 on the CPU.",
			"",
			"  --prompt TEXT          what to draw (the model sees PROMPT + \", \" + A_PROMPT)",
			"  --control IMAGE        image the control map (canny edges / HED) is computed from",
			"  --output FILE          where to write the PNG; FILE-control.png gets the control map",
			"  --init IMAGE           start from this image (SDEdit) instead of pure noise",
			"  --strength S           SDEdit strength in [0,1] with --init (default 0.75; 1 = all steps, from the noised init)",
			"  --a_prompt TEXT        added prompt (default: best quality, extremely detailed)",
			"  --n_prompt TEXT        negative prompt (default: longbody, lowres, bad anatomy, ...)",
			"  --steps N              DDIM steps (default 20)",
			"  --scale X              CFG scale (default 7.5)",
			"  --seed N               seed, -1 = random (default -1; the seed used is printed)",
			"  --control_type T       canny or hed (default canny)",
			"  --control_strength X   scale of the ControlNet residuals (default 1.0)",
			"  --canny_low N, --canny_high N   Canny thresholds (default 50, 100)",
			"  --resolution N         long side, rounded to multiples of 64 (default 512; 0 = keep, must be x64)",
			"  --controlnet FILE      ControlNet checkpoint (default: the model folder's control_sd15_<type>.pth)",
			"  --sd_model FILE        SD 1.5 checkpoint loaded over the ControlNet's UNet/VAE/text encoder",
			"  --vae FILE             VAE checkpoint (default: vae-ft-mse from the model folder when installed)",
			"  --lora FILE [--lora_strength X]  a LoRA (kohya lora_unet_/lora_te_ safetensors) merged at load (strength 1)",
			"  --models DIR           model folder (default: the standard one; see rerender models)",
			"  --device D             auto (default: the GPU when the PyTorch natives have CUDA, else the CPU), cpu, cuda:N",
			"",
			"Exit codes: 0 ok, 1 failure (one line: missing model and how to download it, unsupported or corrupt",
			"checkpoint, unreadable image), 2 bad options.");
	}

	@Override
	public int run(String[] argv) throws Exception {
		Args a = Args.parse(argv, Set.of(), Set.of("--prompt", "--control", "--output", "--init", "--strength", "--a_prompt",
			"--n_prompt", "--steps", "--scale", "--seed", "--control_type", "--control_strength", "--canny_low", "--canny_high",
			"--resolution", "--controlnet", "--sd_model", "--vae", "--models", Devices.OPTION, "--lora", "--lora_strength"));
		if (!a.positionals().isEmpty()) throw new UsageException("unexpected argument '" + a.positionals().get(0) + "'");
		String prompt = a.required("--prompt");
		Path controlPath = a.path("--control", null);
		if (controlPath == null) throw new UsageException("--control IMAGE is required");
		Path output = a.path("--output", null);
		if (output == null) throw new UsageException("--output FILE is required");
		if (a.has("--strength") && !a.has("--init")) throw new UsageException("--strength needs --init IMAGE");
		if (a.has("--lora_strength") && !a.has("--lora")) throw new UsageException("--lora_strength needs --lora FILE");
		String type = a.string("--control_type", "canny").toLowerCase(Locale.ROOT);
		ControlledGenerator.ControlType ct = switch (type) {
			case "canny" -> ControlledGenerator.ControlType.CANNY;
			case "hed" -> ControlledGenerator.ControlType.HED;
			default -> throw new UsageException("--control_type must be canny or hed, not '" + type + "'");
		};
		Rgb8Image control = readImage(controlPath, "--control");
		Rgb8Image init = a.has("--init") ? readImage(a.path("--init", null), "--init") : null;
		ControlledGenerator.Request req = new ControlledGenerator.Request(prompt,
			a.string("--a_prompt", "best quality, extremely detailed"),
			a.string("--n_prompt", "longbody, lowres, bad anatomy, bad hands, missing fingers, extra digit, fewer digits, "
				+ "cropped, worst quality, low quality"),
			a.integer("--steps", 20), a.number("--scale", 7.5), a.integer("--seed", -1), ct,
			a.number("--control_strength", 1.0), a.number("--canny_low", 50), a.number("--canny_high", 100),
			a.integer("--resolution", 512), control, init, a.number("--strength", 0.75));
		DiffusionModels.Files files = resolve(a, ct);
		DeviceChoice.Resolved device = Devices.resolve(a);
		try (DiffusionModels models = DiffusionModels.load(files, device)) {
			Devices.report(device, name());
			ControlledGenerator.Result r = new ControlledGenerator(models).generate(req, CliProgress.INSTANCE, null);
			Path parent = output.toAbsolutePath().getParent();
			if (parent != null) Files.createDirectories(parent);
			Png.write(r.image(), output);
			Png.write(controlImage(r), output.resolveSibling(FileNames.stem(output) + "-control.png"));
			System.err.println();
			System.out.println("wrote " + output + " (" + r.image().width() + "x" + r.image().height() + ", seed " + r.seed() + ")");
		}
		return 0;
	}

	static DiffusionModels.Files resolve(Args a, ControlledGenerator.ControlType ct) {
		ModelStore store = a.has("--models") ? new ModelStore(a.path("--models", null)) : ModelStore.standard();
		return ControlledGenerator.resolveFiles(ct, a.path("--controlnet", null), a.path("--sd_model", null),
			a.path("--vae", null), a.path("--lora", null), a.number("--lora_strength", 1.0), store);
	}

	private static Rgb8Image readImage(Path p, String option) {
		if (!Files.isRegularFile(p)) throw new RerenderException(option + " image not found: " + p.toAbsolutePath());
		try {
			return Png.read(p);
		}
		catch (IOException | RuntimeException e) {
			throw new RerenderException(option + " " + p + " is not a readable image (PNG, JPEG, BMP or GIF)");
		}
	}

	private static Rgb8Image controlImage(ControlledGenerator.Result r) {
		byte[] m = r.control().data(), rgb = new byte[3 * m.length];
		for (int i = 0; i < m.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = m[i];
		return new Rgb8Image(r.control().width(), r.control().height(), rgb);
	}

	/** Progress as one rewritten line on stderr. */
	private enum CliProgress implements org.rerender.engine.Progress {
		INSTANCE;

		@Override
		public void report(String stage, long done, long total) {
			System.err.print("\r" + stage + " " + done + "/" + total + "   ");
		}
	}
}
