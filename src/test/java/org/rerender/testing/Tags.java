package org.rerender.testing;

/** JUnit tag names; the default run excludes {@link #HEAVY} and {@link #BENCH} (see pom profiles). */
public final class Tags {
	private Tags() {}

	/** Full-size architectures or long runs: {@code mvn test -Pheavy}. */
	public static final String HEAVY = "heavy";
	/** Benchmarks printing tables: {@code mvn test -Pbench}. */
	public static final String BENCH = "bench";
}
