package dev.atlas.langchain4j;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The OpenTelemetry context a model call started in, made current again where the next round of its
 * tool loop starts: a streaming {@code AiServices} runs the tools and requests that round on the
 * provider's thread, where no span is current, so an {@code AtlasTelemetry} listener made it a root
 * span in a trace of its own. Looked up reflectively: this module does not depend on
 * OpenTelemetry; without it on the class path nothing is done.
 */
final class CallerContext {
    private static final MethodHandle CURRENT;
    private static final MethodHandle MAKE_CURRENT;
    private static final MethodHandle CLOSE;

    static {
        MethodHandle current = null;
        MethodHandle makeCurrent = null;
        MethodHandle close = null;
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

    /** The context current on this thread; null without OpenTelemetry. */
    static Object capture() {
        if (CURRENT == null) {
            return null;
        }
        try {
            return CURRENT.invoke();
        } catch (Throwable e) {
            return null;
        }
    }

    /** Runs {@code action} with {@code captured} current (as is when null). */
    static <T> T callIn(Object captured, java.util.function.Supplier<T> action) {
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
