package dev.atlas.jdbi;

import dev.atlas.InvalidInputException;
import dev.atlas.asset.LocalDirectoryBlobStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The default blob store's refusals: no database involved, so a plain test run once (moved from AssetStoreContract). */
class LocalDirectoryBlobStoreInputValidationTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("the default blob store refuses a bad key, null arguments and a null root with InvalidInputException naming the parameter")
    void localDirectoryBlobStoreRefusesBadInput() {
        LocalDirectoryBlobStore store = new LocalDirectoryBlobStore(dir.resolve("direct"));
        for (String key : new String[] {"../escape", "/absolute", "a//b", ".tmp/x", "", "a b", "x/../../y"}) {
            assertThat(catchThrowableOfType(() -> store.put(key, new ByteArrayInputStream(new byte[] {1})), InvalidInputException.class).field())
                    .as("put " + key).isEqualTo("key");
            assertThat(catchThrowableOfType(() -> store.open(key), InvalidInputException.class).field()).as("open " + key).isEqualTo("key");
            assertThat(catchThrowableOfType(() -> store.delete(key), InvalidInputException.class).field()).as("delete " + key).isEqualTo("key");
        }
        assertThat(catchThrowableOfType(() -> store.put(null, new ByteArrayInputStream(new byte[] {1})), InvalidInputException.class).field())
                .isEqualTo("key");
        assertThat(catchThrowableOfType(() -> store.put("k", null), InvalidInputException.class).field()).isEqualTo("content");
        assertThat(catchThrowableOfType(() -> store.open(null), InvalidInputException.class).field()).isEqualTo("key");
        assertThat(catchThrowableOfType(() -> store.delete(null), InvalidInputException.class).field()).isEqualTo("key");
        assertThat(catchThrowableOfType(() -> store.list(null), InvalidInputException.class).field()).isEqualTo("prefix");
        assertThat(catchThrowableOfType(() -> store.removeAbandonedTemporaryFiles(null), InvalidInputException.class).field()).isEqualTo("olderThan");
        java.time.Instant now = java.time.Instant.now();
        for (String prefix : new String[] {"a", "a/b", "../a/", "/a/", "a//", ".tmp/", "/"}) {
            assertThat(catchThrowableOfType(() -> store.removeAbandonedTemporaryFiles(prefix, now), InvalidInputException.class).field())
                    .as("removeAbandonedTemporaryFiles " + prefix).isEqualTo("keyPrefix");
        }
        assertThat(catchThrowableOfType(() -> store.removeAbandonedTemporaryFiles(null, now), InvalidInputException.class).field())
                .isEqualTo("keyPrefix");
        assertThat(catchThrowableOfType(() -> store.removeAbandonedTemporaryFiles("a/", null), InvalidInputException.class).field())
                .isEqualTo("olderThan");
        assertThat(catchThrowableOfType(() -> new LocalDirectoryBlobStore(null), InvalidInputException.class).field()).isEqualTo("root");
        assertThat(store.root().resolve("k")).doesNotExist();
    }
}
