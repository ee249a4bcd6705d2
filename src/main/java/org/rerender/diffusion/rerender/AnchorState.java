package org.rerender.diffusion.rerender;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import org.rerender.diffusion.constraints.AdaIn;
import org.rerender.engine.RerenderException;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.SafetensorsWriter;
import org.rerender.model.io.TensorDType;

/**
 * The anchor ("first frame") state that every key frame is constrained to (rerender-algorithm.md §1 step 2):
 * per step its predicted clean latent x̂0 and that latent's AdaIN statistics, the decoder self-attention inputs
 * of the cross-attention window, its decoded float output (unclamped, VAE units [−1, 1], HWC) and its RGB input.
 * Owns a manager of its own; {@link #close()} frees everything. {@link #save}/{@link #load} persist it in the
 * work folder so a later key-frame run can resume without re-translating frame 0.
 */
public final class AnchorState implements AutoCloseable {
	static final String FORMAT = "rerender-anchor-1";

	private final NDManager manager;
	private final NDArray[] predX0;
	private final AdaIn.Stats[] stats;
	private final AttentionStore attention;
	private final FloatImage decoded;
	private final Rgb8Image frame;
	private final boolean loose;

	AnchorState(NDManager manager, NDArray[] predX0, AdaIn.Stats[] stats, AttentionStore attention, FloatImage decoded,
		Rgb8Image frame, boolean loose)
	{
		this.manager = manager;
		this.predX0 = predX0;
		this.stats = stats;
		this.attention = attention;
		this.decoded = decoded;
		this.frame = frame;
		this.loose = loose;
	}

	/** S, the number of steps recorded. */
	public int steps() {
		return predX0.length;
	}

	/** x̂0 of step i, {@code [1, 4, h, w]} F32 (owned by the state). */
	public NDArray predX0(int step) {
		return predX0[step];
	}

	/** AdaIN statistics of step i's x̂0: mean and sqrt(unbiased var + 1e-5), each {@code [1, 4, 1, 1]}. */
	public AdaIn.Stats stats(int step) {
		return stats[step];
	}

	/** The decoder self-attention inputs ("first"), owned by the state. */
	public AttentionStore attention() {
		return attention;
	}

	/** Decoded output, unclamped, VAE units, HWC 3 channels. */
	public FloatImage decoded() {
		return decoded;
	}

	public Rgb8Image frame() {
		return frame;
	}

	/** Whether the attention store was recorded in loose mode (without the 4·mc-channel layers). */
	public boolean loose() {
		return loose;
	}

	/** Checks that this state can constrain a key frame with {@code s}; throws a user-facing error if not. */
	public void checkCompatible(KeyFrameSettings s, int width, int height) {
		String why = null;
		if (s.steps() != steps()) why = "it was made with " + steps() + " sampling steps, the key frames use " + s.steps();
		else if (width != frame.width() || height != frame.height())
			why = "it is " + frame.width() + "x" + frame.height() + ", the key frames are " + width + "x" + height;
		else if (loose && !s.looseCrossAttention() && !s.crossSteps().isEmpty())
			why = "it was recorded with loose cross-frame attention (without the widest layers)";
		else
			for (int step : s.crossSteps())
				if (attention.entries().keySet().stream().noneMatch(k -> k.step() == step)) {
					why = "it holds no attention inputs for step " + step + " (cross_period changed)";
					break;
				}
		if (why != null)
			throw new RerenderException("The saved first-frame state does not fit these settings: " + why
				+ ". Run the first frame again with the current settings.");
	}

	/** Writes the state to a safetensors file (atomically). */
	public void save(Path file) {
		SafetensorsWriter w = new SafetensorsWriter().metadata("format", FORMAT).metadata("steps", Integer.toString(steps()))
			.metadata("loose", Boolean.toString(loose));
		for (int i = 0; i < steps(); i++) {
			addF32(w, String.format("x0.%03d", i), predX0[i]);
			addF32(w, String.format("ada.mean.%03d", i), stats[i].mean());
			addF32(w, String.format("ada.std.%03d", i), stats[i].std());
		}
		attention.writeTo(w, "attn");
		w.addF32("decoded", new long[] {decoded.height(), decoded.width(), 3}, decoded.data());
		w.add("frame", TensorDType.U8, new long[] {frame.height(), frame.width(), 3}, frame.data());
		w.write(file);
	}

	private static void addF32(SafetensorsWriter w, String name, NDArray a) {
		w.addF32(name, a.getShape().getShape(), a.toType(DataType.FLOAT32, false).toFloatArray());
	}

	/**
	 * Reads a state written by {@link #save}.
	 * @param parent the state gets a sub-manager of it (its device is used)
	 * @param storage the attention store's element type (F16 on a GPU)
	 */
	public static AnchorState load(Path file, NDManager parent, DataType storage) {
		return load(file, parent, storage, parent.getDevice());
	}

	/** As {@link #load(Path, NDManager, DataType)}, with the attention store's entries on {@code storeDevice}. */
	public static AnchorState load(Path file, NDManager parent, DataType storage, Device storeDevice) {
		try (SafetensorsFile f = SafetensorsFile.open(file)) {
			if (!FORMAT.equals(f.metadata().get("format")))
				throw new RerenderException(file + " is not a saved first-frame state (" + FORMAT + ")");
			int steps = Integer.parseInt(f.metadata().get("steps"));
			boolean loose = Boolean.parseBoolean(f.metadata().get("loose"));
			NDManager m = parent.newSubManager();
			try {
				NDArray[] x0 = new NDArray[steps];
				AdaIn.Stats[] st = new AdaIn.Stats[steps];
				for (int i = 0; i < steps; i++) {
					x0[i] = f.toNDArray(m, String.format("x0.%03d", i), DataType.FLOAT32);
					st[i] = new AdaIn.Stats(f.toNDArray(m, String.format("ada.mean.%03d", i), DataType.FLOAT32),
						f.toNDArray(m, String.format("ada.std.%03d", i), DataType.FLOAT32));
				}
				AttentionStore store = new AttentionStore(m, storage, storeDevice);
				store.readFrom(f, "attn");
				long[] ds = f.info("decoded").shape();
				FloatImage decoded = new FloatImage((int) ds[1], (int) ds[0], 3, f.floats("decoded"));
				Rgb8Image frame = new Rgb8Image((int) ds[1], (int) ds[0], f.bytes("frame"));
				return new AnchorState(m, x0, st, store, decoded, frame, loose);
			}
			catch (RuntimeException e) {
				m.close();
				throw e;
			}
		}
	}

	@Override
	public void close() {
		attention.close();
		manager.close();
	}
}
