package org.rerender.propagate;

import java.util.List;
import java.util.Map;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;

/**
 * Where propagation reads its inputs: the original frames and the stylised key frames, by frame
 * index. Implementations must be thread-safe (sequences read in parallel).
 */
public interface FrameSource {

	/** The input frame {@code index}. */
	Rgb8Image frame(int index);

	/** The stylised key frame {@code index}, or null when there is none. */
	Rgb8Image key(int index);

	/** Number of input frames (indices 0 … count−1). */
	int frameCount();

	/** How messages name key frame {@code index} to the user (a folder source: its file). */
	default String keyName(int index) {
		return "Key frame " + index + " (frame " + (index + 1) + " counting from 1)";
	}

	/** In-memory frames (index = list position) and key frames. */
	static FrameSource of(List<Rgb8Image> frames, Map<Integer, Rgb8Image> keys) {
		if (frames == null || frames.isEmpty()) throw new RerenderException("No input frames were given.");
		List<Rgb8Image> f = List.copyOf(frames);
		Map<Integer, Rgb8Image> k = Map.copyOf(keys);
		return new FrameSource() {
			@Override
			public Rgb8Image frame(int index) {
				if (index < 0 || index >= f.size()) throw new RerenderException("Frame " + index + " does not exist (the clip has " + f.size() + " frames).");
				return f.get(index);
			}

			@Override
			public Rgb8Image key(int index) {
				return k.get(index);
			}

			@Override
			public int frameCount() {
				return f.size();
			}
		};
	}
}
