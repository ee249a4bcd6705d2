package org.rerender.fiji;

import org.rerender.pipeline.RerenderJob;
import org.scijava.command.Command;
import org.scijava.plugin.Plugin;

/** {@code Plugins > Rerender > Rerender First Frame}: first frame (anchor) only; its output, edge map and recorded state go to the work folder. Resumes from the work folder. */
@Plugin(type = Command.class, menuPath = "Plugins>Rerender>Rerender First Frame", headless = true)
public class RerenderFirstFrameCommand extends RerenderCommandBase {
	@Override
	protected RerenderJob.Steps steps() {
		return RerenderJob.Steps.FIRST_FRAME;
	}
}
