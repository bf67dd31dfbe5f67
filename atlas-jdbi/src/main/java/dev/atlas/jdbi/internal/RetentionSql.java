package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.RetentionPlan.ChildTable;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

import java.util.List;
import java.util.UUID;

/**
 * Retention's statements. Most depend on the policy (which rules combine) and on how many ids a
 * batch holds, so they are {@link #render rendered}; the plan's child and detach statements are
 * also declared here once, with one id, so the catalogue test checks every table they touch.
 */
final class RetentionSql {
    private final Catalogue c;
    final Statement takeLease;
    final Statement releaseLease;
    final Statement deletedEvent;

    RetentionSql(Catalogue c) {
        this.c = c;
        // Taken on the database's clock, as task leases are: every process measures it the same way.
        takeLease = c.sql("retention.takeLease", "INSERT INTO <p>leases (tenant_id, name, holder, expires_at) VALUES (:t, :name, :holder, "
                + c.dialect().databaseNowPlusMicros("micros") + ") ON CONFLICT (tenant_id, name) DO UPDATE"
                + " SET holder = excluded.holder, expires_at = excluded.expires_at WHERE <p>leases.expires_at < " + c.dialect().databaseNow());
        releaseLease = c.sql("retention.releaseLease", "DELETE FROM <p>leases WHERE tenant_id = :t AND name = :name AND holder = :holder");
        deletedEvent = c.sql("retention.deletedEvent", "INSERT INTO <p>message_events (tenant_id, id, conversation_id, message_id, type,"
                + " details, created_at) VALUES (:t, :id, :c, :m, 'deleted', :details, :now)");
        for (List<ChildTable> plan : List.of(RetentionPlan.CONVERSATION_CHILDREN, RetentionPlan.EXECUTION_CHILDREN,
                RetentionPlan.ASSET_CHILDREN, RetentionPlan.MESSAGE_CHILDREN, RetentionPlan.MEMORY_CHILDREN)) {
            for (ChildTable child : plan) {
                c.sql("retention.delete." + child.table(), withIds(child.deleteSql(), 1));
                c.sql("retention.count." + child.table(), withIds(child.countSql(), 1));
            }
        }
        c.sql("retention.detach", withIds(RetentionPlan.CONVERSATION_DETACH.updateSql(), 1));
    }

    /** {@code text} with its {@code <ids>} list made {@code n} markers long. */
    static String withIds(String text, int n) {
        return text.replace("<ids>", InList.marks("ids", n));
    }

    /** {@code text} (binding {@code <ids>} to {@code ids}, if it has them), checked and kept the first time it is seen. */
    Statement render(String name, String text, List<UUID> ids) {
        return c.render(name, withIds(text, ids.size()));
    }
}
