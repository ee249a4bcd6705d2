package org.rerender.model.lora;

import java.util.Map;

/**
 * Translates SD 1.5 UNet module paths from the original (ldm) checkpoint layout to the diffusers
 * layout that LoRA trainers name their keys after. The SD 1.5 UNet has four down levels of
 * (resnet, attention) x 2 + downsampler, a middle block, and four up levels of (resnet, attention) x 3
 * + upsampler; ldm numbers these blocks consecutively:
 * <ul>
 * <li>{@code input_blocks.0.0} = {@code conv_in}; {@code input_blocks.n} (n = 3i+j+1) = down level i, item j
 * ({@code .0} resnet, {@code .1} attention), and {@code input_blocks.3(i+1).0.op} = level i's downsampler;</li>
 * <li>{@code middle_block.0/1/2} = {@code mid_block.resnets.0 / attentions.0 / resnets.1};</li>
 * <li>{@code output_blocks.n} (n = 3i+j) = up level i, item j; the upsampler is the last sub-module of
 * {@code output_blocks.3i+2} ({@code .1} on level 0, which has no attention, {@code .2} elsewhere).</li>
 * </ul>
 */
final class UnetNames {

	private UnetNames() {}

	private static final Map<String, String> RESNET = Map.of(
		"in_layers.0", "norm1", "in_layers.2", "conv1", "emb_layers.1", "time_emb_proj",
		"out_layers.0", "norm2", "out_layers.3", "conv2", "skip_connection", "conv_shortcut");

	/** The diffusers module path for an ldm UNet module path (without {@code model.diffusion_model.}), or null. */
	static String toDiffusers(String ldm) {
		String[] p = ldm.split("\\.", 4);
		switch (p[0]) {
			case "time_embed":
				if (p.length == 2 && p[1].equals("0")) return "time_embedding.linear_1";
				if (p.length == 2 && p[1].equals("2")) return "time_embedding.linear_2";
				return null;
			case "out":
				if (p.length == 2 && p[1].equals("0")) return "conv_norm_out";
				if (p.length == 2 && p[1].equals("2")) return "conv_out";
				return null;
			case "input_blocks": {
				if (p.length < 3) return null;
				int n = Integer.parseInt(p[1]);
				String rest = p.length > 3 ? p[3] : null;
				if (n == 0) return p[2].equals("0") && rest == null ? "conv_in" : null;
				int level = (n - 1) / 3, item = (n - 1) % 3;
				if (item == 2) return p[2].equals("0") && "op".equals(rest) ? "down_blocks." + (n / 3 - 1) + ".downsamplers.0.conv" : null;
				if (p[2].equals("0")) return resnet("down_blocks." + level + ".resnets." + item, rest);
				if (p[2].equals("1")) return join("down_blocks." + level + ".attentions." + item, rest);
				return null;
			}
			case "middle_block": {
				if (p.length < 2) return null;
				String rest = p.length > 2 ? (p.length > 3 ? p[2] + "." + p[3] : p[2]) : null;
				return switch (p[1]) {
					case "0" -> resnet("mid_block.resnets.0", rest);
					case "1" -> join("mid_block.attentions.0", rest);
					case "2" -> resnet("mid_block.resnets.1", rest);
					default -> null;
				};
			}
			case "output_blocks": {
				if (p.length < 4) return null;
				int n = Integer.parseInt(p[1]);
				int level = n / 3, item = n % 3;
				String rest = p[3];
				if (p[2].equals("0")) return resnet("up_blocks." + level + ".resnets." + item, rest);
				if (rest.equals("conv")) return "up_blocks." + level + ".upsamplers.0.conv";
				if (p[2].equals("1")) return join("up_blocks." + level + ".attentions." + item, rest);
				return null;
			}
			default:
				return null;
		}
	}

	private static String resnet(String prefix, String rest) {
		if (rest == null) return null;
		String d = RESNET.get(rest);
		return d == null ? null : prefix + "." + d;
	}

	private static String join(String prefix, String rest) {
		return rest == null ? null : prefix + "." + rest;
	}
}
