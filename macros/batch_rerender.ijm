// batch_rerender.ijm — stylises every clip in a folder with "Rerender Video".
//
// The clips are the videos directly in ROOT (.mp4 .mov .mkv .webm .avi .mpg .mpeg .gif) and the frame folders in
// ROOT (subfolders holding at least 2 images: .png .jpg .jpeg .tif .tiff .bmp, read as a video at 30 fps).
// For each clip ROOT/<name>.<ext> or ROOT/<name>/ it uses the work folder ROOT/<name>_rerender/ (never taken as a
// clip) and writes ROOT/<name>_rerender/output.mp4 (+ output_consistency.csv/.png). Clips already finished are
// skipped quickly: their work folders resume with nothing left to do. A clip that fails stops the batch with its
// reason (clips before it keep their results; a rerun resumes them).
//
// Argument: "ROOT|PROMPT" or "ROOT|PROMPT|MORE" (MORE = further options in macro form, e.g. "interval=10").
// Headless: ImageJ --headless -batch batch_rerender.ijm "/data/clips|a watercolor painting"

arg = getArgument();
if (arg == "") exit("Usage: batch_rerender.ijm \"ROOT|PROMPT[|MORE OPTIONS]\"");
p = split(arg, "|");
if (p.length < 2) exit("Need ROOT|PROMPT, got: " + arg);
root = p[0];
prompt = p[1];
more = "";
if (p.length > 2) more = " " + p[2];
if (!endsWith(root, "/") && !endsWith(root, File.separator)) root = root + File.separator;

setBatchMode(true);
list = getFileList(root);
done = 0;
for (i = 0; i < list.length; i++) {
	name = list[i];
	if (startsWith(name, ".")) continue; // hidden files (macOS ._ copies)
	if (endsWith(name, "/")) name = substring(name, 0, lengthOf(name) - 1); // a folder
	if (File.isDirectory(root + name)) {
		if (endsWith(name, "_rerender") || countImages(root + name + "/") < 2) continue; // a work folder, not frames
		stem = name;
	} else {
		if (!isVideo(name)) continue;
		stem = substring(name, 0, lastIndexOf(name, "."));
	}
	work = root + stem + "_rerender";
	print("Rerendering " + root + name);
	run("Rerender Video", "input_file=[" + root + name + "] work_dir=[" + work + "] prompt=[" + prompt + "]" + more);
	while (nImages > 0) close();
	done++;
}
print("Rerendered " + done + " clip(s) under " + root);
return "" + done;

// True for the video files Rerender reads (by extension, any case).
function isVideo(name) {
	return hasExtension(name, newArray(".mp4", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".gif"));
}

// The number of frame images (.png .jpg .jpeg .tif .tiff .bmp) in a folder.
function countImages(folder) {
	files = getFileList(folder);
	n = 0;
	for (j = 0; j < files.length; j++)
		if (hasExtension(files[j], newArray(".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"))) n++;
	return n;
}

function hasExtension(name, extensions) {
	lower = toLowerCase(name);
	for (k = 0; k < extensions.length; k++)
		if (endsWith(lower, extensions[k])) return true;
	return false;
}
