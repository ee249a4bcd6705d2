package org.rerender.propagate;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.rerender.engine.FileNames;
import org.rerender.engine.RerenderException;
import org.rerender.engine.Sha256;
import org.rerender.image.FloatImage;
import org.rerender.image.Png;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.synth.SynthesisResult;
import org.rerender.work.AtomicFiles;

/**
 * Per-direction syntheses on disk: {@code DIR/fwd|bwd/NNNN.png} (lossless) and {@code NNNN.err}: the
 * 4 bytes {@code RRS2}, the request digest and the SHA-256 of the PNG file (each as Java's modified
 * UTF-8: a 2-byte length, then the text), then big-endian int width, int height and width·height
 * float32 errors. Both files are written atomically, the PNG first: the {@code .err} file is the
 * record that binds the image to its request. A pair that is missing, unreadable, of another request,
 * or whose PNG is not the one its record names counts as absent and is synthesised again (logged once
 * per store).
 */
public final class FolderIntermediateStore implements IntermediateStore {
	private static final System.Logger LOG = System.getLogger(FolderIntermediateStore.class.getName());
	private static final byte[] MAGIC = {'R', 'R', 'S', '2'};

	private final Path dir;
	private final String pattern;
	private final AtomicBoolean loggedStale = new AtomicBoolean();

	public FolderIntermediateStore(Path dir, String pattern) {
		this.dir = dir;
		this.pattern = pattern;
	}

	public Path dir() {
		return dir;
	}

	private Path image(boolean forward, int frame) {
		return dir.resolve(forward ? "fwd" : "bwd").resolve(String.format(pattern, frame));
	}

	private static Path errPath(Path img) {
		return img.resolveSibling(FileNames.stemOfName(img.getFileName().toString()) + ".err");
	}

	@Override
	public SynthesisResult load(boolean forward, int frame, String request) {
		Path img = image(forward, frame), err = errPath(img);
		if (!Files.exists(img) || !Files.exists(err)) return null;
		try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(err)))) {
			byte[] magic = new byte[MAGIC.length];
			in.readFully(magic);
			if (!Arrays.equals(magic, MAGIC)) return stale(img, "of an older format");
			if (!in.readUTF().equals(request)) return stale(img, "made from other key frames, frames, flow or settings");
			String pngHash = in.readUTF();
			byte[] png = Files.readAllBytes(img);
			if (!Sha256.hex(Sha256.digest().digest(png)).equals(pngHash)) return stale(img, "not the image their record names");
			var bi = ImageIO.read(new ByteArrayInputStream(png));
			if (bi == null) return null;
			Rgb8Image image = Png.fromBufferedImage(bi);
			int w = in.readInt(), h = in.readInt();
			if (w != image.width() || h != image.height()) return null;
			float[] e = new float[w * h];
			for (int i = 0; i < e.length; i++) e[i] = in.readFloat();
			return new SynthesisResult(image, new FloatImage(w, h, 1, e));
		}
		catch (IOException | RuntimeException e) {
			return null; // unreadable: synthesise again
		}
	}

	private SynthesisResult stale(Path example, String why) {
		if (loggedStale.compareAndSet(false, true))
			LOG.log(System.Logger.Level.INFO, "Stored syntheses in " + dir + " (e.g. " + dir.relativize(example) + ") are " + why
				+ ": they are synthesised again");
		return null;
	}

	@Override
	public void save(boolean forward, int frame, String request, SynthesisResult result) {
		Path img = image(forward, frame), err = errPath(img);
		try {
			Files.createDirectories(err.getParent());
			ByteArrayOutputStream png = new ByteArrayOutputStream();
			Png.write(result.image(), png);
			byte[] bytes = png.toByteArray();
			String pngHash = Sha256.hex(Sha256.digest().digest(bytes));
			AtomicFiles.writeStream(img, o -> o.write(bytes)); // first the image, then the record naming it
			FloatImage e = result.error();
			AtomicFiles.writeStream(err, o -> {
				DataOutputStream out = new DataOutputStream(o);
				out.write(MAGIC);
				out.writeUTF(request);
				out.writeUTF(pngHash);
				out.writeInt(e.width());
				out.writeInt(e.height());
				for (float v : e.data()) out.writeFloat(v);
				out.flush();
			});
		}
		catch (IOException ex) {
			throw new RerenderException("Cannot write " + img + " / " + err.getFileName() + ": " + ex.getMessage(), ex);
		}
	}

	/** Deletes the folder and everything in it. */
	public void delete() {
		if (!Files.exists(dir)) return;
		try (Stream<Path> s = Files.walk(dir)) {
			for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot delete temporary folder " + dir + ": " + e.getMessage(), e);
		}
	}
}
