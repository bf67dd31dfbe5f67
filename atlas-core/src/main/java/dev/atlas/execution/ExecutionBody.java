package dev.atlas.execution;

/**
 * The code that calls the provider, run by {@link ExecutionRecorder#record(ExecutionSpec, ExecutionBody)}.
 * {@code E} is inferred from the lambda: a lambda that throws no checked exception makes the
 * {@code record} call throw none either.
 */
@FunctionalInterface
public interface ExecutionBody<T, E extends Exception> {
    T run(ExecutionHandle execution) throws E;
}
