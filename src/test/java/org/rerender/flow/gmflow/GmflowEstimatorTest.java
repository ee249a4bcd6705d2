package org.rerender.flow.gmflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rerender.engine.Djl;
import org.rerender.engine.RerenderException;
import org.rerender.flow.BidirectionalFlow;
import java.util.ServiceLoader;
import org.rerender.flow.FlowEstimatorProvider;
import org.rerender.flow.FlowMethod;
import org.rerender.image.Rgb8Image;
import org.rerender.model.io.Checkpoints;
import org.rerender.model.io.SafetensorsFile;
import org.rerender.model.io.SafetensorsWriter;
import org.rerender.model.io.TensorSource;
import org.rerender.model.nn.ParamSpec;
import org.rerender.model.nn.WeightLoader;
import org.rerender.testing.Fixtures;
import org.rerender.testing.TensorAssert;

/** The full-size key manifest, the estimator on the tiny checkpoint, chunked matching and bad input. */
class GmflowEstimatorTest {

	@Test
	void fullSizeKeysMatchTheManifestWithoutAllocating() throws IOException {
		List<String> expected = new ArrayList<>();
		for (String line : Files.readAllLines(Fixtures.file("gmflow/gmflow.keys.txt"))) {
			if (line.isBlank()) continue;
			String[] f = line.split("\t");
			expected.add(f[0] + " " + f[2].replace(" ", ""));
		}
		List<String> actual = new ArrayList<>();
		for (ParamSpec p : new GmflowNetwork(GmflowConfig.sintel()).specs()) {
			StringBuilder s = new StringBuilder();
			for (long d : p.shape().getShape()) s.append(s.length() == 0 ? "" : ",").append(d);
			actual.add(p.name() + " " + s);
		}
		assertEquals(expected, actual);
	}

	private static GmflowFlowEstimator tiny() {
		return new GmflowFlowEstimator(Fixtures.file("gmflow/tiny-gmflow.pth"));
	}

	@Test
	void estimatorMatchesTheReferenceAndChunkingChangesNothing() {
		try (SafetensorsFile ref = SafetensorsFile.open(Fixtures.file("gmflow/gmflow-reference.safetensors"));
			GmflowFlowEstimator est = tiny())
		{
			// the estimator is Rerender's call, attn_splits 2; a reference set made with other splits is only
			// GmflowParityTest's (which passes the set's splits to the network)
			int splits = ref.ints("in.attn_splits")[0];
			Assumptions.assumeTrue(splits == GmflowFlowEstimator.ATTN_SPLITS,
				"reference set uses attn_splits " + splits + ", the estimator Rerender's " + GmflowFlowEstimator.ATTN_SPLITS);
			long[] s = ref.info("in.frame1").shape();
			int h = (int) s[0], w = (int) s[1];
			// the original runs on any padded size; the estimator refuses frames below its documented minimum
			// (badInputGivesClearErrors), so a set of such tiny frames is only GmflowParityTest's
			Assumptions.assumeTrue(h >= GmflowFlowEstimator.MIN_SIDE && w >= GmflowFlowEstimator.MIN_SIDE,
				"reference frames " + w + "x" + h + " are below the estimator's minimum side " + GmflowFlowEstimator.MIN_SIDE);
			Rgb8Image a = new Rgb8Image(w, h, ref.bytes("in.frame1")), b = new Rgb8Image(w, h, ref.bytes("in.frame2"));
			BidirectionalFlow whole = est.both(a, b);
			TensorAssert.assertClose("fwd", whole.forward().toPlanar(), ref.floats("out.fwd_flow"), 2e-3, 1e-4);
			TensorAssert.assertClose("bwd", whole.backward().toPlanar(), ref.floats("out.bwd_flow"), 2e-3, 1e-4);
			int cols = (h + 5) / 8 * ((w + 5) / 8);
			est.network().attentionBudget(4L * cols * 7); // 7 query rows per chunk (float rounding of the matmul blocking only)
			BidirectionalFlow chunked = est.both(a, b);
			TensorAssert.assertClose("chunked fwd", chunked.forward().toPlanar(), whole.forward().toPlanar(), 1e-4, 1e-5);
			TensorAssert.assertClose("chunked bwd", chunked.backward().toPlanar(), whole.backward().toPlanar(), 1e-4, 1e-5);
		}
	}

