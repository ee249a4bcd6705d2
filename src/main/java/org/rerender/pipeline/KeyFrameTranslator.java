package org.rerender.pipeline;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.rerender.config.RerenderConfig;
import org.rerender.diffusion.DdimSampler;
import org.rerender.diffusion.constraints.ColorCorrection;
import org.rerender.diffusion.rerender.AnchorState;
import org.rerender.diffusion.rerender.KeyFrameEngine;
import org.rerender.diffusion.rerender.KeyFrameSequence;
import org.rerender.diffusion.rerender.KeyFrameSettings;
import org.rerender.diffusion.rerender.NoiseStreams;
import org.rerender.engine.Cancel;
import org.rerender.engine.Progress;
import org.rerender.engine.RerenderException;
import org.rerender.flow.BidirectionalFlow;
import org.rerender.flow.FlowEstimator;
import org.rerender.flow.FlowMethod;
import org.rerender.image.Rgb8Image;
import org.rerender.model.control.CannyControl;
import org.rerender.model.control.ControlMap;
import org.rerender.propagate.FolderFrames;
import org.rerender.propagate.FrameFlows;
import org.rerender.propagate.KeySchedule;
import org.rerender.work.WorkStep;

/** The first-frame and key-frame steps of a {@link RerenderJob}: anchor, key frames, their saved states and resume. */
final class KeyFrameTranslator {
	static final String ANCHOR_STATE = "anchor_state.safetensors", COLOR_REFERENCE = "color_reference.png",
		EDGE_0 = "edge_0000.png", SEQUENCE_STATE = "sequence_state.safetensors";
	private final RerenderConfig cfg;
	private final DiffusionModels models;
	private final WorkStep frames, keys;
	private final long seed;
	private final KeySchedule schedule;
	private final FlowMethod flowMethod;
	private final RerenderJob.Counters n;
	/** Makes the key frames' flow estimator (a test wraps it to count calls). */
	java.util.function.Function<FlowMethod, FlowEstimator> keyFlows = FrameFlows::estimator;

	KeyFrameTranslator(RerenderConfig cfg, DiffusionModels models, WorkStep frames, WorkStep keys, long seed,
		KeySchedule schedule, FlowMethod flowMethod, RerenderJob.Counters n)
	{
		this.cfg = cfg;
		this.models = models;
		this.frames = frames;
		this.keys = keys;
		this.seed = seed;
		this.schedule = schedule;
		this.flowMethod = flowMethod;
		this.n = n;
	}

