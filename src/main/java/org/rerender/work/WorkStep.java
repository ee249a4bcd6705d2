package org.rerender.work;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.rerender.engine.RerenderException;
import org.rerender.image.FloatImage;
import org.rerender.image.Png;
import org.rerender.image.Rgb8Image;

/**
 * One step folder of a {@link WorkFolder} (e.g. {@code frames/}): per-frame files named {@code 0000.png},
 * {@code 0001.png}, ... (4 digits, more when needed), written atomically.
 * <p>
 * Float images (flow: 2 channels, masks: 1) use the {@code .f32} format: the 4 ASCII bytes {@code RRF1}, then
 * width, height, channels as little-endian int32, then width·height·channels little-endian float32 values,
 * interleaved row-major (HWC) like {@link FloatImage}.
 */
public final class WorkStep {

	public static final String PNG = "png", F32 = "f32";
	private static final byte[] MAGIC = { 'R', 'R', 'F', '1' };

	private final WorkFolder folder;
	private final String name;
	private final Path dir;
	private final String hash;

	WorkStep(WorkFolder folder, String name, Path dir, String hash) {
		this.folder = folder;
		this.name = name;
		this.dir = dir;
		this.hash = hash;
	}

	public String name() { return name; }
	public Path dir() { return dir; }
	/** This step's stamp; pass the step as upstream to steps that read it. */
	public String hash() { return hash; }

	/** {@code 0007.png} etc. */
	public static String fileName(int index, String ext) {
		if (index < 0) throw new IllegalArgumentException("negative frame index " + index);
		return String.format("%04d.%s", index, ext);
	}

	public Path file(int index, String ext) {
		return dir.resolve(fileName(index, ext));
	}

	/** Whether frame {@code index}'s file is finished (temporary files never count). */
	public boolean has(int index, String ext) {
		return Files.isRegularFile(file(index, ext));
	}

	/** Indices of the finished files with this extension. */
	public SortedSet<Integer> indices(String ext) {
		SortedSet<Integer> out = new TreeSet<>();
		String suffix = "." + ext;
		try {
			for (Path p : listResults(dir)) {
				String n = p.getFileName().toString();
				if (n.endsWith(suffix) && n.substring(0, n.length() - suffix.length()).matches("\\d{4,}"))
					out.add(Integer.parseInt(n.substring(0, n.length() - suffix.length())));
			}
		}
		catch (IOException e) {
			throw new RerenderException("Cannot list " + dir + ": " + e, e);
		}
		return out;
	}

	public void writePng(int index, Rgb8Image img) {
		Path f = file(index, PNG);
		try {
			AtomicFiles.writeStream(f, out -> Png.write(img, out));
		}
		catch (IOException e) {
			throw new RerenderException("Cannot write " + f + ": " + e, e);
		}
	}

	public Rgb8Image readPng(int index) {
		Path f = file(index, PNG);
		try {
			return Png.read(f);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot read " + f + ": " + e, e);
		}
	}

	public void writeFloat(int index, FloatImage img) {
		Path f = file(index, F32);
		try {
			AtomicFiles.writeStream(f, out -> {
				ByteBuffer head = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
				head.put(MAGIC).putInt(img.width()).putInt(img.height()).putInt(img.channels());
				out.write(head.array());
				float[] d = img.data();
				ByteBuffer buf = ByteBuffer.allocate(4 * 8192).order(ByteOrder.LITTLE_ENDIAN);
				for (int i = 0; i < d.length; ) {
					buf.clear();
					int n = Math.min(8192, d.length - i);
					buf.asFloatBuffer().put(d, i, n);
					out.write(buf.array(), 0, 4 * n);
					i += n;
				}
			});
		}
		catch (IOException e) {
			throw new RerenderException("Cannot write " + f + ": " + e, e);
		}
	}

	public FloatImage readFloat(int index) {
		Path f = file(index, F32);
		try (InputStream in = Files.newInputStream(f); DataInputStream din = new DataInputStream(in)) {
			byte[] head = new byte[16];
			din.readFully(head);
			ByteBuffer h = ByteBuffer.wrap(head).order(ByteOrder.LITTLE_ENDIAN);
			byte[] magic = new byte[4];
			h.get(magic);
			if (!java.util.Arrays.equals(magic, MAGIC)) throw new IOException("not an RRF1 float image");
			int w = h.getInt(), ht = h.getInt(), c = h.getInt();
			byte[] body = new byte[Math.multiplyExact(4, Math.multiplyExact(w, Math.multiplyExact(ht, c)))];
			din.readFully(body);
			float[] data = new float[body.length / 4];
			ByteBuffer.wrap(body).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
			return new FloatImage(w, ht, c, data);
		}
		catch (IOException | RuntimeException e) {
			throw new RerenderException("Cannot read " + f + ": " + e, e);
		}
	}

	/** Writes any file of this step atomically; {@code fileName} is relative to the step folder. */
	public Path write(String fileName, AtomicFiles.PathWriter writer) {
		Path f = dir.resolve(fileName);
		try {
			AtomicFiles.write(f, writer);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot write " + f + ": " + e, e);
		}
		return f;
	}

	/** Records that the step finished with {@code count} files. */
	public void markComplete(int count) {
		folder.markComplete(name, count);
	}

	/** Whether {@link #markComplete} was called since the step was (re)started with these settings. */
	public boolean isComplete() {
		return folder.isComplete(name);
	}

	/** The count given to {@link #markComplete}, or -1. */
	public int completeCount() {
		return folder.completeCount(name);
	}

	// ---------------------------------------------------------------------------------------------------

	static List<Path> listResults(Path dir) throws IOException {
		if (!Files.isDirectory(dir)) return List.of();
		try (Stream<Path> s = Files.list(dir)) {
			return new ArrayList<>(s.filter(p -> !AtomicFiles.isTemp(p.getFileName().toString())).toList());
		}
	}

	static void removeTemps(Path dir) throws IOException {
		try (Stream<Path> s = Files.list(dir)) {
			for (Path p : s.filter(p -> AtomicFiles.isTemp(p.getFileName().toString())).toList())
				Files.deleteIfExists(p);
		}
	}

	/** Deletes everything inside a step folder (the folder itself stays). */
	static void clear(Path dir) throws IOException {
		if (!Files.isDirectory(dir)) return;
		try (Stream<Path> s = Files.walk(dir)) {
			List<Path> all = s.sorted(java.util.Comparator.reverseOrder()).toList();
			for (Path p : all)
				if (!p.equals(dir)) Files.deleteIfExists(p);
		}
	}
}