	@Test
	void badInputGivesClearErrors() {
		try (GmflowFlowEstimator est = tiny()) {
			RerenderException e = assertThrows(RerenderException.class, () -> est.both(new Rgb8Image(64, 64), new Rgb8Image(64, 48)));
			assertTrue(e.getMessage().contains("differ in size"), e.getMessage());
			e = assertThrows(RerenderException.class, () -> est.both(new Rgb8Image(24, 64), new Rgb8Image(24, 64)));
			assertTrue(e.getMessage().contains("too small"), e.getMessage());
			// sizes whose 1/8 feature map is odd are padded further instead of failing
			BidirectionalFlow f = est.both(new Rgb8Image(40, 33), new Rgb8Image(40, 33));
			assertEquals(40, f.forward().width());
			assertEquals(33, f.backward().height());
		}
	}

	@Test
	void notAGmflowCheckpointNamesTheMissingKeys() {
		RerenderException e = assertThrows(RerenderException.class,
			() -> new GmflowFlowEstimator(Fixtures.file("hed/tiny-hed.pth")));
		assertTrue(e.getMessage().contains("not a GMFlow model") && e.getMessage().contains("backbone.conv1.weight"), e.getMessage());
	}

	@Test
	void aMultiScaleUpsamplerIsRejected(@TempDir Path tmp) {
		// GMFlow's refinement checkpoints upsample by 4 from 1/4 features; Rerender's padding and unpadding assume x8
		Path f = tmp.resolve("x4.safetensors");
		SafetensorsWriter wr = new SafetensorsWriter();
		try (TensorSource src = Checkpoints.open(Fixtures.file("gmflow/tiny-gmflow.pth"))) {
			for (String k : src.tensors().keySet()) {
				long[] shape = src.info(k).shape().clone();
				if (k.startsWith("upsampler.2.")) shape[0] = 9 * 4 * 4;
				long n = 1;
				for (long d : shape) n *= d;
				wr.addF32(k, shape, new float[(int) n]);
			}
		}
		wr.write(f);
		try (SafetensorsFile src = SafetensorsFile.open(f)) {
			RerenderException e = assertThrows(RerenderException.class, () -> GmflowConfig.fromShapes(src));
			assertTrue(e.getMessage().contains("upsamples by 4"), e.getMessage());
		}
	}

	@Test
	void configComesFromTheWeightShapes() {
		try (TensorSource src = Checkpoints.open(Fixtures.file("gmflow/tiny-gmflow.pth")); NDManager m = Djl.newCpuManager()) {
			GmflowConfig c = GmflowConfig.fromShapes(src);
			GmflowNetwork net = new GmflowNetwork(c);
			assertTrue(WeightLoader.check(net, src).toString() != null);
			WeightLoader.load(net, src, m, DataType.FLOAT32, "tiny");
			assertEquals(src.tensors().size(), net.specs().size());
			assertFalse(c.equals(GmflowConfig.sintel()));
		}
	}

	@Test
	void providerIsRegistered() {
		// through ServiceLoader, as FlowEstimators finds it (other tests may replace the registry's entry)
		boolean found = false;
		for (FlowEstimatorProvider p : ServiceLoader.load(FlowEstimatorProvider.class)) found |= p instanceof GmflowFlowEstimator.Provider;
		assertTrue(found, "GmflowFlowEstimator.Provider is not in META-INF/services");
		GmflowFlowEstimator.Provider p = new GmflowFlowEstimator.Provider();
		assertEquals(FlowMethod.GMFLOW, p.method());
		String why = p.unavailableReason();
		assertTrue(why == null || why.contains("gmflow_sintel-0c07dcb3.pth"), why);
	}
}
