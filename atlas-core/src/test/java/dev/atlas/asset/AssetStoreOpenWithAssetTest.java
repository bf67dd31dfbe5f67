package dev.atlas.asset;

import dev.atlas.StorageException;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * {@link AssetStore#openWithAsset}'s default, as a store that wraps another (a decorator adding metrics, a test
 * double) gets it when it forwards {@code open} but not this method.
 */
class AssetStoreOpenWithAssetTest {
    static final Asset ASSET = new Asset(UUID.fromString("019c0000-0000-7000-8000-000000000001"), "acme", AssetType.values()[0], "image/png",
            "chart.png", "k", 5, "00", null, null, null, null, null, Map.of(), Instant.EPOCH, Instant.EPOCH, null);

    /** A store answering get with {@link #ASSET} and open with {@code bytes}; every other abstract method is unused. */
    static AssetStore store(InputStream bytes) {
        InvocationHandler h = (proxy, m, args) -> switch (m.getName()) {
            case "get" -> Optional.of(ASSET);
            case "open" -> bytes;
            default -> m.isDefault() ? InvocationHandler.invokeDefault(proxy, m, args) : null;
        };
        return (AssetStore) Proxy.newProxyInstance(AssetStore.class.getClassLoader(), new Class<?>[] {AssetStore.class}, h);
    }

    @Test
    void theDefaultReadsTheAssetThenOpensIt() throws Exception {
        try (AssetInputStream in = store(new ByteArrayInputStream("bytes".getBytes(StandardCharsets.UTF_8))).openWithAsset(ASSET.id())) {
            assertThat(in.asset()).isEqualTo(ASSET);
            assertThat(in.readAllBytes()).isEqualTo("bytes".getBytes(StandardCharsets.UTF_8));
        }
    }

    /**
     * A wrapped store whose open returns no stream is a StorageException, as a blob store's is (open's Javadoc): the
     * caller gave an id, and "in: is required" would blame an argument it never passed.
     */
    @Test
    void aWrappedOpenReturningNoStreamIsAStorageException() {
        Throwable x = catchThrowable(() -> store(null).openWithAsset(ASSET.id()));
        assertThat(x).isInstanceOf(StorageException.class)
                .hasMessage("open of asset " + ASSET.id() + " returned no stream");
    }
}
