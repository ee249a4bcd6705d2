package org.rerender.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * What a {@link DdimCallback} sees of one DDIM step. Arrays belong to the step's scope and are freed when the
 * step ends: to keep one, {@code duplicate()} it and attach the copy to a longer-lived manager.
 * @param step run step i (0 = first)
 * @param steps number of steps S
 * @param index ldm index (S-1-i)
 * @param timestep the DDIM timestep t passed to the model
 * @param dirPrev the previous step's {@code dir_xt} (null before step 0)
 * @param noise the run's noise source (constraints draw from it in order, after the SDEdit draw)
 */
public record DdimStep(int step, int steps, int index, int timestep, float alpha, float alphaPrev,
	float sqrtOneMinusAlpha, NDArray dirPrev, NoiseSource noise, DdimSchedule schedule) {}
