package org.rerender.fiji;

import org.rerender.pipeline.RerenderJob;
import org.scijava.command.Command;
import org.scijava.plugin.Plugin;

/** {@code Plugins > Rerender > Rerender Key Frames}: first frame and every key frame (no propagation). Resumes from the work folder. */
@Plugin(type = Command.class, menuPath = "Plugins>Rerender>Rerender Key Frames", headless = true)
public class RerenderKeyFramesCommand extends RerenderCommandBase {
	@Override
	protected RerenderJob.Steps steps() {
		return RerenderJob.Steps.KEY_FRAMES;
	}
}
