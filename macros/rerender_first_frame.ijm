// rerender_first_frame.ijm — runs "Rerender First Frame": the first frame only (WORK/keys/0000.png, its edge map and recorded state).
//
// Argument: "VIDEO|WORK|PROMPT" or "VIDEO|WORK|PROMPT|MORE" where MORE are further options in macro form
// (e.g. "control_type=canny ddim_steps=20 interval=10"); every other setting keeps its last-used/default value.
// Headless: ImageJ --headless -batch rerender_first_frame.ijm "/data/clip.mp4|/data/work|a watercolor painting"
// Steps already finished in WORK are not redone, so running the same macro again resumes.

arg = getArgument();
if (arg == "") exit("Usage: rerender_first_frame.ijm \"VIDEO|WORK|PROMPT[|MORE OPTIONS]\"");
p = split(arg, "|");
if (p.length < 3) exit("Need VIDEO|WORK|PROMPT, got: " + arg);
more = "";
if (p.length > 3) more = " " + p[3];
setBatchMode(true);
run("Rerender First Frame", "input_file=[" + p[0] + "] work_dir=[" + p[1] + "] prompt=[" + p[2] + "]" + more);
print("Rerender First Frame done: " + p[1]);
return p[1];
