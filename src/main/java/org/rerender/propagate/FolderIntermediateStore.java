package org.rerender.propagate;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.rerender.engine.FileNames;
import org.rerender.engine.RerenderException;
import org.rerender.image.FloatImage;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.synth.SynthesisResult;
import org.rerender.work.AtomicFiles;

/**
 * Per-direction syntheses on disk: {@code DIR/fwd|bwd/NNNN.png} (lossless) and {@code NNNN.err}
 * (big-endian int width, int height, then width·height float32 errors). Written atomically; an
 * unreadable or mismatching pair counts as absent and is synthesised again.
 */
public final class FolderIntermediateStore implements IntermediateStore {
	private final Path dir;
	private final String pattern;

	public FolderIntermediateStore(Path dir, String pattern) {
		this.dir = dir;
		this.pattern = pattern;
	}

	private Path image(boolean forward, int frame) {
		return dir.resolve(forward ? "fwd" : "bwd").resolve(String.format(pattern, frame));
	}

	private static Path errPath(Path img) {
		return img.resolveSibling(FileNames.stemOfName(img.getFileName().toString()) + ".err");
	}

	@Override
	public SynthesisResult load(boolean forward, int frame) {
		Path img = image(forward, frame), err = errPath(img);
		if (!Files.exists(img) || !Files.exists(err)) return null;
		try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(err)))) {
			Rgb8Image image = FolderFrames.read(img);
			int w = in.readInt(), h = in.readInt();
			if (w != image.width() || h != image.height()) return null;
			float[] e = new float[w * h];
			for (int i = 0; i < e.length; i++) e[i] = in.readFloat();
			return new SynthesisResult(image, new FloatImage(w, h, 1, e));
		}
		catch (IOException | RerenderException e) {
			return null; // unreadable: synthesise again
		}
	}

	@Override
	public void save(boolean forward, int frame, SynthesisResult result) {
		Path img = image(forward, frame), err = errPath(img);
		try {
			Files.createDirectories(err.getParent());
			FloatImage e = result.error();
			AtomicFiles.writeStream(err, o -> {
				DataOutputStream out = new DataOutputStream(o);
				out.writeInt(e.width());
				out.writeInt(e.height());
				for (float v : e.data()) out.writeFloat(v);
				out.flush();
			});
		}
		catch (IOException ex) {
			throw new RerenderException("Cannot write " + err + ": " + ex.getMessage(), ex);
		}
		FolderFrames.write(result.image(), img);
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
