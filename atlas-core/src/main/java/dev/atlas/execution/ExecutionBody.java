package dev.atlas.execution;

/**
 * The code that calls the provider, run by {@link ExecutionRecorder#record(ExecutionSpec, ExecutionBody)}.
 * {@code E} is inferred from the lambda: a lambda that throws no checked exception makes the
 * {@code record} call throw none either.
 *
 * @param <T> what the body returns; {@code record} returns it to the caller
 * @param <E> the checked exception the body may throw ({@link RuntimeException} when it throws none)
 */
@FunctionalInterface
public interface ExecutionBody<T, E extends Exception> {
    /**
     * Does the provider call, recording steps on {@code execution}; its result is returned to the caller.
     *
     * @param execution the execution
     * @return the value {@code record} returns
     * @throws E the body's own checked exception; {@code record} stores the execution failed and rethrows it
     */
    T run(ExecutionHandle execution) throws E;
}
