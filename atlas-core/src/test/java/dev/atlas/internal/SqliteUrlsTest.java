package dev.atlas.internal;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Which URLs SQLite opens as its private temporary database, and which file the others name. */
class SqliteUrlsTest {
    @Test
    void aUrlWithNoFileIsTemporaryUnlessItAsksForMemoryOrAResource() {
        for (String url : new String[] {"jdbc:sqlite:", "jdbc:sqlite:?journal_mode=WAL", "jdbc:sqlite:file:", "jdbc:sqlite:file://",
                "jdbc:sqlite:file://?mode=rwc"}) {
            assertThat(SqliteUrls.isTemporary(url)).as(url).isTrue();
            assertThat(SqliteUrls.file(url)).as(url).isEmpty();
        }
        for (String url : new String[] {"jdbc:sqlite::memory:", "jdbc:sqlite:file::memory:?cache=shared", "jdbc:sqlite:file:x?mode=memory",
                "jdbc:sqlite::resource:db/app.db", "jdbc:sqlite:app.db", "jdbc:sqlite:file:///tmp/a%20b.db"}) {
            assertThat(SqliteUrls.isTemporary(url)).as(url).isFalse();
        }
        assertThat(SqliteUrls.file("jdbc:sqlite:file:///tmp/a%20b.db?mode=rwc")).isEqualTo(Optional.of(Path.of("/tmp/a b.db")));
        assertThat(SqliteUrls.file("jdbc:sqlite:file://localhost/tmp/c.db")).isEqualTo(Optional.of(Path.of("/tmp/c.db")));
        assertThat(SqliteUrls.file("jdbc:sqlite:data/app.db")).isEqualTo(Optional.of(Path.of("data/app.db")));
    }
}
