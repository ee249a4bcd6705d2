package org.rerender.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.List;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.model.nn.Precision;
import org.rerender.model.nn.Scope;
import org.rerender.model.unet.Branch;
import org.rerender.model.nn.Scalars;

/**
 * DDIM with eta 0 (ldm's {@code p_sample_ddim}) and classifier-free guidance
 * {@code ε = ε_u + s·(ε_c − ε_u)}, with SDEdit: the run starts from x_T at step 0, and at step
 * {@code i0 = trunc(S·(1 − strength))} x is replaced by {@code q_sample(x0, t_i0, noise)} (earlier steps still run,
 * so hooks see them). All constants are F32 as in ldm. Each step runs in its own sub-manager; only the new x
 * survives it.
 */
public final class DdimSampler {
	/** How the two CFG branches are evaluated. */
	public enum Cfg {
		/** Two batch-B calls, cond first then uncond (cldm's {@code ddim_hacked}, Rerender). */
		SEPARATE,
		/** One batch-2B call {@code [uncond; cond]} (ldm's {@code DDIMSampler}). */
		BATCHED
	}

	/** SDEdit start: the clean latent x0 (already scaled by 0.18215) and the strength in (0, 1]. */
	public record SdEdit(NDArray x0, double strength) {
		/** {@code int(steps·(1 − strength))}, the product in double and truncated (20·(1−0.9) → 1). */
		public int startStep(int steps) {
			// −1 (never) outside [0, 1], as the original's `strength >= 0 and i == int(total·strength)`: a plain
			// truncation would turn x0_strength 1.05 (Rerender's van_gogh_man) into step 0
			return org.rerender.config.SamplingSteps.sdeditStep(steps, strength);
		}
	}

	private final DdimSchedule ddim;
	private final NoiseSchedule schedule;
	private final float guidanceScale;
	private final Cfg cfg;

	public DdimSampler(NoiseSchedule schedule, int steps, double guidanceScale, Cfg cfg) {
		this.schedule = schedule;
		this.ddim = new DdimSchedule(schedule, steps);
		this.guidanceScale = (float) guidanceScale;
		this.cfg = cfg;
	}

	public DdimSchedule schedule() {
		return ddim;
	}

	/** ldm's {@code q_sample} (result in {@code x0}'s manager, no temporaries left behind): {@code sqrt(ᾱ_t)·x0 + sqrt(1−ᾱ_t)·noise} with the training schedule's F32 buffers. */
	public NDArray qSample(NDArray x0, int t, NDArray noise) {
		try (Scope s = Scope.of(x0, noise)) {
			return s.keep(Scalars.mul(x0, schedule.sqrtAlphaCumprod(t)).add(Scalars.mul(noise, schedule.sqrtOneMinusAlphaCumprod(t))));
		}
	}

	/**
	 * Runs all steps.
	 * @param xT starting noise (not modified; the result is a new array in {@code run}, of {@code xT}'s type). The
	 *     DDIM state (x, noise, ε after guidance, x̂0, the update, what the callbacks see) is kept in F32
	 *     ({@link Precision#LATENT}) whatever type the networks compute in; the denoiser casts at its door.
	 * @param sdedit SDEdit start or null
	 * @param noise source of the SDEdit noise (and whatever the callbacks draw)
	 * @param callback per-step hooks (null = none)
	 * @return the final latent, owned by {@code run}
	 */
	public NDArray sample(NDManager run, Denoiser model, NDArray xT, SdEdit sdedit, NoiseSource noise, DdimCallback callback,
		Progress progress, Cancel cancel) {
		return sample(run, model, xT, sdedit, noise, callback, progress, cancel, null);
	}

	/**
	 * A run's state at the start of step {@code step}: its latent x as step {@code step − 1} left it (when {@code step}
	 * is the SDEdit step, the replacement is made on resuming) and that step's dir_xt.
	 */
	public record Resume(int step, NDArray x, NDArray dirPrev) {}

