package dev.atlas.jdbi.kit;

import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The statement runner's cache of prepared statements across write transactions, on every database. */
public abstract class StatementCacheContract extends AtlasContract {
    protected StatementCacheContract(TestDatabase database) {
        super(database);
    }

    @Test
    @DisplayName("a batch abandoned after add() (a store refusing mid-batch) leaves nothing queued on the cached statement: the next batch"
            + " on it writes only its own rows")
    void abandonedBatchRowsDoNotLeakIntoTheNextBatch() {
        Db db = ((JdbiAtlas) atlas).db();
        db.write(h -> (Object) AdHoc.execute(h, "CREATE TABLE probe_rows (v TEXT NOT NULL)"));
        Statement insert = new Catalogue(db.dialect(), db.prefix()).crossTenant("test.probeInsert", "a test table without tenants",
                "INSERT INTO probe_rows (v) VALUES (:v)");
        assertThatThrownBy(() -> db.write(h -> {
            Sql.crossTenant(db).on(h, insert).bind("v", "abandoned").add();
            throw new IllegalStateException("refused mid-batch");
        })).hasMessageContaining("refused mid-batch");
        db.write(h -> Sql.crossTenant(db).on(h, insert).bind("v", "kept").add().batch());
        java.util.List<String> rows = db.read(h -> AdHoc.on(db, h, "SELECT v FROM probe_rows ORDER BY v").list((rs, ctx) -> rs.getString(1)));
        assertThat(rows).containsExactly("kept");
    }
}
