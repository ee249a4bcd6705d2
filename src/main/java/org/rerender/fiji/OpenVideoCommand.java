package org.rerender.fiji;

import java.io.File;

import ij.ImagePlus;
import ij.ImageStack;
import ij.measure.Calibration;

import org.rerender.engine.RerenderException;
import org.rerender.video.FramePreparation;
import org.rerender.video.VideoInfo;
import org.rerender.video.VideoReader;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

/** Opens a video as an RGB stack (one time point per frame), optionally cropped and resized (§1.1). */
@Plugin(type = Command.class, menuPath = "Plugins>Rerender>Open Video", label = "Open Video")
public class OpenVideoCommand extends EngineCommand {

	@Parameter(label = "Video file", description = "mp4, mov, avi, mpg, webm, mkv ... (anything FFmpeg reads), or a folder of numbered frames (PNG, JPEG, TIFF or BMP);"
			+ " a folder's path can also be typed or pasted",
		style = FileWidget.FILE_AND_DIRECTORY_STYLE, persist = false)
	private File file;

	@Parameter(label = "Frame rate of a frame folder", min = "0.001", max = "1000", required = false, persist = false,
		description = "Frames per second when the file is a folder of numbered frames (frame_0001.png ...); a video keeps its own.")
	private double fps = org.rerender.video.ImageSequence.DEFAULT_FPS;

	@Parameter(label = "Crop left", description = "Pixels removed from the left edge", min = "0", max = "100000")
	private int crop_left = 0;

	@Parameter(label = "Crop right", description = "Pixels removed from the right edge", min = "0", max = "100000")
	private int crop_right = 0;

	@Parameter(label = "Crop top", description = "Pixels removed from the top edge", min = "0", max = "100000")
	private int crop_top = 0;

	@Parameter(label = "Crop bottom", description = "Pixels removed from the bottom edge", min = "0", max = "100000")
	private int crop_bottom = 0;

	@Parameter(label = "Resolution (long side)", min = "0", max = org.rerender.config.RerenderConfig.MAX_IMAGE_RESOLUTION_TEXT, stepSize = "64",
		description = "Long side after resizing; sides are rounded to multiples of 64 (Rerender's frame rule). 0 keeps the size.")
	private int resolution = 0;

	@Parameter(type = ItemIO.OUTPUT, label = "Video")
	private ImagePlus image;

	@Parameter
	private RerenderService rerender;

	@Override
	protected void execute() {
		FramePreparation prep = new FramePreparation(crop_left, crop_right, crop_top, crop_bottom, resolution);
		ImageStack[] stack = { null };
		try {
			VideoInfo info = VideoReader.forEachFrame(file.toPath(), fps, (i, frame) -> {
				var prepared = prep.apply(frame);
				if (stack[0] == null) stack[0] = new ImageStack(prepared.width(), prepared.height());
				stack[0].addSlice(String.format("frame %04d", i), ImageConversions.toProcessor(prepared));
			}, rerender.progress(), cancelToken);
			if (stack[0] == null) throw new RerenderException("No frames could be read from " + file + ".");
			image = ImageFrames.newImage(file.getName(), stack[0]); // "clip.mp4-1" when the clip is open already
			image.setDimensions(1, 1, stack[0].getSize()); // the frames really read (the container's count may differ)
			describe(image, info);
		}
		finally {
			rerender.done();
		}
	}

	/** Frame rate in the calibration; source, frame count, fps, codec, audio in the info and properties. */
	static void describe(ImagePlus imp, VideoInfo info) {
		Calibration cal = imp.getCalibration();
		cal.fps = info.fps();
		cal.frameInterval = 1 / info.fps();
		cal.setTimeUnit("s");
		imp.setProp("rerender.fps", info.fps());
		imp.setProp("rerender.frame_count", info.frameCount());
		imp.setProp("rerender.codec", info.codec());
		imp.setProp("rerender.has_audio", String.valueOf(info.hasAudio()));
		imp.setProperty("Info", "Video: " + info + "\nSource size: " + info.width() + "x" + info.height()
			+ "\nFrames: " + info.frameCount() + "\nFPS: " + info.fps() + "\nCodec: " + info.codec()
			+ "\nAudio: " + (info.hasAudio() ? "yes" : "no") + "\n");
	}
}
