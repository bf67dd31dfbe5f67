package dev.atlas.internal;

import org.jspecify.annotations.Nullable;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The OpenTelemetry context current where an application's model call begins, made current again
 * where Atlas starts the call's execution on another thread: a Spring AI stream's rounds run on
 * Reactor's threads, a LangChain4j streaming tool loop asks for its next round on the provider's
 * thread, and without it an {@code AtlasTelemetry} listener made each such round a root span.
 * Looked up reflectively, so the integration modules need no OpenTelemetry; without it on the
 * class path nothing is done.
 */
public final class CallerContext {
    private static final @Nullable MethodHandle CURRENT;
    private static final @Nullable MethodHandle MAKE_CURRENT;
    private static final @Nullable MethodHandle CLOSE;

    static {
        @Nullable MethodHandle current = null;
        @Nullable MethodHandle makeCurrent = null;
        @Nullable MethodHandle close = null;
        try {
            ClassLoader loader = CallerContext.class.getClassLoader();
            Class<?> context = Class.forName("io.opentelemetry.context.Context", false, loader);
            Class<?> scope = Class.forName("io.opentelemetry.context.Scope", false, loader);
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            current = lookup.findStatic(context, "current", MethodType.methodType(context));
            makeCurrent = lookup.findVirtual(context, "makeCurrent", MethodType.methodType(scope));
            close = lookup.findVirtual(scope, "close", MethodType.methodType(void.class));
        } catch (ReflectiveOperationException | LinkageError absent) {
            current = null;
        }
        CURRENT = current;
        MAKE_CURRENT = current == null ? null : makeCurrent;
        CLOSE = current == null ? null : close;
    }

    private CallerContext() {
    }

    /**
     * The context current on this thread.
     *
     * @return OpenTelemetry's current {@code Context}, or null without OpenTelemetry
     */
    public static @Nullable Object capture() {
        if (CURRENT == null) {
            return null;
        }
        try {
            return CURRENT.invoke();
        } catch (Throwable e) {
            return null;
        }
    }

    /**
     * Runs {@code action} with {@code captured} current (as is when null).
     *
     * @param <T> what the action returns
     * @param captured a context from {@link #capture()}, or null
     * @param action the work to run in it
     * @return what the action returned
     */
    public static <T> T callIn(@Nullable Object captured, java.util.function.Supplier<T> action) {
        if (captured == null) {
            return action.get();
        }
        Object scope;
        try {
            scope = MAKE_CURRENT.invoke(captured);
        } catch (Throwable e) {
            return action.get();
        }
        try {
            return action.get();
        } finally {
            try {
                CLOSE.invoke(scope);
            } catch (Throwable ignored) {
                // Closing a scope does not fail; the telemetry never fails the call.
            }
        }
    }
}
