package dev.atlas.jdbi.kit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.core.io.InputDecorator;
import com.fasterxml.jackson.core.io.OutputDecorator;
import dev.atlas.jdbi.internal.Json;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.Reader;
import java.io.Writer;
import java.util.function.Supplier;

/**
 * Counts the passes a call makes over JSON text with Atlas's mapper, on the calling thread only: every JSON text the
 * mapper's factory generates (a serialisation, a rewrite) and every one it parses. The factory's decorators see each
 * generator and parser it makes, so the count needs no change to the code under test. Test-only.
 */
public final class JsonPasses {
    private JsonPasses() {}

    /** Runs {@code call} and returns how many JSON texts Atlas's mapper wrote and parsed on this thread meanwhile, with its result. */
    @SuppressWarnings("deprecation") // the factory's decorators are settable on a built factory only through these
    public static <T> Counted<T> count(Supplier<T> call) {
        JsonFactory factory = Json.mapper().getFactory();
        Thread caller = Thread.currentThread();
        int[] counts = new int[2];
        factory.setOutputDecorator(new OutputDecorator() {
            @Override
            public OutputStream decorate(IOContext context, OutputStream out) {
                counts[0] += Thread.currentThread() == caller ? 1 : 0;
                return out;
            }

            @Override
            public Writer decorate(IOContext context, Writer out) {
                counts[0] += Thread.currentThread() == caller ? 1 : 0;
                return out;
            }
        });
        factory.setInputDecorator(new InputDecorator() {
            @Override
            public InputStream decorate(IOContext context, InputStream in) {
                counts[1] += Thread.currentThread() == caller ? 1 : 0;
                return in;
            }

            @Override
            public InputStream decorate(IOContext context, byte[] src, int offset, int length) {
                counts[1] += Thread.currentThread() == caller ? 1 : 0;
                return null; // null: the factory reads the array itself
            }

            @Override
            public Reader decorate(IOContext context, Reader in) {
                counts[1] += Thread.currentThread() == caller ? 1 : 0;
                return in;
            }
        });
        try {
            T result = call.get();
            return new Counted<>(result, counts[0], counts[1]);
        } finally {
            factory.setOutputDecorator(null);
            factory.setInputDecorator(null);
        }
    }

    /** {@code written}: JSON texts generated; {@code parsed}: JSON texts parsed. */
    public record Counted<T>(T result, int written, int parsed) {}
}
