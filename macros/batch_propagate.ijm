// batch_propagate.ijm — propagate stylised key frames for every clip folder under a root folder.
//
// Layout (the same as `bin/rerender propagate`):
//   ROOT/<clip>/video/0001.png, 0002.png, ...   the original frames
//   ROOT/<clip>/keys/0001.png, 0011.png, ...    the stylised key frames 1, 1+K, 1+2K, ... and the last frame
// Writes ROOT/<clip>/propagated.mp4 for each clip, replacing the one a previous run wrote (the flag overwrite;
// without it an existing file is refused).
//
// Argument: "ROOT" or "ROOT|K" (K = key frame interval, default 10). Without an argument a folder dialog asks.
// Headless: ImageJ --headless -batch batch_propagate.ijm "/data/clips|10"

arg = getArgument();
interval = 10;
if (indexOf(arg, "|") >= 0) {
	parts = split(arg, "|");
	root = parts[0];
	interval = parseInt(parts[1]);
} else {
	root = arg;
}
if (root == "") root = getDirectory("Choose the folder holding one subfolder per clip");
if (!endsWith(root, "/") && !endsWith(root, File.separator)) root = root + File.separator;

setBatchMode(true);
list = getFileList(root);
done = 0;
for (i = 0; i < list.length; i++) {
	clip = root + list[i];
	if (!File.isDirectory(clip)) continue;
	if (!endsWith(clip, "/")) clip = clip + "/";
	if (!File.isDirectory(clip + "video") || !File.isDirectory(clip + "keys")) continue;
	print("Propagating " + clip);
	run("Propagate", "input_file=[" + clip + "video] key_folder=[" + clip + "keys] key_interval=" + interval
		+ " poisson=true processes=2 output_file=[" + clip + "propagated.mp4] overwrite fps=25");
	close(); // the "Propagated" output stack
	done++;
}
print("Propagated " + done + " clip(s) under " + root);
return "" + done;
