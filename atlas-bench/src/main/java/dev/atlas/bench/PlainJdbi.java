package dev.atlas.bench;

import dev.atlas.Ids;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.internal.JsonDoc;
import dev.atlas.jdbi.internal.SearchText;
import org.jdbi.v3.core.Jdbi;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * The three statements of an append run through Atlas's own configured Jdbi (same argument
 * binding, same pool) but without Atlas's validation, JSON handling and result mapping. A
 * diagnostic between raw JDBC and Atlas: it splits the gap into what Jdbi costs and what
 * Atlas's own logic costs.
 */
final class PlainJdbi {
    private final Jdbi jdbi;
    private final String tenant;
    private final RawJdbc raw;

    PlainJdbi(BenchDatabase.Opened db, String tenant) {
        this.jdbi = BenchJdbi.of(((JdbiAtlas) db.rawAtlas()).db());
        this.tenant = tenant;
        this.raw = new RawJdbc(db.dataSource(), db.dialect(), tenant);
    }

    /**
     * Raw JDBC statements inside a Jdbi transaction ({@code Handle.getConnection()}): what Jdbi's
     * handle and transaction management cost, without its statement machinery.
     */
    long rawInJdbiTransaction(UUID conversationId, String role, String content) {
        return jdbi.inTransaction(h -> {
            try {
                return raw.appendOn(h.getConnection(), conversationId, role, content);
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException("raw append in a Jdbi transaction failed", e);
            }
        });
    }

    long append(UUID conversationId, String role, String content) {
        UUID id = Ids.next();
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        String title = "user".equals(role) ? (content.length() > 80 ? content.substring(0, 80) : content) : null;
        return jdbi.inTransaction(h -> {
            long seq = h.createQuery("UPDATE <p>conversations SET last_sequence = last_sequence + 1,"
                            + " last_message_at = :now, activity_at = :now, updated_at = :now, title = COALESCE(title, :autoTitle),"
                            + " status = CASE WHEN status = 'archived' THEN 'open' ELSE status END"
                            + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL AND status != 'closed'"
                            + " RETURNING last_sequence")
                    .bind("t", tenant).bind("id", conversationId).bind("now", now).bind("autoTitle", title)
                    .mapTo(Long.class).one();
            h.createUpdate("INSERT INTO <p>messages (tenant_id, id, conversation_id, sequence, role, content_type, content, status,"
                            + " is_active, metadata, created_at, updated_at, search_text) VALUES (:t, :id, :c, :seq, :role, 'text',"
                            + " :content, 'delivered', TRUE, :metadata, :now, :now, :searchText)")
                    .bind("t", tenant).bind("id", id).bind("c", conversationId).bind("seq", seq).bind("role", role)
                    .bind("content", content).bind("searchText", SearchText.index(content)).bind("metadata", new JsonDoc("{}")).bind("now", now)
                    .execute();
            h.createUpdate("INSERT INTO <p>message_events (tenant_id, id, conversation_id, message_id, type, details, created_at)"
                            + " VALUES (:t, :id, :c, :m, 'created', :details, :now)")
                    .bind("t", tenant).bind("id", Ids.next()).bind("c", conversationId).bind("m", id)
                    .bind("details", new JsonDoc("{\"sequence\":" + seq + ",\"role\":\"" + role + "\",\"status\":\"delivered\"}"))
                    .bind("now", now)
                    .execute();
            return seq;
        });
    }
}
