package org.rerender.video;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import org.rerender.engine.RerenderException;
import org.rerender.engine.Sha256;
import org.rerender.image.Png;
import org.rerender.image.Rgb8Image;

/**
 * A folder of numbered frames (PNG, JPEG, TIFF or BMP, e.g. {@code frame_0001.png …}) read as a video: frames in
 * the order of their numbers (frame_2 before frame_10), all of one size, at a frame rate given by the user
 * ({@link #DEFAULT_FPS} when none), without audio. Which files are frames: {@link #list}; the others are ignored
 * (said once in the log), hidden files (names starting with a dot) silently. JPEG frames are turned upright by their
 * EXIF orientation. {@link VideoReader} reads such a folder wherever it reads a file.
 */
public final class ImageSequence {

	/** The frame rate of a sequence when none is given (as Fiji's stacks without one: ImageFrames.DEFAULT_FPS). */
	public static final double DEFAULT_FPS = 30;

	/** The frame types, as messages name them. */
	static final String TYPES = "PNG, JPEG, TIFF or BMP";
	private static final Pattern IMAGE = Pattern.compile(".*\\.(png|jpe?g|tiff?|bmp)$", Pattern.CASE_INSENSITIVE);
	/** Folders (and their ignored files) already named in the log: a job opens its input several times. */
	private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();

	private final Path dir;
	private final List<Path> files;
	/** Per frame: how its JPEG EXIF orientation turns it upright ({@link ExifOrientation}). */
	private final List<DisplayMatrix.Orientation> orientations;
	private final int width, height;
	private final double fps;

	private ImageSequence(Path dir, List<Path> files, List<DisplayMatrix.Orientation> orientations, int width, int height, double fps) {
		this.dir = dir;
		this.files = files;
		this.orientations = orientations;
		this.width = width;
		this.height = height;
		this.fps = fps;
	}

	/** Whether {@code path} is a folder (read as an image sequence rather than as a video file). */
	public static boolean isSequence(Path path) {
		return path != null && Files.isDirectory(path);
	}

	/**
	 * Lists the frames of {@code dir} and checks that they all have one size (from the image headers, no decoding), the
	 * size they are shown at: a JPEG frame whose EXIF Orientation tag says it was stored sideways (phone photos) is
	 * turned upright as photo viewers show it, mirrored ones too ({@link ExifOrientation}).
	 *
	 * @param fps frames per second of the sequence, above 0 and at most {@link VideoWriter#MAX_FPS}
	 * @throws RerenderException for an empty folder, a folder without frames, an unreadable frame or one of another size
	 */
	public static ImageSequence open(Path dir, double fps) {
		VideoWriter.checkFps(fps, "the image sequence " + dir);
		List<Path> frames = list(dir);
		List<DisplayMatrix.Orientation> turns = new ArrayList<>(frames.size());
		int[] size0 = null;
		for (Path p : frames) {
			DisplayMatrix.Orientation o = orientation(p);
			turns.add(o);
			int[] s = size(p);
			if (o.rotation() % 180 != 0) s = new int[] {s[1], s[0]};
			if (size0 == null) size0 = s;
			else if (s[0] != size0[0] || s[1] != size0[1]) throw oddSize(p, s, frames.get(0), size0);
		}
		return new ImageSequence(dir, List.copyOf(frames), List.copyOf(turns), size0[0], size0[1], fps);
	}

