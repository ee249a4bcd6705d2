// Rerender for Fiji: open a video as a stack (cropped and resized like Rerender's frame preparation),
// then save it again as an H.264 mp4 that carries the original's audio track.
//
// Argument (optional): "<input video>|<output mp4>|<resolution>"; without it the macro asks for a file and
// writes <name>_rerender.mp4 beside it.
args = getArgument();
if (args == "") {
	input = File.openDialog("Choose a video");
	output = File.getDirectory(input) + File.getNameWithoutExtension(input) + "_rerender.mp4";
	resolution = 512;
} else {
	parts = split(args, "|");
	input = parts[0];
	output = parts[1];
	resolution = parseInt(parts[2]);
}
setBatchMode(true);
run("Open Video", "file=[" + input + "] crop_left=0 crop_right=0 crop_top=0 crop_bottom=0 resolution=" + resolution);
title = getTitle();
Stack.getDimensions(width, height, channels, slices, frames);
fps = Stack.getFrameRate();
print("Opened " + title + ": " + frames + " frames of " + width + "x" + height + " at " + fps + " fps");
run("Save Video", "image=[" + title + "] output_file=[" + output + "] fps=0 audio_source=[" + input + "]");
close();
return "" + frames + " " + width + " " + height + " " + fps;
