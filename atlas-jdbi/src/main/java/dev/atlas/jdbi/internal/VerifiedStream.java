package dev.atlas.jdbi.internal;

import dev.atlas.NotFoundException;
import dev.atlas.StorageException;
import dev.atlas.asset.Asset;
import org.jspecify.annotations.Nullable;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.function.BooleanSupplier;

/**
 * An asset's bytes as the blob store gives them, checked against the size and SHA-256 recorded
 * with the row: bytes changed on disk (truncated, grown, overwritten) are a StorageException
 * once the recorded size is read (or the end comes before it), or once more than the recorded size
 * is read, never the asset's content. A read the blob store fails is a StorageException naming the
 * asset, caused by the store's exception. Either is a NotFoundException when the asset is no longer
 * live by then (discarded or purged meanwhile, by any instance, on a blob store that cannot read
 * deleted bytes further), as an open would have been; when that cannot be told (Atlas closed, its
 * database failing), the read's own failure is reported. Once a read failed, every later read fails
 * the same way. A read with bad arguments is the caller's IndexOutOfBoundsException or
 * NullPointerException, as any InputStream's, and fails nothing.
 * Skipped bytes are read to be hashed; a stream closed early is not checked.
 */
final class VerifiedStream extends FilterInputStream {
    private final Asset asset;
    /** Whether the asset is still live: asked only once a read failed. */
    private final BooleanSupplier live;
    private final MessageDigest sha = JdbiAssetStore.sha256();
    private long count;
    /** Whether the digest was compared, at the recorded size. */
    private boolean hashed;
    /** What the first failed read threw, which every later read throws again. */
    private @Nullable RuntimeException failed;
    private boolean closed;

    VerifiedStream(InputStream in, Asset asset, BooleanSupplier live) {
        super(in);
        this.asset = asset;
        this.live = live;
    }

    @Override
    public int read() throws IOException {
        int b = delegated(() -> in.read());
        if (b >= 0) {
            sha.update((byte) b);
        }
        seen(b < 0 ? -1 : 1);
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        // Checked here: the blob store's stream would throw them too, and they would read as its failure.
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        int n = delegated(() -> in.read(b, off, len));
        if (n > 0) {
            sha.update(b, off, n);
        }
        seen(n);
        return n;
    }

    private interface Read {
        int run() throws IOException;
    }

    /**
     * A read of the blob store's stream: its failure is the asset's (not found once the asset is
     * gone, else the blob store failing), unless this stream was closed, where a read is the
     * caller's mistake and fails as any closed stream's.
     */
    private int delegated(Read read) throws IOException {
        if (failed != null) {
            throw failed;
        }
        try {
            return read.run();
        } catch (IOException | RuntimeException e) {
            if (closed) {
                throw e;
            }
            failed = gone() ? new NotFoundException("asset", asset.id())
                    : JdbiAssetStore.blobFailure("read " + BlobReaper.shownKey(asset.blobKey()) + " of asset " + asset.id(), e);
            throw failed;
        }
    }

    /** Whether the asset is no longer live; a failure to tell (a closed Atlas) reads as live, so the read's own failure is reported. */
    private boolean gone() {
        try {
            return !live.getAsBoolean();
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public long skip(long n) throws IOException {
        // Read, not skipped: the skipped bytes count for the hash too.
        byte[] buffer = new byte[(int) Math.min(8192, Math.max(0, n))];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r < 0) {
                break;
            }
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {}

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }

    @Override
    public void close() throws IOException {
        closed = true;
        super.close();
    }

    /**
     * Counts {@code n} bytes read ({@code 0}: none, {@code -1}: the end) and checks them: the
     * SHA-256 once the recorded size is reached (a reader that takes exactly that many bytes never
     * asks for the end), the count at the end or once past the recorded size; once found wrong,
     * every later read fails too.
     */
    private void seen(int n) {
        String wrong = null;
        if (n > 0) {
            count += n;
        }
        long size = asset.sizeBytes();
        if (count > size) {
            wrong = "more than the " + size + " bytes recorded";
        } else if (count == size && n != 0 && !hashed) {
            hashed = true;
            if (!HexFormat.of().formatHex(sha.digest()).equalsIgnoreCase(asset.sha256())) {
                wrong = "bytes whose SHA-256 is not the one recorded";
            }
        } else if (n < 0 && count < size) {
            wrong = count + " bytes, not the " + size + " recorded";
        }
        if (wrong != null) {
            failed = gone() ? new NotFoundException("asset", asset.id())
                    : new StorageException("blob " + BlobReaper.shownKey(asset.blobKey()) + " of asset " + asset.id() + " holds " + wrong
                            + " (changed or damaged in the blob store); its content is not handed over", null, false, null);
            throw failed;
        }
    }
}
