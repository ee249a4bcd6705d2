// batch_rerender.ijm — stylises every video clip in a folder with "Rerender Video".
//
// For each ROOT/<name>.mp4 (also .avi, .mov, .mkv) it uses the work folder ROOT/<name>_rerender/ and writes
// ROOT/<name>_rerender/output.mp4 (+ output_consistency.csv/.png). Clips already finished are skipped quickly:
// their work folders resume with nothing left to do.
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
	lower = toLowerCase(name);
	if (!(endsWith(lower, ".mp4") || endsWith(lower, ".avi") || endsWith(lower, ".mov") || endsWith(lower, ".mkv"))) continue;
	stem = substring(name, 0, lastIndexOf(name, "."));
	work = root + stem + "_rerender";
	print("Rerendering " + root + name);
	run("Rerender Video", "input_file=[" + root + name + "] work_dir=[" + work + "] prompt=[" + prompt + "]" + more);
	while (nImages > 0) close();
	done++;
}
print("Rerendered " + done + " clip(s) under " + root);
return "" + done;
