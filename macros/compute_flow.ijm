// Rerender for Fiji: optical flow of a video.
// Opens a video as a stack (Open Video, with Rerender's frame preparation), computes the forward and backward
// optical flow and the occlusion masks between neighbouring frames (Compute Optical Flow) and saves the three
// result stacks as TIFF files into a folder:
//   forward_flow.tif   32-bit, 2 channels (x, y in pixels), frame t = flow from frame t to t+1
//   backward_flow.tif  32-bit, 2 channels, frame t = flow from frame t+1 to t
//   occlusion.tif      8-bit, 255 = occluded; channel 1 forward (frame t), channel 2 backward (frame t+1)
//
// Argument (optional): "<input video>|<output folder>|<resolution>|<method>" with method dis, gmflow or auto;
// without it the macro asks for the video and the folder and uses resolution 512 and method auto.
args = getArgument();
if (args == "") {
	input = File.openDialog("Choose a video");
	outdir = getDirectory("Choose a folder for the flow stacks");
	resolution = 512;
	method = "auto";
} else {
	parts = split(args, "|");
	input = parts[0];
	outdir = parts[1];
	resolution = parseInt(parts[2]);
	method = parts[3];
}
if (!endsWith(outdir, File.separator)) outdir = outdir + File.separator;
setBatchMode(true);
run("Open Video", "file=[" + input + "] resolution=" + resolution);
video = getTitle();
base = File.getNameWithoutExtension(video);
run("Compute Optical Flow", "image=[" + video + "] method=" + method + " direction=both");
selectImage(base + " forward flow");
saveAs("Tiff", outdir + "forward_flow.tif");
Stack.getDimensions(width, height, channels, slices, frames);
selectImage(base + " backward flow");
saveAs("Tiff", outdir + "backward_flow.tif");
selectImage(base + " occlusion");
saveAs("Tiff", outdir + "occlusion.tif");
print("Optical flow of " + video + ": " + frames + " frame pairs of " + width + "x" + height + " in " + outdir);
return "" + frames + " " + width + " " + height + " " + channels;
