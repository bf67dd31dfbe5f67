package dev.atlas.jdbi.internal;

import dev.atlas.Atlas;
import dev.atlas.AtlasConfig;
import dev.atlas.AtlasClosedException;
import dev.atlas.StorageException;
import dev.atlas.DatabaseKind;
import dev.atlas.Tenant;
import dev.atlas.asset.BlobStore;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.execution.UsageGroup;
import dev.atlas.execution.UsageRow;
import dev.atlas.internal.Check;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;

/** The {@link Atlas} implementation: owns the pool it created, hands out tenant views. */
public final class JdbiAtlas implements Atlas, dev.atlas.internal.InstanceState {
    private final AtlasConfig config;
    private final Db db;
    private final AutoCloseable ownedPool;
    private final ConcurrentMap<String, Tenant> tenants = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final java.util.concurrent.CountDownLatch closeDone = new java.util.concurrent.CountDownLatch(1);
    private final BlobStore blobs;
    // What integrations keep per instance (InstanceState): it lives as long as this instance is open, not longer.
    private final ConcurrentMap<Class<?>, Object> states = new ConcurrentHashMap<>();

    public JdbiAtlas(AtlasConfig config, Db db, AutoCloseable ownedPool) {
        this.config = config;
        this.db = db;
        this.ownedPool = ownedPool;
        this.blobs = config.blobStore() != null ? config.blobStore() : new LocalDirectoryBlobStore(config.assetDirectory());
    }

    @Override
    public Tenant tenant(String tenantId) {
        Check.tenantId("tenantId", tenantId);
        if (closed.get()) {
            throw new AtlasClosedException();
        }
        // Views are stateless apart from the id; cache a bounded number to avoid garbage per request.
        Tenant cached = tenants.get(tenantId);
        if (cached != null) {
            return cached;
        }
        Tenant created = new JdbiTenant(this, db, tenantId, config.historyLimit(), config.credentialKeys(), blobs,
                new PgVectorIndex.Settings(config.pgvectorEfSearch(), config.pgvectorM(), config.pgvectorEfConstruction()),
                config.executionListeners());
        if (tenants.size() < 10_000) {
            tenants.putIfAbsent(tenantId, created);
        }
        return created;
    }

    @Override
    public <T> T state(Class<T> type, java.util.function.Supplier<? extends T> create) {
        return type.cast(states.computeIfAbsent(type, k -> create.get()));
    }

    @Override
    public List<UsageRow> usageReport(UsageGroup group, Instant from, Instant to) {
        if (closed.get()) {
            throw new AtlasClosedException();
        }
        return UsageReports.run(db, null, group, from, to);
    }

    @Override
    public DatabaseKind databaseKind() {
        return db.dialect().kind();
    }

    @Override
    public AtlasConfig config() {
        return config;
    }

    /** The configured Jdbi, for internal tools (benchmarks, tests) in this module's family. */
    public Db db() {
        return db;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            // A second close (a shutdown hook beside try-with-resources) returns once the first has
            // finished, so the JVM does not halt under the writes the first one waits for.
            boolean interrupted = false;
            while (closeDone.getCount() > 0) {
                try {
                    closeDone.await();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return;
        }
        try {
            db.close(config.closeTimeout());
            if (ownedPool != null) {
                try {
                    ownedPool.close();
                } catch (Exception e) {
                    throw new StorageException("closing the connection pool failed: " + e.getMessage(), null, false, e);
                }
            }
        } finally {
            // Nothing kept for this instance can be used once it is closed (LangChain4j's pending tool rounds hold
            // handles that could only fail now): an application still holding the closed instance holds none of it.
            states.clear();
            closeDone.countDown();
        }
    }

    @Override
    public String toString() {
        return "Atlas[" + db.dialect().kind() + ", prefix=" + config.tablePrefix() + "]";
    }
}
