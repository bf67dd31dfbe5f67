package dev.atlas.asset;

import java.io.FilterInputStream;
import java.io.InputStream;

/**
 * The bytes of an asset, as {@link AssetStore#openWithAsset} returns them, with the asset they belong to:
 * its mime type, file name and size as they were when the stream was opened, read in the same
 * statement as the blob's key. A caller that needs both (a server sending
 * {@code Content-Type} and {@code Content-Length} before the bytes) reads the row once instead of
 * calling {@link AssetStore#get} and then {@link AssetStore#open}, between which the asset could
 * be deleted or purged.
 *
 * <p>Reads, skips and closes go to the stream it wraps, with its checks (see {@link AssetStore#open}).
 */
public final class AssetInputStream extends FilterInputStream {
    private final Asset asset;

    /**
     * Wraps the bytes of {@code asset}; for implementations of {@link AssetStore}.
     *
     * @param in the asset's bytes
     * @param asset the asset they belong to
     * @throws dev.atlas.InvalidInputException naming {@code in} or {@code asset} when it is null
     */
    public AssetInputStream(InputStream in, Asset asset) {
        super(dev.atlas.internal.Check.notNull("in", in));
        this.asset = dev.atlas.internal.Check.notNull("asset", asset);
    }

    /**
     * The asset whose bytes this stream reads, as it was read when the stream was opened.
     *
     * @return the asset
     */
    public Asset asset() {
        return asset;
    }
}
