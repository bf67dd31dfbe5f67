package dev.atlas.jdbi.internal;

import dev.atlas.Ids;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.StorageException;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetStore;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.AttachedAsset;
import dev.atlas.asset.BlobStore;
import dev.atlas.asset.NewAsset;
import dev.atlas.asset.OrphanCleanup;
import dev.atlas.asset.StoredBlob;
import dev.atlas.internal.Check;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.Handle;
import dev.atlas.jdbi.internal.sql.RowMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * {@link AssetStore} on Jdbi and a {@link BlobStore}. Blob keys are
 * {@code <installation id>/t<tenant hash>/<asset id>}, so databases and tenants sharing a blob
 * directory never write the same key. Orphan cleanup goes by the intents this database recorded
 * (table {@code blob_intents}, V7), never by what it finds in the blob store.
 */
public final class JdbiAssetStore implements AssetStore {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(JdbiAssetStore.class);

    private final Db db;
    private final String tenant;
    private final Sql sql;
    private final AssetSql q;
    private final BlobStore blobs;
    private final String tenantPart;
    private final RowMapper<Asset> assets;

    /** Read lazily: opening a tenant view costs no query. */
    private String keyPrefix() {
        return db.installationId() + tenantPart;
    }

    public JdbiAssetStore(Db db, String tenant, BlobStore blobs) {
        this.db = db;
        this.tenant = tenant;
        this.sql = new Sql(db, new TenantId(tenant));
        this.q = db.statements(AssetSql.class, AssetSql::new);
        this.blobs = blobs;
        this.tenantPart = "/t" + sha256(tenant).substring(0, 32);
        Dialect d = db.dialect();
        this.assets = Rows.guard("assets", "id", (rs, ctx) -> asset(d, rs));
    }

