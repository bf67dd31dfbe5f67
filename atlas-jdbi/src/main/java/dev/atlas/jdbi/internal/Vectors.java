package dev.atlas.jdbi.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** The stored form of a vector (column {@code vectors.vector}: little-endian float32) and its scaling to unit length. */
public final class Vectors {
    /** Reads the float at a byte offset of a stored vector, without a buffer or array per row. */
    static final VarHandle FLOAT = MethodHandles.byteArrayViewVarHandle(float[].class, ByteOrder.LITTLE_ENDIAN);

    private Vectors() {}

    /** The stored bytes of {@code v}. */
    public static byte[] encode(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    /** The vector of stored bytes. */
    public static float[] decode(byte[] bytes) {
        float[] v = new float[bytes.length / 4];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    /**
     * The sum of the squares of {@code v}'s components, in double and in index order: the same
     * sum a score computes for a stored vector, so a vector scored against itself gives exactly 1.
     */
    public static double squaredNorm(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        return sum;
    }

    /** {@code v} scaled to unit length, the norm summed in double (the square of a large float overflows float). */
    public static float[] normalise(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        double inv = 1 / Math.sqrt(norm);
        float[] unit = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            unit[i] = (float) (v[i] * inv);
        }
        return unit;
    }
}