	/**
	 * The frames of {@code dir} in order: its images (PNG, JPEG, TIFF, BMP; hidden files skipped) grouped by their
	 * names with the last run of digits and the extension taken out ({@code frame_0001.png} and {@code frame_12.jpg}
	 * are both {@code frame_#}); the group with the most files is the sequence, ordered by that number. The other
	 * files (other groups, unnumbered images, other types) are ignored and named once in the log, with any gaps in the
	 * numbering. Images none of which has a number in its name ({@code a.png, b.png}) are read in the order of their
	 * names (said in the log).
	 *
	 * @throws RerenderException for an empty folder, one without images, two groups of the same size (both named) or two
	 *         frames with one number ({@code frame_1.png}, {@code frame_01.jpg}: both named)
	 */
	public static List<Path> list(Path dir) {
		List<Path> all;
		try (Stream<Path> s = Files.list(dir)) {
			all = s.filter(p -> !p.getFileName().toString().startsWith(".")).toList();
		}
		catch (IOException e) {
			throw new RerenderException("Cannot list the image-sequence folder " + dir + ": " + e.getMessage(), e);
		}
		if (all.isEmpty())
			throw new RerenderException("The folder " + dir + " is empty: give a video file, or a folder of numbered frames"
				+ " (" + TYPES + ", e.g. frame_0001.png, frame_0002.png, …).");
		TreeSet<String> ignored = new TreeSet<>();
		Map<String, List<Numbered>> groups = new TreeMap<>();
		List<Path> unnumbered = new ArrayList<>();
		for (Path p : all) {
			String name = p.getFileName().toString();
			if (!isImageName(name) || !Files.isRegularFile(p)) {
				ignored.add(name);
				continue;
			}
			String stem = name.substring(0, name.lastIndexOf('.'));
			int end = stem.length();
			while (end > 0 && !digit(stem.charAt(end - 1))) end--;
			int start = end;
			while (start > 0 && digit(stem.charAt(start - 1))) start--;
			if (end == 0) unnumbered.add(p);
			else groups.computeIfAbsent(stem.substring(0, start) + "#" + stem.substring(end), k -> new ArrayList<>())
				.add(new Numbered(p, new BigInteger(stem.substring(start, end))));
		}
		if (groups.isEmpty() && unnumbered.isEmpty())
			throw new RerenderException("The folder " + dir + " holds no frames (" + TYPES + " images, e.g. frame_0001.png) and"
				+ " is not a video file: " + names(ignored));
		if (groups.isEmpty()) { // no name has a number (a.png, b.png): the images in the order of their names
			List<Path> byName = unnumbered.stream().sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
			log(dir, byName.size(), ignored, List.of(), byName.size() > 1 ? "; no name has a number: read in the order of the names" : "");
			return byName;
		}
		int most = groups.values().stream().mapToInt(List::size).max().orElseThrow();
		List<String> largest = groups.entrySet().stream().filter(e -> e.getValue().size() == most).map(Map.Entry::getKey).toList();
		if (largest.size() > 1)
			throw new RerenderException("The folder " + dir + " holds " + largest.size() + " image sequences of " + most
				+ " frame(s) each, named like " + String.join(", ", largest) + " (# = the frame number): keep one sequence per folder.");
		List<Numbered> chosen = new ArrayList<>(groups.get(largest.get(0)));
		chosen.sort(Comparator.comparing(Numbered::number).thenComparing(n -> n.file().getFileName().toString()));
		List<String> gaps = new ArrayList<>();
		for (int i = 1; i < chosen.size(); i++) {
			Numbered a = chosen.get(i - 1), b = chosen.get(i);
			if (a.number().equals(b.number()))
				throw new RerenderException("Two frames of the image sequence in " + dir + " have the number " + a.number() + ": "
					+ a.file().getFileName() + " and " + b.file().getFileName() + ": keep one of them.");
			BigInteger from = a.number().add(BigInteger.ONE), to = b.number().subtract(BigInteger.ONE);
			if (from.compareTo(to) < 0) gaps.add(from + "-" + to);
			else if (from.equals(to)) gaps.add(from.toString());
		}
		for (Map.Entry<String, List<Numbered>> g : groups.entrySet())
			if (!g.getKey().equals(largest.get(0))) for (Numbered n : g.getValue()) ignored.add(n.file().getFileName().toString());
		for (Path p : unnumbered) ignored.add(p.getFileName().toString());
		log(dir, chosen.size(), ignored, gaps, "");
		return chosen.stream().map(Numbered::file).toList();
	}

	/** Whether a file name has an image extension a sequence takes (PNG, JPEG, TIFF or BMP, any case). */
	private static boolean isImageName(String name) {
		return IMAGE.matcher(name).matches();
	}

	private record Numbered(Path file, BigInteger number) {}

	/** One log line per folder and content: the files left out and the gaps in the numbering. */
	private static void log(Path dir, int frames, Set<String> ignored, List<String> gaps, String more) {
		if (ignored.isEmpty() && gaps.isEmpty() && more.isEmpty()) return;
		String msg = "Image sequence " + dir + ": " + frames + " frames" + more
			+ (ignored.isEmpty() ? "" : "; ignored " + ignored.size() + " other file(s): " + names(ignored))
			+ (gaps.isEmpty() ? "" : "; numbers missing: " + String.join(", ", gaps.subList(0, Math.min(5, gaps.size())))
				+ (gaps.size() > 5 ? ", …" : "") + " (the frames around a gap are read as neighbours)");
		if (LOGGED.add(dir.toAbsolutePath().normalize() + "\n" + msg))
			System.getLogger(ImageSequence.class.getName()).log(System.Logger.Level.INFO, msg);
	}

	/** The same frames (no new listing) at another frame rate, above 0 and at most {@link VideoWriter#MAX_FPS}. */
	public ImageSequence withFps(double fps) {
		VideoWriter.checkFps(fps, "the image sequence " + dir);
		return fps == this.fps ? this : new ImageSequence(dir, files, orientations, width, height, fps);
	}

