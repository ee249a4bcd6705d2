package org.rerender.fiji;

import ij.ImagePlus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.rerender.image.Rgb8Image;
import org.rerender.pipeline.RerenderJob;
import org.rerender.propagate.FolderFrames;

/**
 * What a Rerender command publishes from a finished job: the key frames as a stack (frame 0 first; only frame 0 for
 * First Frame), the first frame's edge map when the work folder has one, and the output video's path ("" when the job
 * wrote none).
 */
record RerenderOutputs(ImagePlus keyFrames, ImagePlus edgeMap, String video) {

	/**
	 * Reads the outputs from the job's work folder. {@code inputFps} is the input's frame rate (0 = none known); the key
	 * frame stack gets it divided by {@code interval} (one key every {@code interval} frames).
	 */
	static RerenderOutputs of(RerenderJob.Result r, boolean firstFrameOnly, double inputFps, int interval) {
		List<Rgb8Image> keys = new ArrayList<>();
		keys.add(FolderFrames.read(r.workDir().resolve("keys/0000.png")));
		if (!firstFrameOnly)
			for (int k : r.keyFrames()) keys.add(FolderFrames.read(r.workDir().resolve(String.format("keys/%04d.png", k))));
		ImagePlus keyFrames = ImageFrames.output("Key frames", keys, null); // cropped and resized: no spatial calibration of the input's
		if (inputFps > 0) ImageFrames.setFps(keyFrames, inputFps / interval);
		Path edge = r.workDir().resolve("keys/edge_0000.png");
		ImagePlus edgeMap = Files.isRegularFile(edge) ? ImageFrames.output("First frame edge map", List.of(FolderFrames.read(edge)), null) : null;
		return new RerenderOutputs(keyFrames, edgeMap, r.video() == null ? "" : r.video().toString());
	}
}
