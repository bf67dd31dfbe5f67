package dev.atlas.bench;

import dev.atlas.Ids;
import dev.atlas.execution.Usage;
import dev.atlas.jdbi.internal.Db;
import dev.atlas.jdbi.internal.JdbiAtlas;
import dev.atlas.jdbi.internal.JsonDoc;
import org.jdbi.v3.core.Jdbi;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

/**
 * Diagnostic for benchmark 4: the recorder's own 20 statements (same SQL text, same 18
 * transactions) through Atlas's configured Jdbi, without Atlas's validation, handles, JSON
 * handling and result mapping (the completion skips RETURNING). Between raw JDBC and Atlas, it
 * splits the gap into what Jdbi's statement machinery costs and what Atlas's own logic costs.
 */
final class PlainJdbiExecution {
    private final Jdbi jdbi;
    private final Db db;
    private final String tenant;

    PlainJdbiExecution(BenchDatabase.Opened opened, String tenant) {
        this.db = ((JdbiAtlas) opened.rawAtlas()).db();
        this.jdbi = BenchJdbi.of(db);
        this.tenant = tenant;
    }

    private static long millis(Instant from, Instant to) {
        return Math.max(0, Duration.between(from, to).toMillis());
    }

    void record(UUID conversationId, String agent) {
        String forShare = db.dialect().forShare();
        UUID id = Ids.next();
        Instant created = jdbi.inTransaction(h -> {
            Instant now = db.now();
            h.createQuery("SELECT 1 FROM <p>conversations WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL")
                    .bind("t", tenant).bind("id", conversationId).mapTo(Integer.class).one();
            h.createUpdate("INSERT INTO <p>executions (tenant_id, id, conversation_id, assistant_revision_id, type, provider, model,"
                            + " agent, status, metadata, started_at, created_at, updated_at) VALUES (:t, :id, :c, :rev, :type, :provider,"
                            + " :model, :agent, :status, :metadata, :now, :now, :now)")
                    .bind("t", tenant).bind("id", id).bind("c", conversationId).bind("rev", (UUID) null)
                    .bind("type", ExecutionScript.TYPE).bind("provider", ExecutionScript.PROVIDER).bind("model", ExecutionScript.MODEL)
                    .bind("agent", agent).bind("status", "processing").bind("metadata", new JsonDoc("{}")).bind("now", now)
                    .execute();
            return now;
        });
        int k = 0;
        for (int i = 0; i < ExecutionScript.STEPS; i++) {
            UUID stepId = Ids.next();
            int sequence = i + 1;
            Instant stepStarted = jdbi.inTransaction(h -> {
                Instant now = db.now();
                h.createUpdate("INSERT INTO <p>execution_steps (tenant_id, id, execution_id, sequence, status, started_at,"
                                + " created_at, updated_at) SELECT :t, :id, :e, :seq, 'processing', :now, :now, :now FROM <p>executions"
                                + " WHERE tenant_id = :t AND id = :e AND status = 'processing'" + forShare)
                        .bind("t", tenant).bind("id", stepId).bind("e", id).bind("seq", sequence).bind("now", now).execute();
                return now;
            });
            for (int n = 0; n < ExecutionScript.CALLS_PER_STEP[i]; n++) {
                UUID callId = Ids.next();
                int index = n;
                int number = k++;
                Instant callStarted = jdbi.inTransaction(h -> {
                    Instant now = db.now();
                    h.createUpdate("INSERT INTO <p>execution_tool_calls (tenant_id, id, execution_id, step_id, provider_call_id,"
                                    + " call_index, name, type, arguments, status, started_at, created_at, updated_at)"
                                    + " SELECT :t, :id, :e, :s, :providerCallId, :index, :name, :type, :arguments, 'processing', :now, :now, :now"
                                    + " FROM <p>executions WHERE tenant_id = :t AND id = :e AND status = 'processing'" + forShare)
                            .bind("t", tenant).bind("id", callId).bind("e", id).bind("s", stepId)
                            .bind("providerCallId", ExecutionScript.callId(number)).bind("index", index).bind("name", ExecutionScript.TOOL)
                            .bind("type", "local").bind("arguments", ExecutionScript.arguments(number)).bind("now", now)
                            .execute();
                    return now;
                });
                jdbi.useTransaction(h -> {
                    Instant now = db.now();
                    h.createUpdate("UPDATE <p>execution_tool_calls SET status = :target, result = :result,"
                                    + " completed_at = :now, duration_ms = :duration, updated_at = :now"
                                    + " WHERE tenant_id = :t AND id = :id AND status = 'processing'")
                            .bind("t", tenant).bind("id", callId).bind("target", "completed").bind("now", now)
                            .bind("duration", millis(callStarted, now)).bind("result", ExecutionScript.RESULT).execute();
                });
            }
            int step = i;
            jdbi.useTransaction(h -> {
                Instant now = db.now();
                Usage u = ExecutionScript.stepUsage(step);
                h.createUpdate("UPDATE <p>execution_steps SET status = :target, content = :content, reasoning = :reasoning,"
                                + " finish_reason = :finish, input_tokens = :in, output_tokens = :out, reasoning_tokens = :rt,"
                                + " cached_tokens = :cached, cache_write_tokens = :cw,"
                                + " completed_at = :now, duration_ms = :duration, updated_at = :now"
                                + " WHERE tenant_id = :t AND id = :id AND status = 'processing'")
                        .bind("t", tenant).bind("id", stepId).bind("target", "completed").bind("now", now)
                        .bind("duration", millis(stepStarted, now)).bind("content", ExecutionScript.content(step))
                        .bind("reasoning", (String) null).bind("finish", ExecutionScript.finish(step).toString())
                        .bind("in", u.inputTokens()).bind("out", u.outputTokens()).bind("rt", u.reasoningTokens())
                        .bind("cached", u.cachedTokens()).bind("cw", u.cacheWriteTokens()).execute();
            });
        }
        jdbi.useTransaction(h -> {
            Instant now = db.now();
            Usage u = ExecutionScript.total();
            long[] price = h.createQuery("SELECT input_micros_per_mtok, output_micros_per_mtok FROM <p>model_prices"
                            + " WHERE tenant_id = :t AND provider = :provider AND model = :model AND valid_from <= :at"
                            + " ORDER BY valid_from DESC LIMIT 1")
                    .bind("t", tenant).bind("provider", ExecutionScript.PROVIDER).bind("model", ExecutionScript.MODEL).bind("at", created)
                    .map((rs, ctx) -> new long[] {rs.getLong(1), rs.getLong(2)}).one();
            long cost = u.inputTokens() * price[0] + u.outputTokens() * price[1];
            h.createUpdate("UPDATE <p>executions SET status = :target, input_tokens = :in, output_tokens = :out,"
                            + " reasoning_tokens = :reasoning, cached_tokens = :cached, cache_write_tokens = :cacheWrite, cost_pico = :cost,"
                            + " error = :error, completed_at = :now, duration_ms = :duration, first_token_ms = COALESCE(first_token_ms, :ttft),"
                            + " updated_at = :now WHERE tenant_id = :t AND id = :id AND status = 'processing'")
                    .bind("t", tenant).bind("id", id).bind("target", "completed")
                    .bind("in", u.inputTokens()).bind("out", u.outputTokens()).bind("reasoning", u.reasoningTokens())
                    .bind("cached", u.cachedTokens()).bind("cacheWrite", u.cacheWriteTokens()).bind("cost", cost)
                    .bind("error", (String) null).bind("now", now).bind("duration", millis(created, now)).bind("ttft", (Long) null)
                    .execute();
        });
    }
}