	void run(boolean firstOnly, Progress progress, Cancel cancel) {
		KeyFrameSettings s = KeyFrameSettings.from(cfg);
		List<Integer> k = schedule.keys();
		boolean anchorDone = keys.has(0, WorkStep.PNG) && keys.has(0, WorkStep.F32) && Files.isRegularFile(keys.dir().resolve(ANCHOR_STATE));
		int firstMissing = 0;
		while (firstMissing < k.size() && keys.has(k.get(firstMissing), WorkStep.PNG) && keys.has(k.get(firstMissing), WorkStep.F32))
			firstMissing++;
		boolean keysDone = firstMissing == k.size();
		if (anchorDone && (firstOnly || keysDone)) return;
		NDManager parent = models.manager();
		try (NDManager job = parent.newSubManager()) {
			KeyFrameEngine engine = engine(cfg, models, job);
			KeyFrameEngine.Prompts prompts = models.prompts(job, cfg.fullPrompt(), cfg.nPrompt);
			Rgb8Image reference = colorReference(engine, prompts, s, progress, cancel);
			AnchorState anchor;
			if (anchorDone) anchor = AnchorState.load(keys.dir().resolve(ANCHOR_STATE), job, engine.storageType(), engine.storeDevice());
			else {
				Rgb8Image f0 = frames.readPng(0);
				ControlMap edge = control(f0, job);
				keys.write(EDGE_0, file -> FolderFrames.write(edgeImage(edge), file));
				KeyFrameEngine.FrameInput in = new KeyFrameEngine.FrameInput(f0, corrected(f0, reference), edge.toControlImage());
				KeyFrameEngine.AnchorResult r = engine.translateAnchor(in, prompts, s, NoiseStreams.seeded(seed, 0), progress, cancel);
				anchor = r.anchor();
				anchor.save(keys.dir().resolve(ANCHOR_STATE));
				keys.writeFloat(0, r.decoded());
				keys.writePng(0, r.image());
				n.anchorsTranslated++;
			}
			try (anchor) {
				if (firstOnly || keysDone) return;
				Path seqFile = keys.dir().resolve(SEQUENCE_STATE);
				KeyFrameSequence restored = null;
				if (firstMissing > 0 && Files.isRegularFile(seqFile)) {
					restored = KeyFrameSequence.load(seqFile, anchor, job);
					// a stop between a key frame's files and the state leaves the state behind the files: the
					// frames after it are re-translated for their state only; a state ahead of the files is dropped
					if (restored.done() > firstMissing) {
						restored.close();
						restored = null;
					}
				}
				int start = restored == null ? 0 : restored.done();
				try (KeyFrameSequence seq = restored != null ? restored : new KeyFrameSequence(anchor, job, cfg.styleUpdateFreq);
					FlowEstimator flow = keyFlows.apply(flowMethod))
				{
					for (int i = start; i < k.size(); i++) {
						cancel.check();
						int idx = k.get(i);
						Progress p = (stage, done, total) -> progress.report("Key frame " + idx + " (" + (seq.done() + 1) + "/"
							+ k.size() + "): " + stage, done, total);
						Rgb8Image f = frames.readPng(idx);
						BidirectionalFlow fromAnchor = flow.both(anchor.frame(), f);
						// the first key frame's previous frame is the anchor: one pair, one estimate (and the
						// identical flows let the masks reuse the anchor's occlusion)
						KeyFrameEngine.Flows flows = new KeyFrameEngine.Flows(fromAnchor,
							seq.done() == 0 ? fromAnchor : flow.both(seq.previousFrame(), f));
						KeyFrameEngine.FrameInput in = new KeyFrameEngine.FrameInput(f, corrected(f, reference),
							control(f, job).toControlImage());
						KeyFrameEngine.KeyFrameResult r = engine.translateKeyFrame(seq, in, flows, prompts, s,
							NoiseStreams.seeded(seed, idx), p, cancel);
						if (i < firstMissing) n.keyFramesRebuilt++; // state only: its files are already there
						else {
							keys.writeFloat(idx, r.decoded());
							keys.writePng(idx, r.image());
							seq.save(seqFile); // a run stopped after this key frame resumes at the next one
							n.keyFramesTranslated++;
						}
					}
				}
				catch (RerenderException e) {
					throw e;
				}
				catch (Exception e) {
					throw new RerenderException("Key frames failed: " + e.getMessage(), e);
				}
				keys.markComplete(k.size() + 1);
			}
		}
	}

	/** The key-frame engine on {@code manager} with the config's engine switches (batch_cfg, attention_store_on_host). */
	static KeyFrameEngine engine(RerenderConfig cfg, DiffusionModels models, NDManager manager) {
		return new KeyFrameEngine(models.networks(), manager, models.dtype())
			.cfg(cfg.batchCfg ? DdimSampler.Cfg.BATCHED : DdimSampler.Cfg.SEPARATE).storesOnHost(cfg.attentionStoreOnHost);
	}

	private Rgb8Image colorReference(KeyFrameEngine engine, KeyFrameEngine.Prompts prompts, KeyFrameSettings s, Progress progress,
		Cancel cancel)
	{
		if (cfg.colorPreserve) return null;
		Path file = keys.dir().resolve(COLOR_REFERENCE);
		if (Files.isRegularFile(file)) return FolderFrames.read(file);
		Rgb8Image f0 = frames.readPng(0);
		KeyFrameSettings noise = KeyFrameSettings.from(cfg.toBuilder().x0Strength(-1).build());
		KeyFrameEngine.AnchorResult r = engine.translateAnchor(KeyFrameEngine.FrameInput.of(f0, control(f0, null).toControlImage()),
			prompts, noise, NoiseStreams.seeded(seed, 0), (st, d, t) -> progress.report("Colour reference: " + st, d, t), cancel);
		r.anchor().close();
		keys.write(COLOR_REFERENCE, p -> FolderFrames.write(r.image(), p));
		return r.image();
	}

	private static Rgb8Image corrected(Rgb8Image f, Rgb8Image reference) {
		return reference == null ? f : ColorCorrection.correct(f, reference);
	}

	private ControlMap control(Rgb8Image f, NDManager m) {
		if (cfg.controlType == RerenderConfig.ControlType.CANNY) return CannyControl.detect(f, cfg.cannyLow, cfg.cannyHigh);
		if (models.hed() == null) throw new RerenderException("HED control needs the HED annotator (hed-annotator)");
		try (NDManager sub = models.manager().newSubManager()) {
			return models.hed().detect(f, sub);
		}
	}

	static Rgb8Image edgeImage(ControlMap m) {
		byte[] d = new byte[3 * m.width() * m.height()];
		for (int i = 0; i < m.width() * m.height(); i++) d[3 * i] = d[3 * i + 1] = d[3 * i + 2] = m.data()[i];
		return new Rgb8Image(m.width(), m.height(), d);
	}
}
