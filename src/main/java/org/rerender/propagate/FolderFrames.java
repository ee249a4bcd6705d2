package org.rerender.propagate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.rerender.engine.RerenderException;
import org.rerender.image.Png;
import org.rerender.image.Rgb8Image;
import org.rerender.propagate.synth.SynthesisResult;
import org.rerender.work.AtomicFiles;

/**
 * Propagation on a folder, in the layout of the original's standalone blending script:
 * {@code BASE/<input>/0001.png…} input frames, {@code BASE/<keys>/NNNN.png} stylised key frames,
 * {@code BASE/<output>/NNNN.png} output frames (same numbers), {@code BASE/<tmp>/fwd|bwd/NNNN.png}
 * + {@code .err} the per-direction syntheses. Frame index = file number. Files are written to a
 * hidden temporary name and renamed ({@link AtomicFiles}), so a killed run leaves no half-written
 * frame, only temporaries that never count as results; finished output frames
 * and stored syntheses are not redone (resume).
 */
public final class FolderFrames implements FrameSource, FrameSink, IntermediateStore {
	private final Path inputDir, keyDir, outputDir;
	private final String pattern;
	private final int frameCount;
	private final FolderIntermediateStore intermediates;

	/**
	 * @param pattern file name format of one frame, e.g. {@code "%04d.png"}
	 */
	public FolderFrames(Path inputDir, Path keyDir, Path outputDir, Path tmpDir, String pattern) {
		this.inputDir = inputDir;
		this.keyDir = keyDir;
		this.outputDir = outputDir;
		this.pattern = pattern;
		this.intermediates = new FolderIntermediateStore(tmpDir, pattern);
		if (!Files.isDirectory(inputDir)) throw new RerenderException("Input frame folder not found: " + inputDir);
		if (!Files.isDirectory(keyDir)) throw new RerenderException("Key frame folder not found: " + keyDir);
		int last = -1;
		for (int i = 0; i < 2 || Files.exists(inputDir.resolve(name(i))); i++)
			if (Files.exists(inputDir.resolve(name(i)))) last = i;
		if (last < 0) throw new RerenderException("No input frames named like " + name(1) + " in " + inputDir);
		this.frameCount = last + 1;
	}

	/** The original script's layout under {@code base}: video/, KEY/, blend/, tmp/ with 0001.png… names. */
	public static FolderFrames standalone(Path base, String keySubdir) {
		return new FolderFrames(base.resolve("video"), base.resolve(keySubdir), base.resolve("blend"), base.resolve("tmp"), "%04d.png");
	}

	String name(int index) {
		return String.format(pattern, index);
	}

	/** One past the highest input frame number. */
	@Override
	public int frameCount() {
		return frameCount;
	}

	/** The lowest input frame number present (0 or 1). */
	public int firstFrame() {
		return Files.exists(inputDir.resolve(name(0))) ? 0 : 1;
	}

	@Override
	public Rgb8Image frame(int index) {
		Path p = inputDir.resolve(name(index));
		if (!Files.exists(p)) throw new RerenderException("Input frame missing: " + p);
		return read(p);
	}

	@Override
	public String keyName(int index) {
		return "Key frame " + keyDir.resolve(name(index));
	}

	@Override
	public Rgb8Image key(int index) {
		Path p = keyDir.resolve(name(index));
		return Files.exists(p) ? read(p) : null;
	}

	@Override
	public void put(int index, Rgb8Image frame) {
		write(frame, outputDir.resolve(name(index)));
	}

	@Override
	public boolean has(int index) {
		return Files.exists(outputDir.resolve(name(index)));
	}

	@Override
	public SynthesisResult load(boolean forward, int frame, String request) {
		return intermediates.load(forward, frame, request);
	}

	@Override
	public void save(boolean forward, int frame, String request, SynthesisResult result) {
		intermediates.save(forward, frame, request, result);
	}

	/** Deletes the temporary syntheses folder. */
	public void deleteTemporaries() {
		intermediates.delete();
	}

	public Path outputDir() {
		return outputDir;
	}

	/** Reads an image file (PNG, JPEG, TIFF, BMP; grey scaled to 8 bits) as RGB, through {@link Png#read}. */
	public static Rgb8Image read(Path p) {
		try {
			return Png.read(p);
		}
		catch (IOException e) {
			throw new RerenderException("Cannot read image " + p + ": " + e.getMessage(), e);
		}
	}

	/**
	 * Writes a PNG atomically through {@link AtomicFiles}: a hidden {@code .NAME.<random>.tmp} beside it, renamed
	 * into place (a killed run leaves only such a file, which work-folder steps never count and delete).
	 */
	public static void write(Rgb8Image img, Path p) {
		try {
			Path parent = p.toAbsolutePath().getParent();
			if (parent != null) Files.createDirectories(parent);
			AtomicFiles.writeStream(p, out -> Png.write(img, out));
		}
		catch (IOException e) {
			throw new RerenderException("Cannot write image " + p + ": " + e.getMessage(), e);
		}
	}
}
