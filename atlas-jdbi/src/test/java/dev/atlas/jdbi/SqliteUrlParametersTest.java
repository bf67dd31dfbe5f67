package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.ConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A plain path's {@code ?parameters} that are no setting of the SQLite driver stay in the file name:
 * {@code jdbc:sqlite:/srv/a.db?cache=shared} wrote {@code /srv/a.db?cache=shared} (not owner-only) while Atlas
 * created, and the CLI described, an empty {@code /srv/a.db}.
 */
class SqliteUrlParametersTest {
    @TempDir
    Path dir;

    private java.util.List<String> files() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aParameterThatIsNoDriverSettingIsRefusedBeforeAnyFileIsCreated() throws Exception {
        String url = "jdbc:sqlite:" + dir.resolve("a.db") + "?journal_mode=WAL&cache=shared";
        assertThatThrownBy(() -> Atlas.builder().jdbcUrl(url).build()).isInstanceOf(ConfigurationException.class)
                .hasMessage("jdbcUrl " + url + ": cache is not a setting of the SQLite driver, which would open a file named '"
                        + dir.resolve("a.db") + "?cache=shared' for it; SQLite's own parameters need a file: URI (jdbc:sqlite:file:"
                        + dir.resolve("a.db") + "?journal_mode=WAL&cache=shared)");
        assertThat(files()).isEmpty();
        // SQLCipher's key is no setting of this driver: refused too, and masked in the file name as in the URL.
        String keyed = "jdbc:sqlite:" + dir.resolve("k.db") + "?key=s3cr3t";
        assertThatThrownBy(() -> Atlas.builder().jdbcUrl(keyed).build()).isInstanceOf(ConfigurationException.class)
                .hasMessageStartingWith("jdbcUrl jdbc:sqlite:" + dir.resolve("k.db") + "?key=****: key is not a setting")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("s3cr3t"));
        assertThat(files()).isEmpty();
    }

    /**
     * {@code :memory:} with such a parameter is no in-memory database: the driver opened a file named
     * {@code :memory:?cache=shared} (0644) in the working directory, kept after close, while Atlas ran it as in-memory.
     */
    @Test
    void inMemoryWithAParameterThatIsNoDriverSettingIsRefusedBeforeAnyFileIsCreated() throws Exception {
        Path stray = Path.of(":memory:?cache=shared").toAbsolutePath();
        try {
            assertThatThrownBy(() -> {
                try (Atlas atlas = Atlas.builder().jdbcUrl("jdbc:sqlite::memory:?cache=shared").build()) {
                    atlas.tenant("acme").conversations();
                }
            }).isInstanceOf(ConfigurationException.class).hasMessage("jdbcUrl jdbc:sqlite::memory:?cache=shared: cache is not a setting of"
                    + " the SQLite driver, which would open a file named ':memory:?cache=shared' for it; SQLite's own parameters need a"
                    + " file: URI (jdbc:sqlite:file::memory:?cache=shared)");
            assertThat(stray).doesNotExist();
        } finally {
            Files.deleteIfExists(stray);
        }
        // The driver's own settings leave :memory: an in-memory database.
        try (Atlas atlas = Atlas.builder().jdbcUrl("jdbc:sqlite::memory:?journal_mode=WAL").build()) {
            atlas.tenant("acme").conversations();
        }
        assertThat(Path.of(":memory:?journal_mode=WAL")).doesNotExist();
        assertThat(Path.of(":memory:")).doesNotExist();
    }

    @Test
    void theDriversSettingsAndAFileUriKeepTheFileNamed() throws Exception {
        try (Atlas atlas = Atlas.builder().jdbcUrl("jdbc:sqlite:" + dir.resolve("b.db") + "?journal_mode=WAL&busy_timeout=5000").build()) {
            atlas.tenant("acme").conversations();
        }
        try (Atlas atlas = Atlas.builder().jdbcUrl("jdbc:sqlite:file:" + dir.resolve("c.db") + "?cache=shared").build()) {
            atlas.tenant("acme").conversations();
        }
        assertThat(files()).filteredOn(f -> !f.endsWith("-wal") && !f.endsWith("-shm") && !f.endsWith("-assets")).containsExactly("b.db", "c.db");
    }
}