	/**
	 * {@link #sample(NDManager, Denoiser, NDArray, SdEdit, NoiseSource, DdimCallback, Progress, Cancel)} from {@code resume}
	 * (null: from step 0) instead of x_T, which then only gives the result's type. The caller has drawn from
	 * {@code noise} what the steps before {@code resume.step()} would have drawn.
	 */
	public NDArray sample(NDManager run, Denoiser model, NDArray xT, SdEdit sdedit, NoiseSource noise, DdimCallback callback,
		Progress progress, Cancel cancel, Resume resume) {
		DdimCallback cb = callback == null ? new DdimCallback() {} : callback;
		int steps = ddim.size();
		int i0 = sdedit == null ? -1 : sdedit.startStep(steps);
		NDArray start = resume == null ? xT : resume.x();
		NDArray x = start.getDataType() == Precision.LATENT ? start.duplicate() : start.toType(Precision.LATENT, true);
		x.attach(run);
		NDArray dirPrev = null;
		if (resume != null && resume.dirPrev() != null) {
			dirPrev = resume.dirPrev().duplicate();
			dirPrev.attach(run);
		}
		for (int i = resume == null ? 0 : resume.step(); i < steps; i++) {
			if (cancel != null) cancel.check();
			int index = ddim.indexOfStep(i);
			int t = ddim.timestep(index);
			NDArray[] next = new NDArray[2];
			try (NDManager stepManager = run.newSubManager()) {
				x.attach(stepManager); // the old x dies with the step
				if (dirPrev != null) dirPrev.attach(stepManager);
				DdimStep s = new DdimStep(i, steps, index, t, ddim.alpha(index), ddim.alphaPrev(index),
					ddim.sqrtOneMinusAlpha(index), dirPrev, noise, ddim);
				if (i == i0) { // x0 may come from an F16 VAE: q_sample in F32
					NDArray x0 = Precision.as(sdedit.x0(), Precision.LATENT);
					x = qSample(x0, t, noise.next(stepManager, x0.getShape(), x.getDataType())).toDevice(x.getDevice(), false);
					if (x0 != sdedit.x0()) x0.close();
				}
				x.attach(stepManager);
				x = cb.onStepStart(s, x);
				x.attach(stepManager);
				NDArray epsCond, epsUncond;
				if (guidanceScale == 1f) {
					epsCond = model.eps(x, t, Branch.COND, i);
					epsUncond = null;
				} else if (cfg == Cfg.SEPARATE) {
					epsCond = model.eps(x, t, Branch.COND, i);
					epsUncond = model.eps(x, t, Branch.UNCOND, i);
				} else {
					NDArray both = model.epsBatched(x, t, i);
					long b = x.getShape().get(0);
					epsUncond = both.get(new NDIndex("0:{}", b));
					epsCond = both.get(new NDIndex("{}:", b));
				}
				NDArray eps = epsUncond == null ? epsCond : epsUncond.add(Scalars.mul(epsCond.sub(epsUncond), guidanceScale));
				NDArray predX0 = Scalars.div(x.sub(Scalars.mul(eps, ddim.sqrtOneMinusAlpha(index))), ddim.sqrtAlpha(index));
				predX0 = cb.onPredX0(s, x, eps, epsCond, epsUncond, predX0);
				NDArray dirXt = Scalars.mul(eps, ddim.sqrtOneMinusAlphaPrev(index));
				NDArray xPrev = Scalars.mul(predX0, ddim.sqrtAlphaPrev(index)).add(dirXt);
				cb.onStepEnd(s, xPrev, predX0, dirXt);
				next[0] = xPrev;
				next[1] = dirXt;
				xPrev.attach(run);
				dirXt.attach(run);
			}
			x = next[0];
			dirPrev = next[1];
			if (progress != null) progress.report("DDIM", i + 1, steps);
		}
		if (dirPrev != null) dirPrev.close();
		if (x.getDataType() == xT.getDataType()) return x;
		NDArray out = x.toType(xT.getDataType(), false);
		out.attach(run);
		x.close();
		return out;
	}
}
