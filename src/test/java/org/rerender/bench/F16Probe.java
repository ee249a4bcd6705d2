package org.rerender.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.rerender.diffusion.ControlledDenoiser;
import org.rerender.diffusion.DdimSampler;
import org.rerender.diffusion.NoiseSchedule;
import org.rerender.diffusion.SeededNoise;
import org.rerender.engine.Djl;
import org.rerender.model.clip.ClipTextConfig;
import org.rerender.model.clip.ClipTextEncoder;
import org.rerender.model.controlnet.ControlNet;
import org.rerender.model.io.TensorDType;
import org.rerender.model.io.TensorInfo;
import org.rerender.model.io.TensorSource;
import org.rerender.model.nn.Module;
import org.rerender.model.nn.WeightLoader;
import org.rerender.model.unet.UNet;
import org.rerender.model.unet.UNetCallContext;
import org.rerender.model.unet.UNetConfig;
import org.rerender.model.vae.AutoencoderKL;
import org.rerender.model.vae.VaeConfig;

/**
 * F16 against F32 with the SAME random full-size weights (made in F32 from a per-tensor seed, then cast), stage by
 * stage: CLIP, VAE encode, one ControlNet+UNet call, VAE decode, and the 20-step DDIM latent. Prints the relative
 * error of F16 against F32 and whether each output is finite. Run by bench/gpu/run.sh (stage probe).
 */
public final class F16Probe {
	private F16Probe() {}

	public static void main(String[] args) {
		Device dev = BenchDevices.parse(args.length > 0 ? args[0] : "cuda:0");
		int size = args.length > 1 ? Integer.parseInt(args[1]) : 512;
		Engine engine = Djl.engine();
		Map<String, NDArray> f32 = new LinkedHashMap<>();
		try (NDManager cpu = Djl.newCpuManager()) {
			for (DataType dt : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
				try (NDManager w = Djl.newManager(dev)) {
					UNetConfig uc = UNetConfig.sd15();
					UNet unet = new UNet(uc);
					ControlNet cnet = new ControlNet(uc);
					AutoencoderKL vae = new AutoencoderKL(VaeConfig.sd15());
					WeightLoader.load(unet, new Seeded(unet), w, dt, "unet");
					WeightLoader.load(cnet, new Seeded(cnet), w, dt, "controlnet");
					WeightLoader.load(vae, new Seeded(vae), w, dt, "vae");
					ClipTextConfig cc = ClipTextConfig.vitL14();
					ClipTextEncoder clip = ClipTextEncoder.load(new Seeded(cc.expectedShapes()), cc, w, dt);
					SeededNoise noise = new SeededNoise(1);
					NDArray frame = noise.next(w, new Shape(1, 3, size, size), DataType.FLOAT32).tanh().toType(dt, false);
					NDArray hint = noise.next(w, new Shape(1, 3, size, size), DataType.FLOAT32).getNDArrayInternal().sigmoid().toType(dt, false);
					NDArray lat = noise.next(w, new Shape(1, 4, size / 8, size / 8), DataType.FLOAT32).toType(dt, false);
					int[] ids = new int[77], uids = new int[77];
					java.util.SplittableRandom r = new java.util.SplittableRandom(2);
					for (int i = 0; i < 77; i++) {
						ids[i] = r.nextInt(49408);
						uids[i] = r.nextInt(49408);
					}
					Map<String, NDArray> out = new LinkedHashMap<>();
					NDArray c = clip.encode(w, ids), u = clip.encode(w, uids);
					out.put("clip", c);
					out.put("vae.encode mean", vae.encode(frame).mean());
					List<NDArray> ctrl = cnet.forward(lat, hint, new int[] {500}, c, null, UNetCallContext.NONE);
					out.put("controlnet residual 12", ctrl.get(12));
					out.put("controlnet residual 0", ctrl.get(0));
					out.put("unet eps (t=500)", unet.forward(lat, new int[] {500}, c, ctrl, UNetCallContext.of(0, null)));
					out.put("unet eps, no control", unet.forward(lat, new int[] {500}, c, null, UNetCallContext.of(0, null)));
					out.put("vae.decode(random latent)", vae.decode(lat.div(AutoencoderKL.SCALE_FACTOR)));
					ControlledDenoiser model = new ControlledDenoiser(w, unet, cnet, c, u, hint, null, null);
					NDArray x = new DdimSampler(NoiseSchedule.sd15(), 20, 7.5, DdimSampler.Cfg.BATCHED).sample(w, model, lat, null, noise,
						null, null, null);
					out.put("DDIM 20-step latent", x);
					out.put("vae.decode(DDIM latent)", vae.decode(x.div(AutoencoderKL.SCALE_FACTOR)));
					for (Map.Entry<String, NDArray> e : out.entrySet()) {
						NDArray v = e.getValue().toDevice(Device.cpu(), true).toType(DataType.FLOAT32, false);
						v.attach(cpu);
						boolean finite = !v.isNaN().any().getBoolean() && !v.isInfinite().any().getBoolean();
						float maxAbs = v.abs().max().getFloat();
						String rel = "";
						if (dt == DataType.FLOAT16) {
							NDArray ref = f32.get(e.getKey());
							rel = String.format(Locale.ROOT, ", rel.err vs F32 %.2e", v.sub(ref).norm().getFloat() / ref.norm().getFloat());
						}
						else f32.put(e.getKey(), v);
						System.out.printf(Locale.ROOT, "%-8s %-28s finite %-5s max|x| %.3g%s%n", dt, e.getKey(), finite, maxAbs, rel);
					}
				}
			}
		}
	}

	/** Random weights made in F32 from a per-tensor seed (so F32 and F16 runs get the same values), cast on load. */
	static final class Seeded implements TensorSource {
		private final Map<String, TensorInfo> tensors = new LinkedHashMap<>();

		Seeded(Module m) {
			m.specs().forEach(s -> tensors.put(s.name(), new TensorInfo(s.name(), TensorDType.F32, s.shape().getShape())));
		}

		Seeded(Map<String, long[]> shapes) {
			shapes.forEach((k, s) -> tensors.put(k, new TensorInfo(k, TensorDType.F32, s)));
		}

		@Override
		public Map<String, TensorInfo> tensors() {
			return tensors;
		}

		@Override
		public ByteBuffer rawData(String name) {
			throw new UnsupportedOperationException();
		}

		@Override
		public NDArray toNDArray(NDManager manager, String name, DataType target) {
			long[] s = info(name).shape();
			Shape shape = new Shape(s);
			manager.getEngine().setRandomSeed(name.hashCode());
			NDArray v;
			if (s.length == 1) v = name.endsWith("weight") ? manager.randomUniform(0.9f, 1.1f, shape) : manager.randomUniform(-0.05f, 0.05f, shape);
			else {
				float lim = name.contains("embedding") ? 0.02f : (float) Math.sqrt(3.0 / (shape.size() / s[0]));
				v = manager.randomUniform(-lim, lim, shape);
			}
			if (target == null || target == DataType.FLOAT32) return v;
			NDArray c = v.toType(target, false);
			v.close();
			return c;
		}

		@Override
		public void close() {}
	}
}
