package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.kit.SqliteTestDatabase;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.MemoryStore;
import dev.atlas.memory.NewMemory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A tag filter must be answered from the tag index: with the tag as an EXISTS per memory, SQLite
 * walked every memory of the tenant newest first, so a rare tag cost a scan of the whole tenant.
 */
class SqliteMemoryQueryPlanTest {
    private final SqliteTestDatabase database = new SqliteTestDatabase();
    private Atlas atlas;

    @BeforeEach
    void open() {
        atlas = database.open();
    }

    @AfterEach
    void close() {
        atlas.close();
        database.cleanup();
    }

    private List<String> plan(String jdbc) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = database.dataSource().getConnection(); PreparedStatement s = c.prepareStatement("EXPLAIN QUERY PLAN " + jdbc);
             ResultSet rs = s.executeQuery()) {
            while (rs.next()) {
                rows.add(rs.getString("detail"));
            }
        }
        return rows;
    }

    @Test
    @DisplayName("listing memories by tag (alone, with an owner, after a cursor) walks the tag index newest first, never the tenant's memories")
    void tagListingUsesTagIndex() throws SQLException {
        MemoryStore memories = atlas.tenant("acme").memories();
        for (int i = 0; i < 3; i++) {
            memories.create(NewMemory.fact(Owner.user("alice"), "f" + i).tags("t"));
        }
        Db db = ((JdbiAtlas) atlas).db();
        List<String> listings = new ArrayList<>();
        db.statementListener((name, jdbc) -> {
            if (name.startsWith("memories.list")) {
                listings.add(jdbc);
            }
        });
        try {
            String cursor = memories.list(MemoryQuery.all().tag("t").limit(1)).nextCursor().orElseThrow();
            memories.list(MemoryQuery.all().tag("t").limit(1).after(cursor));
            memories.list(MemoryQuery.forOwner(Owner.user("alice")).agent("support").tag("t"));
        } finally {
            db.statementListener(null);
        }
        assertThat(listings).hasSize(3);
        for (String jdbc : listings) {
            List<String> plan = plan(jdbc);
            assertThat(plan).as(plan.toString()).first().satisfies(p -> assertThat(p).startsWith("SEARCH g USING COVERING INDEX atlas_memory_tags_tag"));
            assertThat(plan).as(plan.toString()).noneSatisfy(p -> assertThat(p).contains("TEMP B-TREE"))
                    .noneSatisfy(p -> assertThat(p).matches("(SCAN m|SEARCH m .*\\(tenant_id=\\?\\)).*"));
        }
    }
}