    /** The asset of a row with {@link AssetSql}'s asset columns under their own names. */
    private static Asset asset(Dialect d, java.sql.ResultSet rs) throws java.sql.SQLException {
        String ownerType = rs.getString("owner_type");
        return new Asset(
                d.uuid(rs, "id"),
                rs.getString("tenant_id"),
                AssetType.of(rs.getString("type")),
                rs.getString("mime_type"),
                rs.getString("filename"),
                rs.getString("blob_key"),
                rs.getLong("size_bytes"),
                rs.getString("sha256"),
                ownerType == null ? null : new Owner(ownerType, rs.getString("owner_id")),
                rs.getString("agent"),
                d.uuid(rs, "execution_id"),
                d.uuid(rs, "tool_call_id"),
                rs.getString("description"),
                Json.readMap(rs.getString("metadata")),
                d.instant(rs, "created_at"),
                d.instant(rs, "updated_at"),
                d.instant(rs, "deleted_at"),
                rs.getString("client_key"));
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new StorageException("this JVM has no SHA-256, which every Java SE runtime must provide", null, false, e);
        }
    }

    private static String sha256(String text) {
        return HexFormat.of().formatHex(sha256().digest(text.getBytes(StandardCharsets.UTF_8)));
    }

    static StorageException blobFailure(String what, Exception e) {
        // The blob store's text may be anything, a megabyte or a forged log line: bounded in the
        // message, and in the cause a logged stack trace prints. An exception without a text (an
        // interrupted channel's) is named by its class.
        return new StorageException("blob store failed to " + what + ": " + Check.bounded(e.getMessage() == null ? e.toString() : e.getMessage()),
                null, false, ShownFailures.scrubbed(e));
    }

    @Override
    public Asset create(NewAsset na, InputStream content) {
        Check.notNull("asset", na);
        Check.notNull("content", content);
        JsonDoc metadata = Json.write("metadata", na.metadata());
        // One running call, upload included: Atlas.close() waits for it (up to its closeTimeout).
        return db.running(() -> upload(na, content, metadata));
    }

    private Asset upload(NewAsset na, InputStream content, JsonDoc metadata) {
        UUID id = Ids.next(db.clock());
        String key = keyPrefix() + "/" + id;
        // The intent commits before any byte is written, so whatever happens next (a crash, a
        // failed row) leaves a blob that cleanupOrphanBlobs can prove is this store's orphan.
        // A client key an asset already holds (a retry) needs no intent: its bytes are only compared.
        Optional<Asset> heldBefore = db.write(h -> {
            checkReferences(h, na);
            Optional<Asset> held = na.clientKey() == null ? Optional.empty()
                    : sql.on(h, q.byClientKey).bind("clientKey", na.clientKey()).optional(assets);
            if (held.isEmpty()) {
                sql.on(h, q.intent).bind("key", key).update();
            }
            return held;
        });
        if (heldBefore.isPresent()) {
            return compareHeld(na, heldBefore.get(), content);
        }
        StoredBlob blob;
        String misreport;
        WatchedStream watched = new WatchedStream(content);
        try {
            blob = blobs.put(key, watched);
            misreport = misreport(key, blob, watched);
        } catch (Error e) {
            abandon(key, e);
            throw e;
        } catch (IOException | RuntimeException e) {
            // The caller's own stream failing (an upload cut off) is not the blob store's fault:
            // say so, and hand back the caller's exception itself as the cause.
            Exception own = watched.failure;
            StorageException failure = own != null && causedBy(e, own)
                    ? new StorageException("reading the asset's content stream failed: "
                            + Check.bounded(own.getMessage() == null ? own.toString() : own.getMessage()), null, false, own)
                    : blobFailure("write " + key, e);
            abandon(key, failure);
            throw failure;
        }
        if (misreport != null) {
            StorageException failure = new StorageException("blob store's put of " + key + " returned " + misreport, null, false, null);
            abandon(key, failure);
            throw failure;
        }
        try {
            Asset stored = db.write(h -> {
                Instant now = db.now();
                // Checked again: the execution may have been purged while the bytes were written.
                Owner current = lockedReferences(h, na);
                Optional<Asset> held = heldClientKey(h, na, blob);
                if (held.isPresent()) {
                    return held.get();
                }
                // Taking the intent is what entitles this row to the bytes: once cleanup has
                // claimed it (the upload outlasted its minAge) the bytes are going, so no row.
                int taken = sql.on(h, q.takeIntent).bind("key", key).update();
                if (taken == 0) {
                    throw new StorageException("blob " + key + " was removed by cleanupOrphanBlobs before its asset row was written (the"
                            + " upload took longer than the cleanup's minAge); store the asset again", null, false, null);
                }
                return insert(h, na, current, id, blob, metadata, now);
            });
            if (!stored.id().equals(id)) {
                // The client key's first asset holds these bytes already: this upload's copy goes, with its intent.
                IllegalStateException leftover = new IllegalStateException("bytes of a duplicate upload");
                abandon(key, leftover);
                if (leftover.getSuppressed().length > 0) {
                    LOG.warn("could not remove the duplicate upload {} at once; cleanupOrphanBlobs will", key, leftover);
                }
            }
            return stored;
        } catch (dev.atlas.AtlasClosedException e) {
            // Closed (its closeTimeout over) before the row's transaction began: nothing names the
            // bytes, so they go now; the intent stays for cleanupOrphanBlobs, which finds them gone.
            try {
                blobs.delete(key);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        } catch (RuntimeException | Error e) {
            abandon(key, e);
            throw e;
        }
    }

    /**
     * A create whose client key {@code held} already has: reads {@code content} to its end for its size
     * and SHA-256 only, writing nothing, and returns {@code held} when they match (else as {@link #heldClientKey}).
     */
    private Asset compareHeld(NewAsset na, Asset held, InputStream content) {
        MessageDigest sha = sha256();
        WatchedStream watched = new WatchedStream(content);
        long size;
        try {
            size = new DigestInputStream(watched, sha).transferTo(OutputStream.nullOutputStream());
        } catch (IOException | RuntimeException e) {
            Exception own = watched.failure == null ? e : watched.failure;
            throw new StorageException("reading the asset's content stream failed: "
                    + Check.bounded(own.getMessage() == null ? own.toString() : own.getMessage()), null, false, own);
        }
        String hex = HexFormat.of().formatHex(sha.digest());
        if (held.sizeBytes() != size || !held.sha256().equals(hex)) {
            throw new dev.atlas.ConflictException("clientKey", "'" + Check.escaped(na.clientKey()) + "' already names asset " + held.id()
                    + ", which holds other bytes; use a new key for new content");
        }
        return held;
    }

    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");

    /**
     * What is wrong with what a blob store's put of {@code key} reports, when it cannot be true of the bytes it was
     * given: another key (or none), the content not read to its end, another byte count, or no lowercase hex SHA-256
     * (an ETag). The row would otherwise record it as the asset's key, size and hash (a key of other bytes, even
     * another tenant's, while this upload's bytes were left unnamed). {@code null} when nothing is.
     */
    private static String misreport(String key, StoredBlob blob, WatchedStream content) throws IOException {
        return blob == null ? "nothing"
                : blob.key() == null ? "no key"
                : !blob.key().equals(key) ? "the key '" + Check.bounded(blob.key()) + "', not the key it was given"
                : content.read() != -1 ? "before reading the content to its end"
                : blob.sizeBytes() != content.count ? "a size of " + blob.sizeBytes() + " bytes for the " + content.count + " it was given"
                : blob.sha256() == null || !SHA256_HEX.matcher(blob.sha256()).matches() ? Check.quoted(blob.sha256()) + " as the SHA-256 (64 lowercase hex digits)"
                : null;
    }

    /** Whether {@code failure} is {@code cause} or was caused by it. */
    private static boolean causedBy(Throwable failure, Throwable cause) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t == cause) {
                return true;
            }
        }
        return false;
    }

    /** The caller's content stream, remembering the first exception it threw. */
    private static final class WatchedStream extends java.io.FilterInputStream {
        volatile Exception failure;
        /** Bytes read or skipped so far. */
        long count;

        WatchedStream(InputStream in) {
            super(in);
        }

        private void seen(Exception e) {
            if (failure == null) {
                failure = e;
            }
        }

        @Override
        public int read() throws IOException {
            try {
                int b = in.read();
                if (b >= 0) {
                    count++;
                }
                return b;
            } catch (IOException | RuntimeException e) {
                seen(e);
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                int n = in.read(b, off, len);
                if (n > 0) {
                    count += n;
                }
                return n;
            } catch (IOException | RuntimeException e) {
                seen(e);
                throw e;
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                long skipped = in.skip(n);
                count += Math.max(0, skipped);
                return skipped;
            } catch (IOException | RuntimeException e) {
                seen(e);
                throw e;
            }
        }

        @Override
        public int available() throws IOException {
            try {
                return in.available();
            } catch (IOException | RuntimeException e) {
                seen(e);
                throw e;
            }
        }

        /** The stream is the caller's: {@link AssetStore#create} reads it to its end but does not close it. */
        @Override
        public void close() {}
    }

    private Asset insert(Handle h, NewAsset na, Owner owner, UUID id, StoredBlob blob, JsonDoc metadata, Instant now) {
        sql.on(h, q.insert).bind("id", id).bind("type", na.type().toString()).bind("mime", na.mimeType())
                .bind("filename", na.filename()).bind("key", blob.key()).bind("size", blob.sizeBytes()).bind("sha", blob.sha256())
                .bind("ownerType", owner == null ? null : owner.type()).bind("ownerId", owner == null ? null : owner.id())
                .bind("agent", na.agent()).bind("e", na.executionId()).bind("call", na.toolCallId())
                .bind("description", na.description()).bind("metadata", metadata).bind("now", now).bind("clientKey", na.clientKey())
                .update();
        return new Asset(id, tenant, na.type(), na.mimeType(), na.filename(), blob.key(), blob.sizeBytes(), blob.sha256(), owner,
                na.agent(), na.executionId(), na.toolCallId(), na.description(), Json.readMap(metadata), now, now, null, na.clientKey());
    }

    /**
     * The live asset already created with {@code na}'s client key, when it holds the same bytes as
     * {@code blob}; empty when the key is free (or none was given). Other bytes under the key are a
     * ConflictException. Runs in the transaction that would insert the row, under a per-key advisory
     * lock on PostgreSQL (SQLite's single writer already serialises), so of concurrent creates with
     * one key the first inserts and every later one sees its row.
     */
    private Optional<Asset> heldClientKey(Handle h, NewAsset na, StoredBlob blob) {
        String clientKey = na.clientKey();
        if (clientKey == null) {
            return Optional.empty();
        }
        if (q.keyLock != null) {
            sql.on(h, q.keyLock).bind("lock", PgSessions.clientKeyLock("assets", tenant, clientKey)).exists();
        }
        Optional<Asset> held = sql.on(h, q.byClientKey).bind("clientKey", clientKey).optional(assets);
        if (held.isPresent() && (held.get().sizeBytes() != blob.sizeBytes() || !held.get().sha256().equals(blob.sha256()))) {
            throw new dev.atlas.ConflictException("clientKey", "'" + Check.escaped(clientKey) + "' already names asset " + held.get().id()
                    + ", which holds other bytes; use a new key for new content");
        }
        return held;
    }

    /**
     * A relative key of safe segments: no absolute path, no {@code .}/{@code ..} step, no backslash,
     * and no segment ending in {@code .} (Windows opens {@code a.txt.} as {@code a.txt}).
     */
    private static final Pattern EXTERNAL_KEY = Pattern.compile(
            "[A-Za-z0-9._-]*[A-Za-z0-9_-](?:/[A-Za-z0-9._-]*[A-Za-z0-9_-])*");
    /** Where {@link #create} puts bytes, in any installation: {@code <installation>/t<tenant hash>/...} (matched lower-cased). */
    private static final Pattern ATLAS_LAYOUT = Pattern.compile("[^/]+/t[0-9a-f]{32}(?:/.*)?");

    /** Whether {@code key} has the form of a key an asset can have: one Atlas made or one {@link #register} accepts. */
    public static boolean isBlobKey(String key) {
        return key.length() <= 1_000 && EXTERNAL_KEY.matcher(key).matches();
    }

    @Override
    public Asset register(NewAsset na, String blobKey) {
        Check.notNull("asset", na);
        Check.text("blobKey", Check.notNull("blobKey", blobKey), 1_000);
        if (!EXTERNAL_KEY.matcher(blobKey).matches()) {
            throw new InvalidInputException("blobKey", "'" + Check.escaped(blobKey) + "' is not a relative blob key: use / separated segments of letters,"
                    + " digits, . _ - (no . or .. segment, none ending in ., no leading /)");
        }
        // Lower-cased: on a case-insensitive file system another spelling opens the same file.
        String lowerKey = blobKey.toLowerCase(Locale.ROOT);
        if (ATLAS_LAYOUT.matcher(lowerKey).matches() || lowerKey.startsWith(db.installationId().toLowerCase(Locale.ROOT) + "/")
                || lowerKey.startsWith(".tmp")) {
            throw new InvalidInputException("blobKey", "'" + blobKey + "' is where Atlas keeps the bytes it stores itself; register keys of your own");
        }
        JsonDoc metadata = Json.write("metadata", na.metadata());
        return db.running(() -> registerRead(na, blobKey, lowerKey, metadata));
    }

    private Asset registerRead(NewAsset na, String blobKey, String lowerKey, JsonDoc metadata) {
        db.read(h -> {
            checkReferences(h, na);
            checkKeyFree(h, blobKey, lowerKey);
            return null;
        });
        // Read, not copied: the size and hash are Atlas's own, whatever the caller believes.
        StoredBlob blob;
        MessageDigest sha = sha256();
        try (InputStream in = new DigestInputStream(blobs.open(blobKey), sha)) {
            blob = new StoredBlob(blobKey, in.transferTo(OutputStream.nullOutputStream()), HexFormat.of().formatHex(sha.digest()));
        } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException e) {
            throw new NotFoundException("blob", blobKey, "blobKey");
        } catch (InvalidInputException e) {
            // The blob store's own key rules (LocalDirectoryBlobStore: at most 8 segments of 128 characters …).
            throw new InvalidInputException("blobKey", "'" + blobKey + "' is not a key this blob store accepts (" + Check.bounded(e.getMessage()) + ")");
        } catch (IOException | RuntimeException e) {
            throw blobFailure("read " + blobKey, e);
        }
        UUID id = Ids.next(db.clock());
        return db.write(h -> {
            Owner owner = lockedReferences(h, na);
            if (q.keyLock != null) {
                // lowerKey has no segment ending in . (register refuses one): it is the key Windows opens.
                sql.on(h, q.keyLock).bind("lock", BlobReaper.keyLock(lowerKey)).exists();
            }
            Optional<Asset> held = heldClientKey(h, na, blob);
            if (held.isPresent()) {
                return held.get();
            }
            checkKeyFree(h, blobKey, lowerKey);
            return insert(h, na, owner, id, blob, metadata, db.now());
        });
    }

    /**
     * Refuses a key some asset row (live or soft-deleted) or a purge whose bytes are not deleted yet
     * holds, in any tenant and any ASCII case, or with dots ending its segments (a key older versions stored, which
     * Windows opens as this one: {@link BlobReaper#openedKey}). Another tenant's key fails exactly as a missing blob
     * does, so register tells nothing about other tenants' keys.
     */
    private void checkKeyFree(Handle h, String blobKey, String lowerKey) {
        // The key's holders and those of the stored keys with a segment ending in .: lowerKey has no such segment (register
        // refuses one), so it is the key Windows opens for an alias.
        List<String> holders = Sql.crossTenant(db).on(h, q.keyHolders).bind("lowerKey", lowerKey)
                .list((rs, ctx) -> new String[] {rs.getString(1), rs.getString(2)}).stream()
                .filter(k -> BlobReaper.openedKey(k[1]).equals(lowerKey)).map(k -> k[0]).toList();
        if (holders.isEmpty()) {
            return;
        }
        if (holders.contains(tenant)) {
            throw new dev.atlas.ConflictException("blobKey", "'" + blobKey + "' is already the blob of an asset of this tenant (perhaps"
                    + " spelt in another case or with dots ending its segments, or deleted and awaiting its purge or cleanupOrphanBlobs)");
        }
        throw new NotFoundException("blob", blobKey, "blobKey");
    }

    /**
     * {@link #checkReferences} in the transaction that inserts the row, with the execution
     * share-locked on PostgreSQL (SQLite's single writer already excludes a purge): a purge that
     * commits first is a NotFoundException on executionId, not a foreign key error; one that comes
     * later waits for the row and purges it with the execution.
     */
    private Owner lockedReferences(Handle h, NewAsset na) {
        if (na.executionId() != null && !sql.on(h, q.lockExecution).bind("e", na.executionId()).exists()) {
            throw new NotFoundException("execution", na.executionId(), "executionId");
        }
        return checkReferences(h, na);
    }

    /**
     * Checks the execution and tool call the asset names (another tenant's are unknown here) and
     * returns its owner: the given one, or by default the owner of the execution's conversation (the execution's
     * own owner when it has none).
     */
    private Owner checkReferences(Handle h, NewAsset na) {
        Owner owner = na.owner();
        if (na.executionId() != null) {
            Optional<Owner> convoOwner = sql.on(h, q.executionOwner).bind("e", na.executionId())
                    .optional((rs, ctx) -> Optional.ofNullable(Rows.owner(rs, "owner_type", "owner_id")))
                    .orElseThrow(() -> new NotFoundException("execution", na.executionId(), "executionId"));
            if (owner == null) {
                // Seed 002: an asset's owner defaults to the owner of the execution's conversation; one without a
                // conversation is its owner's, as an owner's erase and export count it.
                owner = convoOwner.orElse(null);
            }
        }
        if (na.toolCallId() != null) {
            UUID callExecution = sql.on(h, q.toolCallExecution).bind("id", na.toolCallId()).optional(sql.uuidColumn())
                    .orElseThrow(() -> new NotFoundException("tool call", na.toolCallId(), "toolCallId"));
            if (!callExecution.equals(na.executionId())) {
                throw new InvalidInputException("toolCallId", "tool call " + na.toolCallId() + " belongs to another execution");
            }
        }
        return owner;
    }

    /**
     * After a failed store: deletes the bytes, then the intent, unless an asset row holds the key
     * (its commit succeeded though it was reported as failed). Whatever cannot be done here stays
     * behind with its intent, for cleanupOrphanBlobs.
     */
    private void abandon(String key, Throwable failure) {
        try {
            boolean recorded = db.read(h -> sql.on(h, q.keyRecorded).bind("key", key).exists());
            if (recorded) {
                return;
            }
            blobs.delete(key);
            db.write(h -> sql.on(h, q.dropIntent).bind("key", key).update());
        } catch (IOException | RuntimeException e) {
            // Scrubbed: a logged or thrown failure prints its suppressed exceptions' text.
            failure.addSuppressed(ShownFailures.scrubbed(e));
        }
    }

    @Override
    public Optional<Asset> get(UUID assetId) {
        Check.notNull("assetId", assetId);
        return db.read(h -> find(h, assetId));
    }

    @Override
    public Map<UUID, Asset> getAll(List<UUID> assetIds) {
        Check.notNull("assetIds", assetIds);
        java.util.LinkedHashSet<UUID> ids = new java.util.LinkedHashSet<>();
        for (int i = 0; i < assetIds.size(); i++) {
            ids.add(Check.notNull("assetIds[" + i + "]", assetIds.get(i)));
        }
        if (ids.isEmpty()) {
            // Nothing to read, but a closed instance still says so, as every call does.
            db.checkOpen();
            return Map.of();
        }
        List<UUID> distinct = List.copyOf(ids);
        Map<UUID, Asset> found = new java.util.HashMap<>();
        db.read(h -> {
            for (int from = 0; from < distinct.size(); from += GET_ALL_CHUNK) {
                List<UUID> chunk = distinct.subList(from, Math.min(distinct.size(), from + GET_ALL_CHUNK));
                // Padded to a power of two (the last id repeated): a handful of texts, each prepared once, instead of one per count.
                int size = Math.min(GET_ALL_CHUNK, Integer.highestOneBit(chunk.size() * 2 - 1));
                List<UUID> padded = new java.util.ArrayList<>(chunk);
                while (padded.size() < size) {
                    padded.add(chunk.get(chunk.size() - 1));
                }
                for (Asset a : InList.bind(sql.on(h, q.getAll(size)), "ids", padded).list(assets)) {
                    found.put(a.id(), a);
                }
            }
            return null;
        });
        Map<UUID, Asset> out = new java.util.LinkedHashMap<>();
        for (UUID id : distinct) {
            Asset a = found.get(id);
            if (a != null) {
                out.put(id, a);
            }
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /** Ids per statement of {@link #getAll}: well below both databases' bound-parameter limits. */
    private static final int GET_ALL_CHUNK = 512;

    private Optional<Asset> find(Handle h, UUID assetId) {
        return sql.on(h, q.get).bind("id", assetId).optional(assets);
    }

    @Override
    public InputStream open(UUID assetId) {
        return openWithAsset(assetId);
    }

    @Override
    public dev.atlas.asset.AssetInputStream openWithAsset(UUID assetId) {
        Asset a = get(assetId).orElseThrow(() -> new NotFoundException("asset", assetId));
        InputStream bytes;
        try {
            bytes = blobs.open(a.blobKey());
        } catch (java.nio.file.NoSuchFileException | java.io.FileNotFoundException e) {
            // A purge between reading the row and opening the bytes: the asset is gone, as if it had
            // been gone before the call. Bytes missing under a live row are the blob store's failure.
            if (get(assetId).isEmpty()) {
                throw new NotFoundException("asset", assetId);
            }
            throw blobFailure("open " + BlobReaper.shownKey(a.blobKey()), e);
        } catch (IOException | RuntimeException e) {
            throw blobFailure("open " + BlobReaper.shownKey(a.blobKey()), e);
        }
        if (bytes == null) {
            throw new StorageException("blob store's open of " + BlobReaper.shownKey(a.blobKey()) + " returned no stream", null, false, null);
        }
        // A read failing because the asset went meanwhile (a discard or purge, on a blob store that
        // cannot read deleted bytes further) is the asset not found, as this open would have been.
        return new dev.atlas.asset.AssetInputStream(new VerifiedStream(bytes, a, () -> get(assetId).isPresent()), a);
    }

    @Override
    public List<Asset> byExecution(UUID executionId) {
        Check.notNull("executionId", executionId);
        return List.copyOf(db.read(h -> sql.on(h, q.byExecution).bind("e", executionId).list(assets)));
    }

    @Override
    public dev.atlas.Page<Asset> byExecution(UUID executionId, int limit, String cursor) {
        Check.notNull("executionId", executionId);
        Check.positive("limit", limit, dev.atlas.Limits.MAX_PAGE_SIZE);
        // Scoped to the execution: a cursor of another execution's listing is refused, not read as a position in this one.
        dev.atlas.jdbi.internal.sql.Cursor.Listing listing = sql.listing("assetsByExecution", executionId);
        UUID after = cursor == null ? null : dev.atlas.jdbi.internal.sql.Cursor.decode(cursor, listing, 1).uuid(0);
        List<Asset> rows = db.read(h -> (after == null ? sql.on(h, q.byExecutionPage) : sql.on(h, q.byExecutionAfter).bind("after", after))
                .bind("e", executionId).bind("limit", limit + 1).list(assets));
        return dev.atlas.jdbi.internal.sql.Cursor.page(rows, limit, a -> dev.atlas.jdbi.internal.sql.Cursor.encode(listing, a.id()));
    }

    private static final Pattern SHA256_ANY_CASE = Pattern.compile("[0-9a-fA-F]{64}");

    @Override
    public Optional<Asset> getBySha256(String sha256) {
        Check.notNull("sha256", sha256);
        if (!SHA256_ANY_CASE.matcher(sha256).matches()) {
            throw new InvalidInputException("sha256", "must be 64 hexadecimal digits; " + sha256.length() + " characters were given");
        }
        String hex = sha256.toLowerCase(Locale.ROOT);
        return db.read(h -> sql.on(h, q.bySha256).bind("sha", hex).optional(assets));
    }

    @Override
    public void delete(UUID assetId) {
        Check.notNull("assetId", assetId);
        db.write(h -> {
            int n = sql.on(h, q.delete).bind("id", assetId).bind("now", db.now()).update();
            if (n == 0) {
                throw new NotFoundException("asset", assetId);
            }
            // Deleted rather than filtered at search time: assets are never restored, so the
            // vectors are dead weight, and a k-nearest search (exact or HNSW) then never spends
            // its k on rows it would have to drop. putAssetVector refuses a deleted asset.
            sql.on(h, q.deleteVectors).bind("id", assetId).update();
            return null;
        });
    }

    @Override
    public void discard(UUID assetId) {
        Check.notNull("assetId", assetId);
        db.running(() -> {
            discardRunning(assetId);
            return null;
        });
    }

    private void discardRunning(UUID assetId) {
        List<String> keys = db.write(h -> {
            // Locked first: an attach of this asset (which share-locks it) then waits and finds it
            // gone, or has committed and its attachment is seen below.
            String key = sql.on(h, q.lockAny).bind("id", assetId).optional(Sql.STRING)
                    .orElseThrow(() -> new NotFoundException("asset", assetId));
            if (sql.on(h, q.attachedAnywhere).bind("id", assetId).exists()) {
                throw new dev.atlas.ConflictException("assetId", "asset " + assetId + " is attached to a message, so something may"
                        + " refer to it; detach it from its messages first, or delete it and let retention's purge of deleted assets"
                        + " remove it");
            }
            sql.on(h, q.deleteVectors).bind("id", assetId).update();
            sql.on(h, q.purge).bind("id", assetId).update();
            // As retention's purge does: the claimed intent outlives the bytes until they are gone.
            BlobReaper.recordPurged(sql, h, List.of(key), db.now());
            return List.of(key);
        });
        BlobReaper.deleteUnnamed(sql, blobs, keys, (key, failure, e) ->
                LOG.warn("could not delete discarded asset blob {}; cleanupOrphanBlobs will retry: {}", key, failure));
    }

    @Override
    public AttachedAsset attach(UUID messageId, UUID assetId, Map<String, ?> attachmentMetadata) {
        Check.notNull("messageId", messageId);
        Check.notNull("assetId", assetId);
        Map<String, Object> checked = Check.metadata("attachmentMetadata", attachmentMetadata);
        // It decides whether retention deletes the asset with the message: "true" or 1 must not silently mean no.
        Object part = checked.get(AttachedAsset.PART);
        if (checked.containsKey(AttachedAsset.PART) && !(part instanceof Boolean)) {
            // The caller's value, escaped: a line break in it would forge a log line.
            String shown = part instanceof Map<?, ?> ? "an object" : part instanceof java.util.Collection<?> ? "an array"
                    : part == null || part instanceof Integer || part instanceof Long || part instanceof Double ? String.valueOf(part)
                    : Check.quoted(String.valueOf(part));
            throw new InvalidInputException("attachmentMetadata", "'" + AttachedAsset.PART + "' is true (the asset is part of the message)"
                    + " or false, was " + shown);
        }
        JsonDoc metadata = Json.write("attachmentMetadata", checked);
        return db.write(h -> {
            // A write names the argument that carried an id it cannot find, as every store does.
            if (!sql.on(h, q.lockLiveMessage).bind("id", messageId).exists()) {
                throw new NotFoundException("message", messageId, "messageId");
            }
            Asset asset = sql.on(h, q.getForShare).bind("id", assetId).optional(assets)
                    .orElseThrow(() -> new NotFoundException("asset", assetId, "assetId"));
            Instant now = db.now();
            sql.on(h, q.insertAttachment).bind("id", Ids.next(db.clock())).bind("m", messageId).bind("a", assetId)
                    .bind("metadata", metadata).bind("now", now).update();
            Instant attachedAt = sql.on(h, q.attachedAt).bind("m", messageId).bind("a", assetId)
                    .one((rs, ctx) -> db.dialect().instant(rs, "created_at"));
            return new AttachedAsset(messageId, asset, Json.readMap(metadata), attachedAt);
        });
    }

    @Override
    public boolean detach(UUID messageId, UUID assetId) {
        Check.notNull("messageId", messageId);
        Check.notNull("assetId", assetId);
        return db.write(h -> {
            // The conversation is locked as attach locks it: a purge of the message's conversation
            // waits for the detach or is waited for (the message then not found).
            if (!sql.on(h, q.lockLiveMessage).bind("id", messageId).exists()) {
                throw new NotFoundException("message", messageId, "messageId");
            }
            // Then the attachment alone, never the asset: retention's purge of a deleted asset
            // holds the asset row while it deletes the attachments, so a detach holding the
            // attachment and waiting for the asset would deadlock with it. A discard reads the
            // attachment as committed (a ConflictException until the detach commits); a purge
            // that took the attachment first is waited for, and the asset is then not found below.
            if (sql.on(h, q.deleteAttachment).bind("m", messageId).bind("a", assetId).update() > 0) {
                return true;
            }
            // A soft-deleted asset of this tenant is found: it was not attached, nothing was written.
            if (!sql.on(h, q.anyState).bind("id", assetId).exists()) {
                throw new NotFoundException("asset", assetId, "assetId");
            }
            return false;
        });
    }

    @Override
    public List<AttachedAsset> forMessage(UUID messageId) {
        Check.notNull("messageId", messageId);
        return db.read(h -> attachments(h, messageId, sql.on(h, q.forMessage)).stream().map(AttachmentRow::attached).toList());
    }

    /** An attachment as read, with its own id: the second half of a page's sort key. */
    private record AttachmentRow(AttachedAsset attached, UUID attachmentId) {
    }

    /**
     * The attachments {@code read} (an {@code AssetSql.forMessage*} statement, bound but for the
     * message) finds for {@code messageId}. A message that is not live (unknown, another tenant's,
     * deleted) is not found, on every page, rather than read as one without attachments.
     */
    private List<AttachmentRow> attachments(Handle h, UUID messageId, Sql.Call read) {
        Dialect d = db.dialect();
        List<AttachmentRow> found = read.bind("m", messageId)
                .list((rs, ctx) -> new AttachmentRow(new AttachedAsset(d.uuid(rs, "message_id"), asset(d, rs),
                        Json.readMap(rs.getString("attachment_metadata")), d.instant(rs, "attached_at")), d.uuid(rs, "attachment_id")));
        if (found.isEmpty() && !sql.on(h, q.liveMessage).bind("id", messageId).exists()) {
            throw new NotFoundException("message", messageId);
        }
        return found;
    }

    @Override
    public dev.atlas.Page<AttachedAsset> forMessage(UUID messageId, int limit, String cursor) {
        Check.notNull("messageId", messageId);
        Check.positive("limit", limit, dev.atlas.Limits.MAX_PAGE_SIZE);
        // Scoped to the message: a cursor of another message's listing is refused, not read as a position in this one.
        dev.atlas.jdbi.internal.sql.Cursor.Listing listing = sql.listing("assetsForMessage", messageId);
        dev.atlas.jdbi.internal.sql.Cursor after = cursor == null ? null : dev.atlas.jdbi.internal.sql.Cursor.decode(cursor, listing, 2);
        Instant afterAt = after == null ? null : after.instant(0);
        UUID afterId = after == null ? null : after.uuid(1);
        List<AttachmentRow> rows = db.read(h -> attachments(h, messageId, (after == null ? sql.on(h, q.forMessagePage)
                : sql.on(h, q.forMessageAfter).bind("afterAt", afterAt).bind("afterId", afterId)).bind("limit", limit + 1)));
        dev.atlas.Page<AttachmentRow> page = dev.atlas.jdbi.internal.sql.Cursor.page(rows, limit,
                r -> dev.atlas.jdbi.internal.sql.Cursor.encode(listing, r.attached().attachedAt(), r.attachmentId()));
        return new dev.atlas.Page<>(page.items().stream().map(AttachmentRow::attached).toList(), page.nextCursor());
    }

    @Override
    public OrphanCleanup cleanupOrphanBlobs(Duration minAge) {
        Check.notNull("minAge", minAge);
        if (minAge.isNegative()) {
            throw new InvalidInputException("minAge", "must not be negative, was " + minAge);
        }
        return db.running(() -> cleanup(minAge));
    }

    private OrphanCleanup cleanup(Duration minAge) {
        String ownFiles = keyPrefix() + "/"; // read outside the try: a closed Atlas is not a blob failure
        int temporary;
        try {
            // A temporary file's age can only come from the blob store's own clock.
            temporary = blobs.removeAbandonedTemporaryFiles(ownFiles, Check.cutoff(Instant.now(), minAge));
        } catch (IOException | RuntimeException e) {
            throw blobFailure("remove abandoned temporary files", e);
        }
        // Claiming an intent (older than minAge, still without a row) is the decision: from its
        // commit on, the upload's row insert is refused, so the bytes can no longer become live.
        // Intents claimed by an earlier run that failed midway are taken up again.
        // Aged on the database's clock, as intents are stamped: no instance's clock skew shortens minAge.
        long age = -ageMicros(minAge);
        List<String> claimed = db.write(h -> {
            sql.on(h, q.claimOrphans).bind("now", db.now()).bind("age", age).update();
            return sql.on(h, q.claimed).list(Sql.STRING);
        });
        List<String> removed = BlobReaper.deleteUnnamed(sql, blobs, claimed, (key, failure, e) -> {
            throw blobFailure("delete " + key, e);
        });
        return new OrphanCleanup(removed, temporary);
    }

    /** Older than any intent can be (and within both databases' interval and timestamp ranges). */
    private static final Duration AGE_BEYOND_ANY_INTENT = Duration.ofDays(1000L * 366);

    /**
     * {@code minAge} in whole microseconds, rounded up (stored times are whole microseconds, so an
     * intent just under a fractional minAge is not claimed), at most {@link #AGE_BEYOND_ANY_INTENT}.
     */
    private static long ageMicros(Duration minAge) {
        Duration age = minAge.compareTo(AGE_BEYOND_ANY_INTENT) > 0 ? AGE_BEYOND_ANY_INTENT : minAge;
        return age.getSeconds() * 1_000_000L + (age.getNano() + 999) / 1_000;
    }
}
