package org.rerender.flow;

/**
 * Makes estimators of one {@link FlowMethod}. Providers are found by {@link java.util.ServiceLoader}
 * (a line in {@code META-INF/services/org.rerender.flow.FlowEstimatorProvider}) or registered with
 * {@link FlowEstimators#register}; so a new method (GMFlow) plugs in without touching any caller.
 */
public interface FlowEstimatorProvider {

	/** The method provided (not {@link FlowMethod#AUTO}). */
	FlowMethod method();

	/** {@code null} when {@link #create()} will work; otherwise a user-facing reason (e.g. weights missing). */
	String unavailableReason();

	/** A new estimator; the caller closes it. */
	FlowEstimator create();
}
