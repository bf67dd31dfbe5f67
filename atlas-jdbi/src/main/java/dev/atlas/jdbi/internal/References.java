package dev.atlas.jdbi.internal;

import dev.atlas.NotFoundException;

import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The references migration V12 made the database enforce, with the input field that carries
 * each one. The stores check these ids before writing; the database is the guard behind them
 * (a purge that commits between the check and the insert, a write outside Atlas). When it
 * refuses a write, {@link #notFound} turns the refusal back into the {@link NotFoundException}
 * the store's own check would have thrown, so the caller sees one outcome either way.
 *
 * <p>PostgreSQL reports the constraint by name; the SQLite triggers raise the same name in
 * PostgreSQL's wording, so one parser serves both.
 */
public final class References {
    /** One reference: {@code table.column} names a row of {@code entity}; {@code field} is the input that carries it. */
    public record Reference(String constraint, String table, String column, String entity, String field) {}

    public static final List<Reference> ALL = List.of(
            new Reference("messages_execution_fk", "messages", "execution_id", "execution", "executionId"),
            new Reference("messages_step_fk", "messages", "step_id", "step", "stepId"),
            new Reference("conversations_assistant_fk", "conversations", "assistant_id", "assistant", "assistantId"),
            new Reference("conversations_revision_fk", "conversations", "assistant_revision_id", "assistant revision", "assistantRevisionId"),
            new Reference("executions_revision_fk", "executions", "assistant_revision_id", "assistant revision", "assistantRevisionId"));

    private static final Pattern CHILD_SIDE = Pattern.compile("insert or update on table \"?(\\w+)\"? violates foreign key constraint \"?(\\w+)\"?");
    // PostgreSQL's detail: Key (tenant_id, execution_id)=(acme, 0190...) is not present in table "...".
    private static final Pattern KEY = Pattern.compile("=\\(.*, ([0-9a-fA-F-]{36})\\) is not present");

    private References() {}

    /**
     * The NotFoundException for a write the database refused because it named a missing row
     * through one of {@link #ALL}; empty for any other error (including a delete refused because
     * a row is still named: that is Atlas's own ordering mistake, not the caller's input).
     */
    static Optional<NotFoundException> notFound(SQLException sql, String prefix) {
        String message = String.valueOf(sql.getMessage());
        Matcher m = CHILD_SIDE.matcher(message);
        if (!m.find()) {
            return Optional.empty();
        }
        for (Reference r : ALL) {
            if (m.group(2).equals(prefix + r.constraint())) {
                Matcher key = KEY.matcher(message);
                Object id = key.find() ? UUID.fromString(key.group(1)) : null;
                return Optional.of(new NotFoundException(r.entity(), id, r.field()));
            }
        }
        return Optional.empty();
    }
}
