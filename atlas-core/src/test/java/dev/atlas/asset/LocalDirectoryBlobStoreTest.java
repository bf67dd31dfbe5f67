package dev.atlas.asset;

import dev.atlas.InvalidInputException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The default blob store's own promises: a key is written once, whole, and names only a portable file. */
class LocalDirectoryBlobStoreTest {
    @TempDir
    Path dir;

    /** A stream of {@code bytes} that, at its end, waits until every other such stream has reached its own. */
    private static InputStream meetingAtTheEnd(byte[] bytes, CyclicBarrier barrier) {
        return new ByteArrayInputStream(bytes) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                int n = super.read(b, off, len);
                if (n < 0) {
                    try {
                        barrier.await();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
                return n;
            }
        };
    }

    @Test
    @DisplayName("puts racing to one key: exactly one lands, the others fail with FileAlreadyExistsException, and the key holds the winner's bytes whole")
    void concurrentPutsOfOneKey() throws Exception {
        LocalDirectoryBlobStore store = new LocalDirectoryBlobStore(dir.resolve("blobs"));
        int writers = 4;
        for (int round = 0; round < 20; round++) {
            String key = "race/k" + round;
            CyclicBarrier barrier = new CyclicBarrier(writers);
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            try {
                List<Future<StoredBlob>> puts = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    byte[] bytes = new byte[1000 + w];
                    java.util.Arrays.fill(bytes, (byte) w);
                    puts.add(pool.submit(() -> store.put(key, meetingAtTheEnd(bytes, barrier))));
                }
                List<StoredBlob> landed = new ArrayList<>();
                for (Future<StoredBlob> put : puts) {
                    try {
                        landed.add(put.get());
                    } catch (java.util.concurrent.ExecutionException e) {
                        assertThat(e.getCause()).isInstanceOf(FileAlreadyExistsException.class);
                    }
                }
                assertThat(landed).as("round %d", round).hasSize(1);
                try (InputStream in = store.open(key)) {
                    byte[] read = in.readAllBytes();
                    assertThat(read).hasSize((int) landed.get(0).sizeBytes());
                    byte[] want = new byte[read.length];
                    java.util.Arrays.fill(want, (byte) (read.length - 1000));
                    assertThat(read).isEqualTo(want);
                }
            } finally {
                pool.shutdownNow();
            }
        }
        try (Stream<Path> tmp = Files.walk(store.root().resolve(".tmp"))) {
            assertThat(tmp.filter(Files::isRegularFile)).as("no temporary file left").isEmpty();
        }
    }

    @Test
    @DisplayName("a key naming a Windows device (CON, NUL.txt, com1 …) or a segment ending in '.' is refused by every method: the directory must stay usable on any OS")
    void nonPortableKeysAreRefused() {
        LocalDirectoryBlobStore store = new LocalDirectoryBlobStore(dir.resolve("blobs"));
        for (String key : new String[] {"con", "CON", "a/nul", "NUL.txt", "a/Aux.tar.gz", "prn", "com1", "COM9.log", "lpt1/x", "a/lpt9",
                "a.", "a/b.", "x/y../z"}) {
            assertThat(catchThrowableOfType(() -> store.put(key, new ByteArrayInputStream(new byte[] {1})), InvalidInputException.class))
                    .as("put " + key).isNotNull().extracting(InvalidInputException::field).isEqualTo("key");
        }
        assertThat(store.root()).doesNotExist();
    }

    @Test
    @DisplayName("a blob already stored under a key a put now refuses (an earlier version's, or the application's own file) still opens and deletes")
    void storedNonPortableKeysStayReadable() throws IOException {
        LocalDirectoryBlobStore store = new LocalDirectoryBlobStore(dir.resolve("blobs"));
        for (String key : new String[] {"con", "a/NUL.txt", "lpt1/x", "a/b."}) {
            Path file = store.root().resolve(key);
            Files.createDirectories(file.getParent());
            Files.write(file, key.getBytes());
            try (InputStream in = store.open(key)) {
                assertThat(new String(in.readAllBytes())).isEqualTo(key);
            }
            assertThat(store.delete(key)).as("delete " + key).isTrue();
            assertThat(file).doesNotExist();
        }
    }

    @Test
    @DisplayName("names that only look like devices are ordinary keys: console, com10, lpt, nul_x, a.con, com0")
    void deviceLookalikesAreKeys() throws IOException {
        LocalDirectoryBlobStore store = new LocalDirectoryBlobStore(dir.resolve("blobs"));
        for (String key : new String[] {"console", "com10", "lpt", "nul_x", "a.con", "com0", "auxiliary/x", "a/b.c.d", "a..b"}) {
            store.put(key, new ByteArrayInputStream(key.getBytes()));
            try (InputStream in = store.open(key)) {
                assertThat(new String(in.readAllBytes())).isEqualTo(key);
            }
        }
    }

    @Test
    @DisplayName("a put to a key that exists fails with FileAlreadyExistsException, leaves the stored bytes as they were and no temporary file")
    void putNeverReplaces() throws IOException {
        LocalDirectoryBlobStore store = new LocalDirectoryBlobStore(dir.resolve("blobs"));
        store.put("a/b", new ByteArrayInputStream(new byte[] {1, 2, 3}));
        assertThatThrownBy(() -> store.put("a/b", new ByteArrayInputStream(new byte[] {9}))).isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> store.put("a", new ByteArrayInputStream(new byte[] {9}))).isInstanceOf(FileAlreadyExistsException.class);
        try (InputStream in = store.open("a/b")) {
            assertThat(in.readAllBytes()).containsExactly(1, 2, 3);
        }
        try (Stream<Path> tmp = Files.walk(store.root().resolve(".tmp"))) {
            assertThat(tmp.filter(Files::isRegularFile)).isEmpty();
        }
    }
}
