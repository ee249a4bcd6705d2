package org.rerender.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import org.rerender.model.controlnet.ControlNet;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.TensorSource;
import org.rerender.model.nn.ChannelsLast;
import org.rerender.model.nn.WeightLoader;
import org.rerender.model.unet.UNet;
import org.rerender.model.unet.UNetConfig;
import org.rerender.model.vae.AutoencoderKL;
import org.rerender.model.vae.VaeConfig;

/**
 * The tiny SD 1.5 fixture models (section 2 of fixtures/README.md), loaded F32 on {@link TestDevice} (the CPU unless
 * {@code rerender.test.device} names a GPU), plus the reference file.
 */
public final class TinyDiffusion implements AutoCloseable {
	public final NDManager weights = TestDevice.newManager();
	public final SafetensorsFile sd, control, reference;
	public final JsonObject configs;
	public final UNet unet;
	public final ControlNet controlNet;
	public final AutoencoderKL vae;

	public TinyDiffusion() throws IOException {
		sd = SafetensorsFile.open(Fixtures.file("tiny-sd15.safetensors"));
		control = SafetensorsFile.open(Fixtures.file("tiny-controlnet.safetensors"));
		reference = SafetensorsFile.open(Fixtures.file("tiny-reference.safetensors"));
		configs = JsonParser.parseString(Files.readString(Fixtures.file("tiny-configs.json"))).getAsJsonObject();
		unet = new UNet(UNetConfig.fromJson(configs.getAsJsonObject("unet")));
		WeightLoader.load(unet, sd.withPrefix("model.diffusion_model."), weights, DataType.FLOAT32, "tiny UNet");
		controlNet = new ControlNet(UNetConfig.fromJson(configs.getAsJsonObject("controlnet")));
		WeightLoader.load(controlNet, control.withPrefix("control_model."), weights, DataType.FLOAT32, "tiny ControlNet");
		vae = new AutoencoderKL(VaeConfig.fromJson(configs.getAsJsonObject("vae")));
		WeightLoader.load(vae, sd.withPrefix("first_stage_model."), weights, DataType.FLOAT32, "tiny VAE");
	}

	/** The tiny models loaded with {@code rerender.channelslast} set to {@code channelsLast} (the property restored after). */
	public static TinyDiffusion withChannelsLast(boolean channelsLast) throws IOException {
		return withProperty(ChannelsLast.PROPERTY, channelsLast);
	}

	/** The tiny models loaded with a load-time system property set to {@code value} (restored after). */
	public static TinyDiffusion withProperty(String property, boolean value) throws IOException {
		String old = System.getProperty(property);
		System.setProperty(property, Boolean.toString(value));
		try {
			return new TinyDiffusion();
		}
		finally {
			if (old == null) System.clearProperty(property);
			else System.setProperty(property, old);
		}
	}

	/** A reference tensor as an F32 array in {@code m}. */
	public static NDArray ref(TensorSource src, NDManager m, String name) {
		return src.toNDArray(m, name, DataType.FLOAT32);
	}

	public NDArray ref(NDManager m, String name) {
		return ref(reference, m, name);
	}

	/** Row {@code i} of a reference tensor's first axis. */
	public NDArray refRow(NDManager m, String name, long i) {
		NDArray all = ref(m, name);
		Shape s = all.getShape();
		return all.get(i).reshape(s.slice(1));
	}

	@Override
	public void close() {
		weights.close();
		sd.close();
		control.close();
		reference.close();
	}
}
