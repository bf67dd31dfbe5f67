package dev.atlas.jdbi.kit;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.execution.ExecutionSpec;
import dev.atlas.execution.FinishReason;
import dev.atlas.execution.StepHandle;
import dev.atlas.execution.Usage;
import dev.atlas.memory.NewMemory;
import dev.atlas.retention.RetentionPolicy;
import dev.atlas.search.TextQuery;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskStatus;
import dev.atlas.task.TaskWorker;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With every logger at TRACE, a workload touching every store and background worker logs none
 * of what it stored: content, titles, metadata values, tool arguments and results, credential
 * secrets or their ciphertext, task payloads and results, search text, the JDBC password, nor
 * the id of a tenant the workload did not use.
 */
public abstract class LogLeakContract extends AtlasContract {
    private static final byte[] KEY = TestKeys.key("k1");
    /** Every value the workload stores carries this marker. */
    protected static final String SECRET = "Zq9SECRET";

    static {
        new java.security.SecureRandom().nextBytes(KEY);
    }

    protected LogLeakContract(TestDatabase database) {
        super(database);
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return super.configure(builder).credentialKeys(CredentialKeys.of("k1", KEY));
    }

    @Test
    @DisplayName("at TRACE, no stored value, secret, ciphertext or other tenant's id appears in any log line")
    void nothingStoredIsLogged() throws Exception {
        atlas.tenant("otherTenantXq7").conversations().create(NewConversation.of(Owner.user("eve"), "support").title(SECRET + "-other"));
        List<String> leaks = new ArrayList<>();
        String logged;
        try (LogCapture logs = LogCapture.start()) {
            Tenant acme = atlas.tenant("acme");
            workload(acme);
            runWorkers(acme);
            logged = logs.text();
        }
        for (String ciphertext : ciphertexts()) {
            if (logged.contains(ciphertext)) {
                leaks.add("ciphertext " + ciphertext);
            }
        }
        assertThat(logged).as("the capture works: statements are logged at debug").contains("dev.atlas.sql");
        assertThat(logged).as("the capture works: the worker's warning is logged").contains("returned a result that cannot be stored");
        assertThat(logged).doesNotContain(SECRET).doesNotContain("otherTenantXq7");
        assertThat(leaks).isEmpty();
    }

    private void workload(Tenant acme) {
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("alice"), "support").title(SECRET + "-title")
                .metadata(Map.of("k", SECRET + "-conversation-metadata")));
        Message m = acme.conversations().append(c.id(), NewMessage.user(SECRET + " message content"));
        acme.conversations().edit(m.id(), SECRET + " edited content");
        acme.conversations().updateMetadata(c.id(), Map.of("k", SECRET + "-updated-metadata"));
        acme.conversations().updateSummary(c.id(), SECRET + "-summary");
        acme.credentials().upsert(Owner.user("alice"), "openai", "sk-" + SECRET + "-credential");
        assertThat(acme.credentials().require(Owner.user("alice"), "openai").reveal()).isEqualTo("sk-" + SECRET + "-credential");
        acme.memories().create(NewMemory.fact(Owner.user("alice"), SECRET + " memory content"));
        acme.search().text(TextQuery.messages(SECRET + " query"));
        acme.search().text(TextQuery.memories(SECRET + " query"));
        acme.executions().record(ExecutionSpec.text("openai", "gpt-4o").conversation(c.id()).metadata(Map.of("k", SECRET + "-exec-metadata")),
                exec -> {
                    StepHandle step = exec.step();
                    step.toolCall("call_1", "lookup", "{\"q\":\"" + SECRET + "-arguments\"}").complete("{\"r\":\"" + SECRET + "-result\"}");
                    step.finish(SECRET + " completion", SECRET + " reasoning", FinishReason.STOP, Usage.of(10, 2));
                    exec.reply(step, SECRET + " reply");
                    return null;
                });
        acme.executions().start(ExecutionSpec.text("openai", "gpt-4o"));
        clock.advanceMicros(Duration.ofHours(2).toNanos() / 1000);
        acme.executions().sweepInterrupted(Duration.ofHours(1));
        acme.retention().runRetention(RetentionPolicy.none().deleteMessagesOlderThan(Duration.ofMinutes(1)).hardDeleteAfter(Duration.ofSeconds(1)));
    }

    /** A task worker whose handlers succeed, fail and return what cannot be stored, all with secret payloads. */
    private void runWorkers(Tenant acme) throws InterruptedException {
        List<UUID> ids = new ArrayList<>();
        ids.add(acme.tasks().create(NewTask.of("ok", Map.of("p", SECRET + "-payload")).maxAttempts(1)).id());
        ids.add(acme.tasks().create(NewTask.of("unstorable", Map.of("p", SECRET + "-payload")).maxAttempts(1)).id());
        try (TaskWorker worker = TaskWorker.builder(acme.tasks())
                .handler("ok", task -> Map.of("r", SECRET + "-task-result"))
                .handler("unstorable", task -> Map.of("r", SECRET + "-task-result", "n", Double.NaN))
                .pollInterval(Duration.ofMillis(20)).start()) {
            long giveUp = System.nanoTime() + Duration.ofMinutes(1).toNanos();
            for (UUID id : ids) {
                while (!isOver(acme.tasks().get(id).orElseThrow())) {
                    if (System.nanoTime() > giveUp) {
                        throw new AssertionError("task " + acme.tasks().get(id) + " never finished");
                    }
                    Thread.sleep(10);
                }
            }
        }
    }

    private static boolean isOver(Task t) {
        return t.status() == TaskStatus.COMPLETED || t.status() == TaskStatus.FAILED;
    }

    /** The stored ciphertexts, as hex and Base64: neither may be logged. */
    private List<String> ciphertexts() throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = database.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT ciphertext FROM atlas_credentials");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                byte[] b = rs.getBytes(1);
                out.add(HexFormat.of().formatHex(b));
                out.add(Base64.getEncoder().encodeToString(b));
            }
        }
        assertThat(out).isNotEmpty();
        return out;
    }
}
