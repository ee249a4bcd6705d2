package org.rerender.flow;

import java.util.EnumMap;
import java.util.Map;
import java.util.ServiceLoader;
import org.rerender.engine.RerenderException;

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

	/** A new estimator for {@code method} (resolving {@code auto}); the caller closes it. */
	public static FlowEstimator create(FlowMethod method) {
		FlowEstimatorProvider p;
		synchronized (FlowEstimators.class) {
			FlowMethod m = resolve(method);
			String why = unavailableReason(m);
			if (why != null) throw new RerenderException(why);
			p = PROVIDERS.get(m);
		}
		return p.create();
	}

	/** {@link #create(FlowMethod)} from a name ("dis", "gmflow", "auto"). */
	public static FlowEstimator create(String method) {
		return create(FlowMethod.parse(method));
	}
}
