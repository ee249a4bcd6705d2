package org.rerender.flow;

import java.util.EnumMap;
import java.util.Map;
import java.util.ServiceLoader;
import org.rerender.engine.RerenderException;
import org.rerender.image.Rgb8Image;

/**
 * The registry of flow methods: {@code FlowEstimators.create(FlowMethod.AUTO)} gives GMFlow when a
 * provider for it is registered and available (weights installed), else DIS. DIS is built in; other
 * providers come from {@link ServiceLoader} or {@link #register}.
 */
public final class FlowEstimators {
	private static final Map<FlowMethod, FlowEstimatorProvider> PROVIDERS = new EnumMap<>(FlowMethod.class);

	static {
		register(new DisFlowEstimator.Provider());
		for (FlowEstimatorProvider p : ServiceLoader.load(FlowEstimatorProvider.class, FlowEstimators.class.getClassLoader()))
			register(p);
	}

	private FlowEstimators() {}

	/** Adds or replaces the provider of its method. */
	public static synchronized void register(FlowEstimatorProvider provider) {
		if (provider.method() == FlowMethod.AUTO) throw new IllegalArgumentException("A provider cannot provide 'auto'");
		PROVIDERS.put(provider.method(), provider);
	}

	/** Removes the provider of a method (tests). DIS cannot be removed. */
	static synchronized void unregister(FlowMethod method) {
		if (method == FlowMethod.DIS) throw new IllegalArgumentException("DIS is built in");
		PROVIDERS.remove(method);
	}

	/** The concrete method that {@code method} stands for now ({@code auto} → first available of GMFlow, DIS). */
	public static synchronized FlowMethod resolve(FlowMethod method) {
		if (method != FlowMethod.AUTO) return method;
		for (FlowMethod m : FlowMethod.AUTO_PREFERENCE) {
			FlowEstimatorProvider p = PROVIDERS.get(m);
			if (p != null && p.unavailableReason() == null) return m;
		}
		throw new RerenderException("No optical-flow method is available");
	}

	/** Whether {@code method} can be created now, and if not, why (null = available). */
	public static synchronized String unavailableReason(FlowMethod method) {
		FlowMethod m = method == FlowMethod.AUTO ? resolve(method) : method;
		FlowEstimatorProvider p = PROVIDERS.get(m);
		if (p == null) return "The optical-flow method '" + m.id() + "' is not installed in this build";
		return p.unavailableReason();
	}

	/**
	 * A new estimator for {@code method} (resolving {@code auto}); the caller closes it. {@code auto} that resolves to
	 * a method other than DIS uses DIS for frames that method cannot take ({@link FlowEstimator#unsupportedSize}: GMFlow
	 * needs sides of 32 px), saying so once in the log.
	 */
	public static FlowEstimator create(FlowMethod method) {
		FlowEstimatorProvider p;
		FlowMethod m;
		synchronized (FlowEstimators.class) {
			m = resolve(method);
			String why = unavailableReason(m);
			if (why != null) throw new RerenderException(why);
			p = PROVIDERS.get(m);
		}
		FlowEstimator e = p.create();
		return method == FlowMethod.AUTO && m != FlowMethod.DIS ? new SmallFrameFallback(e) : e;
	}

	/** {@code auto}'s estimator: its method, and DIS for the frame sizes that method refuses. */
	static final class SmallFrameFallback implements FlowEstimator {
		private static final System.Logger LOG = System.getLogger(FlowEstimators.class.getName());
		private final FlowEstimator preferred;
		private DisFlowEstimator dis;

		SmallFrameFallback(FlowEstimator preferred) {
			this.preferred = preferred;
		}

		@Override
		public FlowMethod method() {
			return preferred.method();
		}

		private FlowEstimator forFrames(Rgb8Image a) {
			String why = preferred.unsupportedSize(a.width(), a.height());
			if (why == null) return preferred;
			synchronized (this) {
				if (dis == null) {
					dis = new DisFlowEstimator();
					LOG.log(System.Logger.Level.INFO, "Optical flow 'auto': " + why + "; DIS is used for them.");
				}
				return dis;
			}
		}

		@Override
		public FlowField flow(Rgb8Image from, Rgb8Image to) {
			return forFrames(from).flow(from, to);
		}

		@Override
		public BidirectionalFlow both(Rgb8Image a, Rgb8Image b) {
			return forFrames(a).both(a, b);
		}

		@Override
		public synchronized void close() {
			try {
				preferred.close();
			}
			finally {
				if (dis != null) dis.close();
				dis = null;
			}
		}
	}

	/** {@link #create(FlowMethod)} from a name ("dis", "gmflow", "auto"). */
	public static FlowEstimator create(String method) {
		return create(FlowMethod.parse(method));
	}
}
