package dev.atlas;

import java.nio.file.Path;

import dev.atlas.assistant.AssistantStore;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.credential.CredentialStore;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.memory.MemoryStore;
import dev.atlas.retention.Retention;
import dev.atlas.search.Search;
import dev.atlas.task.TaskStore;

/**
 * The entry point: one instance per database, shared by the whole application and closed on
 * shutdown. Thread-safe.
 *
 * <pre>{@code
 * try (Atlas atlas = Atlas.sqlite(Path.of("agent.db"))) {
 *     var acme = atlas.tenant("acme");
 *     var convo = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
 *     acme.conversations().append(convo.id(), NewMessage.user("Where is order 1234?").clientId("c-1"));
 * }
 * }</pre>
 *
 * The implementation lives in {@code atlas-jdbi}, which must be on the class path (or the module path).
 */
public interface Atlas extends AutoCloseable {

    /** The tenant id used by single-tenant applications. */
    String DEFAULT_TENANT = "default";

    /**
     * Opens (creating if needed) an SQLite database file with default settings, migrated.
     *
     * @param file the SQLite file
     * @return the open instance, to close on shutdown
     */
    static Atlas sqlite(Path file) {
        return builder().sqlite(file).build();
    }

    /**
     * A builder for any JDBC URL or {@link javax.sql.DataSource}, with every option.
     *
     * @return the atlasBuilder
     */
    static AtlasBuilder builder() {
        return new AtlasBuilder();
    }

    /**
     * A view of {@code tenantId}'s data; cheap, so call it per request.
     *
     * @param tenantId the tenant's id, 1 to {@link Limits#MAX_TENANT_LENGTH} characters, without
     *        control characters or white space at either end ({@link InvalidInputException} naming
     *        {@code tenantId} otherwise); compared exactly, char by char on both databases:
     *        {@code "Acme"} and {@code "acme"}, or an accented letter composed and decomposed, are
     *        different tenants that share nothing, so normalize ids before calling if yours may vary
     * @return the view whose every call reads and writes only that tenant's rows
     */
    Tenant tenant(String tenantId);

    /**
     * The view of {@link #DEFAULT_TENANT}.
     *
     * @return the tenant
     */
    default Tenant defaultTenant() {
        return tenant(DEFAULT_TENANT);
    }

    /**
     * Shorthand for {@code defaultTenant().conversations()}.
     *
     * @return the conversationStore
     */
    default ConversationStore conversations() {
        return defaultTenant().conversations();
    }

    // Shorthands for single-tenant applications: each is the default tenant's store.

    /**
     * Shorthand for {@code defaultTenant().executions()}.
     *
     * @return the executionRecorder
     */
    default dev.atlas.execution.ExecutionRecorder executions() {
        return defaultTenant().executions();
    }

    /**
     * Shorthand for {@code defaultTenant().prices()}.
     *
     * @return the priceStore
     */
    default dev.atlas.execution.PriceStore prices() {
        return defaultTenant().prices();
    }

    /**
     * Shorthand for {@code defaultTenant().assets()}.
     *
     * @return the assetStore
     */
    default dev.atlas.asset.AssetStore assets() {
        return defaultTenant().assets();
    }

    /**
     * Shorthand for {@code defaultTenant().voiceCalls()}.
     *
     * @return the voiceCallStore
     */
    default dev.atlas.voice.VoiceCallStore voiceCalls() {
        return defaultTenant().voiceCalls();
    }

    /**
     * Shorthand for {@code defaultTenant().memories()}.
     *
     * @return the memoryStore
     */
    default MemoryStore memories() {
        return defaultTenant().memories();
    }

    /**
     * Shorthand for {@code defaultTenant().graph()}.
     *
     * @return the memoryGraph
     */
    default MemoryGraph graph() {
        return defaultTenant().graph();
    }

    /**
     * Shorthand for {@code defaultTenant().search()}.
     *
     * @return the search
     */
    default Search search() {
        return defaultTenant().search();
    }

    /**
     * Shorthand for {@code defaultTenant().retention()}.
     *
     * @return the retention
     */
    default Retention retention() {
        return defaultTenant().retention();
    }

    /**
     * Shorthand for {@code defaultTenant().assistants()}.
     *
     * @return the assistantStore
     */
    default AssistantStore assistants() {
        return defaultTenant().assistants();
    }

    /**
     * Shorthand for {@code defaultTenant().credentials()}.
     *
     * @return the credentialStore
     */
    default CredentialStore credentials() {
        return defaultTenant().credentials();
    }

    /**
     * Shorthand for {@code defaultTenant().tasks()}.
     *
     * @return the default tenant's task store
     */
    default TaskStore tasks() {
        return defaultTenant().tasks();
    }

    /**
     * Shorthand for {@code defaultTenant().settings()}.
     *
     * @return the default tenant's settings documents
     */
    default dev.atlas.assistant.SettingsStore settings() {
        return defaultTenant().settings();
    }

    /**
     * Shorthand for {@code defaultTenant().portability()}.
     *
     * @return the default tenant's export, import and erase
     */
    default dev.atlas.portability.Portability portability() {
        return defaultTenant().portability();
    }

    /**
     * A usage report over <em>every</em> tenant, for the operator: executions created in
     * {@code [from, to)}, totals per group, one SQL aggregate. {@code UsageGroup.TENANT} gives
     * one row per tenant. Agents, conversations, owners and projects are each tenant's own: grouped
     * by one of them, every row is one tenant's group, the tenant first in its key and parts
     * ({@code acme:support}; see {@link dev.atlas.execution.UsageRow#group()}), so the same name in
     * two tenants is never added together. Days, providers and models are counted across tenants. Per-tenant reports are {@code tenant(id).executions().usageReport(...)};
     * bounds, refusals and order are theirs: by parts, so a tenant's groups come together, its
     * executions without a value after its other groups.
     *
     * @param group how to group the rows
     * @param from inclusive lower bound of the creation time
     * @param to exclusive upper bound of the creation time; {@link dev.atlas.Limits#MAX_INSTANT},
     *        the latest accepted, includes itself
     * @return the list
     */
    java.util.List<dev.atlas.execution.UsageRow> usageReport(dev.atlas.execution.UsageGroup group, java.time.Instant from,
                                                             java.time.Instant to);

    /**
     * Which database this instance runs on.
     *
     * @return the databaseKind
     */
    DatabaseKind databaseKind();

    /**
     * The validated settings this instance was built with, without secrets
     * ({@link AtlasConfig#withoutSecrets()}): no password, the JDBC URL's secrets masked, and
     * credential keys that show their ids only.
     *
     * @return this instance's settings, without secrets
     */
    AtlasConfig config();

    /**
     * Releases the connection pool if Atlas created it; a pool the application supplied is left open.
     * Calls made after {@code close()} begins fail with {@link AtlasClosedException}; calls already
     * running finish first (a write in progress commits), for up to
     * {@link AtlasBuilder#closeTimeout(java.time.Duration) closeTimeout} (30 seconds unless set);
     * calls still running then fail with a {@link StorageException}, rolled back. Closing again
     * does nothing more; a concurrent second close returns once the first has finished.
     * A {@code record} or {@code recordAsync} body is not such a call (close does not wait for a
     * model call): each of its handle's calls is one, so after close begins they fail with
     * {@link AtlasClosedException}, {@code record} throws it, and the execution stays processing
     * until another instance's {@code sweepInterrupted}. Stop your own work before closing Atlas.
     */
    @Override
    void close();
}
