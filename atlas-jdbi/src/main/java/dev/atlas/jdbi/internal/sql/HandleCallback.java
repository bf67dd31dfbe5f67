package dev.atlas.jdbi.internal.sql;

/** Work on one {@link Handle}, inside whatever transaction its caller opened. */
@FunctionalInterface
public interface HandleCallback<T> {
    T withHandle(Handle h);
}
