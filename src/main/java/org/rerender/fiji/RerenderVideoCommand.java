package org.rerender.fiji;

import org.rerender.pipeline.RerenderJob;
import org.scijava.command.Command;
import org.scijava.plugin.Plugin;

/** {@code Plugins > Rerender > Rerender Video}: first frame, key frames, propagation and the output video with its consistency report. Resumes from the work folder. */
@Plugin(type = Command.class, menuPath = "Plugins>Rerender>Rerender Video", headless = true)
public class RerenderVideoCommand extends RerenderCommandBase {
	@Override
	protected RerenderJob.Steps steps() {
		return RerenderJob.Steps.ALL;
	}
}
