package dev.atlas.asset;

import dev.atlas.InvalidInputException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Keys are not only Atlas's own ({@code AssetStore.register} takes the caller's), so a symbolic
 * link under the blob directory must not let a key read, write or delete a file outside it.
 */
class LocalDirectoryBlobStoreSymlinkTest {
    @TempDir
    Path dir;

    private Path root;
    private Path outside;
    private Path secret;
    private LocalDirectoryBlobStore store;

    @BeforeEach
    void setUp() throws IOException {
        root = Files.createDirectories(dir.resolve("blobs"));
        outside = Files.createDirectories(dir.resolve("outside"));
        secret = Files.writeString(outside.resolve("secret.txt"), "not a blob");
        store = new LocalDirectoryBlobStore(root);
    }

    private static InputStream bytes(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
    }

    private void assertRefused(String key) {
        assertThat(catchThrowableOfType(() -> store.open(key), InvalidInputException.class).field()).as("open " + key).isEqualTo("key");
        assertThat(catchThrowableOfType(() -> store.put(key, bytes("x")), InvalidInputException.class).field()).as("put " + key).isEqualTo("key");
        assertThat(catchThrowableOfType(() -> store.delete(key), InvalidInputException.class).field()).as("delete " + key).isEqualTo("key");
    }

    @Test
    @DisplayName("a key through a linked directory that leads out of the root is refused for open, put and delete; nothing outside changes")
    void linkedDirectoryOutOfTheRoot() throws IOException {
        Files.createSymbolicLink(root.resolve("out"), outside);
        assertRefused("out/secret.txt");
        assertRefused("out/new.bin");
        assertRefused("out/deeper/new.bin");
        assertThat(secret).hasContent("not a blob");
        assertThat(outside.resolve("new.bin")).doesNotExist();
        assertThat(outside.resolve("deeper")).doesNotExist();
    }

    @Test
    @DisplayName("a key that is itself a link to a file outside the root, or a dangling link, is refused; link and target stay")
    void linkedFileOutOfTheRoot() throws IOException {
        Path link = Files.createSymbolicLink(root.resolve("leak"), secret);
        Files.createSymbolicLink(root.resolve("dangling"), outside.resolve("later.txt"));
        assertRefused("leak");
        assertRefused("dangling");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(secret).hasContent("not a blob");
        assertThat(outside.resolve("later.txt")).doesNotExist();
        assertThat(store.list("")).isEmpty();
    }

    @Test
    @DisplayName("a temporary directory linked out of the root is neither written nor cleaned: the files it leads to stay")
    void linkedTemporaryDirectory() throws IOException {
        Files.createSymbolicLink(root.resolve(".tmp"), outside);
        assertThatThrownBy(() -> store.put("k", bytes("x"))).isInstanceOf(IOException.class).hasMessageContaining(".tmp");
        assertThatThrownBy(() -> store.removeAbandonedTemporaryFiles(Instant.now().plusSeconds(3600)))
                .isInstanceOf(IOException.class).hasMessageContaining(".tmp");
        assertThat(secret).hasContent("not a blob");
        try (var files = Files.list(outside)) {
            assertThat(files).containsExactly(secret);
        }
        assertThat(root.resolve("k")).doesNotExist();
    }

    @Test
    @DisplayName("ordinary keys, links that stay inside the root, and a root reached through a link work as before")
    void linksInsideTheRootStillWork() throws IOException {
        assertThat(store.put("a/b.bin", bytes("hello")).sizeBytes()).isEqualTo(5);
        Files.createSymbolicLink(root.resolve("alias"), root.resolve("a"));
        try (InputStream in = store.open("alias/b.bin")) {
            assertThat(in.readAllBytes()).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
        }
        LocalDirectoryBlobStore viaLink = new LocalDirectoryBlobStore(Files.createSymbolicLink(dir.resolve("blobs-link"), root));
        assertThat(viaLink.put("c/d.bin", bytes("bye")).sizeBytes()).isEqualTo(3);
        try (InputStream in = viaLink.open("a/b.bin")) {
            assertThat(in.readAllBytes()).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(viaLink.delete("c/d.bin")).isTrue();
        assertThat(store.delete("a/b.bin")).isTrue();
        assertThat(store.delete("a/b.bin")).isFalse();
        assertThat(store.removeAbandonedTemporaryFiles(Instant.now().plusSeconds(3600))).isZero();
        assertThat(new LocalDirectoryBlobStore(dir.resolve("not-yet")).delete("x/y")).isFalse();
    }
}