	/** The folder. */
	public Path dir() { return dir; }
	public int size() { return files.size(); }
	public int width() { return width; }
	public int height() { return height; }
	public double fps() { return fps; }

	/** The codec name {@link VideoInfo} reports: the frames' file types, e.g. {@code png} or {@code jpeg+png}. */
	public String codec() {
		TreeSet<String> types = new TreeSet<>();
		for (Path p : files) {
			String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
			String ext = n.substring(n.lastIndexOf('.') + 1);
			types.add(switch (ext) { case "jpg", "jpeg" -> "jpeg"; case "tif", "tiff" -> "tiff"; default -> ext; });
		}
		return String.join("+", types);
	}

	/** What the folder holds as a video: its size, frame count, the given frame rate, no audio. */
	public VideoInfo info() {
		return new VideoInfo(width, height, fps, files.size(), false, codec(), "image sequence");
	}

	/** Frame {@code i} (0-based) in RGB order, upright (its EXIF orientation applied). */
	public Rgb8Image read(int i) {
		Path p = files.get(i);
		Rgb8Image f;
		try {
			f = orientations.get(i).apply(Png.read(p));
		}
		catch (IOException | RuntimeException e) {
			throw new RerenderException("Cannot read frame " + p.getFileName() + " of the image sequence " + dir + ": " + e.getMessage(), e);
		}
		if (f.width() != width || f.height() != height) throw oddSize(p, new int[] {f.width(), f.height()}, files.get(0), new int[] {width, height});
		return f;
	}

	/**
	 * "sha256:…" of the frames: each frame's name, size and bytes in order (other files do not count), so a changed,
	 * added, removed or renamed frame changes it. A work folder records it as its input's hash. Frames turned by
	 * their EXIF orientation add a mark, so that work folders made before orientations were applied are not resumed
	 * with sideways frames (sequences without such frames keep their hash).
	 */
	public String sha256() {
		MessageDigest md = Sha256.digest();
		md.update("image-sequence\n".getBytes(StandardCharsets.UTF_8));
		if (orientations.stream().anyMatch(o -> !o.equals(DisplayMatrix.Orientation.NONE)))
			md.update("exif-orientation\n".getBytes(StandardCharsets.UTF_8));
		for (Path p : files) {
			try {
				md.update((p.getFileName() + "\n" + Files.size(p) + "\n").getBytes(StandardCharsets.UTF_8));
				Sha256.update(md, p);
			}
			catch (IOException e) {
				throw new RerenderException("Cannot read the frame " + p + ": " + e.getMessage(), e);
			}
		}
		return Sha256.tagged(md);
	}

	private static boolean digit(char c) {
		return c >= '0' && c <= '9';
	}

	/** How the frame's EXIF orientation turns it upright (none for other types than JPEG). */
	private static DisplayMatrix.Orientation orientation(Path p) {
		try {
			return ExifOrientation.orientation(ExifOrientation.read(p));
		}
		catch (IOException e) {
			throw new RerenderException("Cannot read the image " + p + ": " + e.getMessage(), e);
		}
	}

	/** Width and height from the image's header (as stored, before any EXIF orientation). */
	private static int[] size(Path p) {
		try (ImageInputStream in = ImageIO.createImageInputStream(p.toFile())) {
			Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
			if (readers == null || !readers.hasNext()) throw new RerenderException("Not a readable image: " + p
				+ " (frames of an image sequence must be PNG, JPEG, TIFF or BMP files)");
			ImageReader r = readers.next();
			try {
				r.setInput(in, false, true);
				if (r.getFormatName().toLowerCase(Locale.ROOT).contains("tif") && r.getNumImages(true) > 1)
					throw new RerenderException("The frame " + p.getFileName() + " is a multi-page TIFF (" + r.getNumImages(false)
						+ " images): each frame of an image sequence must be one image. Open it as a stack in Fiji, or save its"
						+ " pages as single images (Fiji: File > Save As > Image Sequence) (" + p.getParent() + ").");
				return new int[] {r.getWidth(0), r.getHeight(0)};
			}
			finally {
				r.dispose();
			}
		}
		catch (IOException e) {
			throw new RerenderException("Cannot read the image " + p + ": " + e.getMessage(), e);
		}
	}

	private static RerenderException oddSize(Path p, int[] s, Path first, int[] s0) {
		return new RerenderException("The frame " + p.getFileName() + " is " + s[0] + "x" + s[1] + " but the first frame "
			+ first.getFileName() + " is " + s0[0] + "x" + s0[1] + ": all frames of an image sequence must have one size (" + p.getParent() + ").");
	}

	private static String names(Set<String> names) {
		return String.join(", ", names.stream().limit(5).toList()) + (names.size() > 5 ? ", …" : "");
	}
}
