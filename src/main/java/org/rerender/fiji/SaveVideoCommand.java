package org.rerender.fiji;

import java.io.File;

import ij.ImagePlus;

import org.rerender.engine.RerenderException;
import org.rerender.video.VideoWriter;
import org.scijava.ItemIO;
import org.scijava.command.Command;
import org.scijava.plugin.Parameter;
import org.scijava.plugin.Plugin;
import org.scijava.widget.FileWidget;

/** Saves a stack as an H.264 mp4, optionally carrying the audio of another file. */
@Plugin(type = Command.class, menuPath = "Plugins>Rerender>Save Video", label = "Save Video", headless = true)
public class SaveVideoCommand extends EngineCommand {

	@Parameter(label = "Stack", description = "The frames (any type; non-RGB stacks use their display range)")
	private ImagePlus image;

	@Parameter(label = "Output file", description = "The .mp4 file to write (H.264)",
		style = FileWidget.SAVE_STYLE, persist = false)
	private File output_file;

	@Parameter(label = "Replace an existing output file", persist = false, // remembered, it would replace files unasked
		description = "Off: an existing output file is refused; on: it is replaced (atomically, once the new video is complete).")
	private boolean overwrite = false;

	@Parameter(label = "Frames per second", min = "0", max = "1000", stepSize = "0.01", persist = false, // not remembered: 0 = the stack's
		description = "0 = the stack's own frame rate (Image > Properties: frame rate or frame interval), else " + ImageFrames.DEFAULT_FPS)
	private double fps = 0;

	@Parameter(label = "Audio source", required = false, style = FileWidget.OPEN_STYLE, persist = false,
		description = "Optional video/audio file whose audio track is carried into the output (cut to its length)")
	private File audio_source;

	@Parameter(type = ItemIO.OUTPUT, label = "Result")
	private String result;

	@Parameter
	private RerenderService rerender;

	@Override
	protected void execute() {
		if (image == null || image.getStackSize() == 0 || image.getWidth() == 0) throw new RerenderException("No stack to save");
		ImageFrames.checkEncodable(image.getWidth(), image.getHeight(), "\"" + image.getTitle() + "\"");
		if (output_file == null || output_file.getPath().isBlank()) throw new RerenderException("No output file was given.");
		OutputFiles.checkReplaceable(output_file.toPath(), overwrite);
		double rate = fps > 0 ? fps : ImageFrames.fps(image, ImageFrames.DEFAULT_FPS); // the calibration's fps or frame interval
		File audio = audio_source == null || audio_source.getPath().isEmpty() ? null : audio_source;
		try {
			VideoWriter.Result r = VideoWriter.write(output_file.toPath(), ImageFrames.frames(image), rate,
				audio == null ? null : audio.toPath(), rerender.progress(), cancelToken);
			result = "Wrote " + r.frames() + " frames (" + r.width() + "x" + r.height() + ", " + r.videoCodec() + ", "
				+ r.fps() + " fps" + (r.audio() ? ", with audio" : "") + ") to " + r.file();
			if (!r.note().isEmpty()) {
				result += " — note: " + r.note();
				rerender.warn("Save Video: " + r.note());
			}
		}
		finally {
			rerender.done();
		}
	}
}
