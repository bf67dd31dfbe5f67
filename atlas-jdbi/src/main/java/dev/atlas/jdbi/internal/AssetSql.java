package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;
import org.jspecify.annotations.Nullable;

import java.util.List;

/** The asset store's statements, and the blob-intent statements retention and erase share with it. */
final class AssetSql {
    private static final String COLUMNS = "tenant_id, id, type, mime_type, filename, blob_key, size_bytes, sha256, owner_type, owner_id, agent,"
            + " execution_id, tool_call_id, description, metadata, created_at, updated_at, deleted_at, client_key";
    private static final String A = "SELECT " + COLUMNS + " FROM <p>assets";

    private final Catalogue c;
    final Statement intent;
    final Statement takeIntent;
    final Statement dropIntent;
    final Statement purgedIntent;
    final Statement insert;
    final Statement executionOwner;
    final Statement lockExecution;
    final Statement toolCallExecution;
    final Statement keyRecorded;
    final Statement keyHolders;
    /** PostgreSQL only: serialises registrations of one key; SQLite's single writer already does. */
    final @Nullable Statement keyLock;
    /** PostgreSQL only: the locks of a batch of keys in one statement, as {@link #keyLock} each, in ascending order. */
    final @Nullable Statement keyLocks;
    final Statement get;
    final Statement getForShare;
    final Statement lockAny;
    final Statement attachedAnywhere;
    final Statement purge;
    final Statement byExecution;
    final Statement byExecutionPage;
    final Statement byExecutionAfter;
    final Statement bySha256;
    final Statement byClientKey;
    final Statement delete;
    final Statement deleteVectors;
    final Statement liveMessage;
    final Statement lockLiveMessage;
    final Statement insertAttachment;
    final Statement anyState;
    final Statement deleteAttachment;
    final Statement attachedAt;
    final Statement forMessage;
    final Statement forMessagePage;
    final Statement forMessageAfter;
    final Statement claimOrphans;
    final Statement claimed;
    final Statement keyRows;
    final Statement keyElsewhere;
    final Statement dottedKeys;
    final Statement claimedSpellings;

    AssetSql(Catalogue c) {
        this.c = c;
        // Stamped and aged on the database's clock, as leases are: an uploader whose clock runs behind
        // would otherwise date its intent back, and a cleanup meanwhile could claim it mid-upload.
        intent = c.sql("assets.intent", "INSERT INTO <p>blob_intents (tenant_id, blob_key, created_at) VALUES (:t, :key, "
                + c.dialect().databaseNow() + ")");
        takeIntent = c.sql("assets.takeIntent", "DELETE FROM <p>blob_intents WHERE tenant_id = :t AND blob_key = :key AND claimed_at IS NULL");
        dropIntent = c.sql("assets.dropIntent", "DELETE FROM <p>blob_intents WHERE tenant_id = :t AND blob_key = :key");
        // Erase and retention may meet a key twice (an intent left by a failed earlier run).
        purgedIntent = c.sql("assets.purgedIntent", "INSERT INTO <p>blob_intents (tenant_id, blob_key, created_at, claimed_at)"
                + " VALUES (:t, :key, :now, :now) ON CONFLICT (tenant_id, blob_key) DO NOTHING");
        insert = c.sql("assets.insert", "INSERT INTO <p>assets (tenant_id, id, type, mime_type, filename, blob_key, size_bytes, sha256,"
                + " owner_type, owner_id, agent, execution_id, tool_call_id, description, metadata, created_at, updated_at, client_key) VALUES (:t, :id,"
                + " :type, :mime, :filename, :key, :size, :sha, :ownerType, :ownerId, :agent, :e, :call, :description, :metadata, :now, :now,"
                + " :clientKey)");
        executionOwner = c.sql("assets.executionOwner", ExecutionSql.OWNER_OF_EXECUTION);
        // Share-locked on PostgreSQL: a purge of the execution waits for the asset row, or the upload sees the execution gone.
        lockExecution = c.sql("assets.lockExecution", "SELECT 1 FROM <p>executions WHERE tenant_id = :t AND id = :e" + c.dialect().forShare());
        toolCallExecution = c.sql("assets.toolCallExecution", "SELECT execution_id FROM <p>execution_tool_calls WHERE tenant_id = :t AND id = :id");
        keyRecorded = c.sql("assets.keyRecorded", "SELECT 1 FROM <p>assets WHERE tenant_id = :t AND blob_key = :key");
        // Windows opens report. as report: a stored key with a segment ending in . (only versions before schema 17 and imports
        // of their files stored one) names the bytes of the keys without those dots. Read from V33's partial indexes, which hold
        // only those keys (their condition is this one, BlobReaper.dottedKey): each row as {tenant, lower-cased key, 1 for an
        // asset, 0 for a pending purge}.
        String dotted = "SELECT tenant_id, lower(blob_key), 1 FROM <p>assets WHERE " + BlobReaper.dottedKey(c.dialect())
                + " UNION ALL SELECT tenant_id, lower(blob_key), 0 FROM <p>blob_intents WHERE " + BlobReaper.dottedKey(c.dialect());
        // One statement per check of register: the key's own holders and the dotted keys, compared by the key Windows opens.
        keyHolders = c.crossTenant("assets.keyHolders", "AssetStore.register: a registered blob key belongs to one tenant, so it is"
                + " looked up in every tenant's assets and pending purges, with the stored keys with a segment ending in . (Windows"
                + " opens them without those dots); only the holders' tenant ids and keys are read, compared, never returned",
                "SELECT tenant_id, lower(blob_key), 1 FROM <p>assets WHERE lower(blob_key) = :lowerKey"
                        + " UNION SELECT tenant_id, lower(blob_key), 0 FROM <p>blob_intents WHERE lower(blob_key) = :lowerKey"
                        + " UNION ALL " + dotted);
        dottedKeys = c.crossTenant("assets.dottedKeys", "deleting a purged asset's bytes and its dry run: a key with a segment ending"
                + " in . names the file Windows opens for the key without those dots, so such keys are looked up in every tenant's"
                + " assets (and pending purges, of which only the purging tenant's are used: their files go with the last row's);"
                + " only the holders' tenant ids and keys are read, compared, never returned", dotted);
        keyLock = c.dialect() == Dialect.POSTGRESQL ? c.sql("assets.keyLock", PgSessions.XACT_KEY_LOCK) : null;
        keyLocks = c.dialect() == Dialect.POSTGRESQL ? c.sql("assets.keyLocks", PgSessions.XACT_KEY_LOCKS) : null;
        get = c.sql("assets.get", A + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL");
        // Share-locked on PostgreSQL for attach: a discard of the asset waits for the attachment, or the attach sees the asset gone.
        getForShare = c.sql("assets.getForShare", A + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL" + c.dialect().forShare());
        lockAny = c.sql("assets.lockAny", "SELECT blob_key FROM <p>assets WHERE tenant_id = :t AND id = :id" + c.dialect().forUpdate());
        attachedAnywhere = c.sql("assets.attachedAnywhere", "SELECT 1 FROM <p>message_assets WHERE tenant_id = :t AND asset_id = :id");
        purge = c.sql("assets.purge", "DELETE FROM <p>assets WHERE tenant_id = :t AND id = :id");
        byExecution = c.sql("assets.byExecution", A + " WHERE tenant_id = :t AND execution_id = :e AND deleted_at IS NULL ORDER BY id");
        byExecutionPage = c.sql("assets.byExecutionPage", A + " WHERE tenant_id = :t AND execution_id = :e AND deleted_at IS NULL"
                + " ORDER BY id LIMIT :limit");
        byExecutionAfter = c.sql("assets.byExecutionAfter", A + " WHERE tenant_id = :t AND execution_id = :e AND deleted_at IS NULL"
                + " AND id > :after ORDER BY id LIMIT :limit");
        byClientKey = c.sql("assets.byClientKey", A + " WHERE tenant_id = :t AND client_key = :clientKey AND deleted_at IS NULL");
        bySha256 = c.sql("assets.bySha256", A + " WHERE tenant_id = :t AND sha256 = :sha AND deleted_at IS NULL"
                + " ORDER BY created_at, id LIMIT 1");
        // Never before the row's last stored time: a writer whose clock is behind would otherwise
        // date the delete back, and retention's purge of deleted assets would come early by the lag.
        delete = c.sql("assets.delete", "UPDATE <p>assets SET deleted_at = " + Dialect.LATER + ", updated_at = "
                + Dialect.LATER + " WHERE tenant_id = :t AND id = :id AND deleted_at IS NULL");
        deleteVectors = c.sql("assets.deleteVectors", "DELETE FROM <p>vectors WHERE tenant_id = :t AND target_type = 'asset' AND target_id = :id");
        // A message is reachable only while its conversation is live (as MessageSql reads it).
        liveMessage = c.sql("assets.liveMessage", "SELECT 1 FROM <p>messages m JOIN <p>conversations c ON c.tenant_id = m.tenant_id"
                + " AND c.id = m.conversation_id WHERE m.tenant_id = :t AND m.id = :id AND m.deleted_at IS NULL AND c.deleted_at IS NULL");
        // For attach: share-locks the message's conversation on PostgreSQL, before any message row
        // (retention's purge locks the conversation, then deletes attachments, then messages): the
        // purge then waits for the attachment and deletes it, or is waited for and the message is
        // gone. Otherwise an attachment slipping in between the purge's two deletes made it fail.
        lockLiveMessage = c.sql("assets.lockLiveMessage", "SELECT 1 FROM <p>conversations c WHERE c.tenant_id = :t AND c.deleted_at IS NULL"
                + " AND c.id = (SELECT m.conversation_id FROM <p>messages m WHERE m.tenant_id = :t AND m.id = :id AND m.deleted_at IS NULL)"
                + c.dialect().forShare());
        // One statement: two attaches of one pair at once both succeed (an update, then an insert,
        // let both insert on PostgreSQL, and the second failed on the unique key). The first
        // attachment's id and time stay, so the attachment order does not change. A new attachment
        // is timed 1 µs after the message's latest when :now is not later (a writer whose clock is
        // behind), so forMessage lists it after those attached before it.
        String latest = "(SELECT MAX(created_at) FROM <p>message_assets WHERE tenant_id = :t AND message_id = :m)";
        insertAttachment = c.sql("assets.insertAttachment", "INSERT INTO <p>message_assets (tenant_id, id, message_id, asset_id, metadata,"
                + " created_at) VALUES (:t, :id, :m, :a, :metadata, CASE WHEN " + latest + " >= :now THEN "
                + c.dialect().plusOneMicrosecond(latest) + " ELSE :now END) ON CONFLICT (tenant_id, message_id, asset_id)"
                + " DO UPDATE SET metadata = excluded.metadata");
        // For detach: whether this tenant has the asset, live or soft-deleted. Not locked (see detach).
        anyState = c.sql("assets.anyState", "SELECT 1 FROM <p>assets WHERE tenant_id = :t AND id = :id");
        deleteAttachment = c.sql("assets.deleteAttachment", "DELETE FROM <p>message_assets WHERE tenant_id = :t AND message_id = :m"
                + " AND asset_id = :a");
        attachedAt = c.sql("assets.attachedAt", "SELECT created_at FROM <p>message_assets WHERE tenant_id = :t AND message_id = :m AND asset_id = :a");
        String attached = "SELECT ma.message_id, ma.id AS attachment_id, ma.metadata AS attachment_metadata, ma.created_at AS attached_at, a."
                + COLUMNS.replace(", ", ", a.") + " FROM <p>message_assets ma JOIN <p>assets a ON a.tenant_id = ma.tenant_id AND a.id = ma.asset_id"
                + " JOIN <p>messages m ON m.tenant_id = ma.tenant_id AND m.id = ma.message_id"
                + " JOIN <p>conversations c ON c.tenant_id = m.tenant_id AND c.id = m.conversation_id"
                + " WHERE ma.tenant_id = :t AND ma.message_id = :m AND a.deleted_at IS NULL AND m.deleted_at IS NULL AND c.deleted_at IS NULL";
        // Attachment order, read from the (tenant_id, message_id, created_at, id) index (V29).
        String inOrder = " ORDER BY ma.created_at, ma.id";
        forMessage = c.sql("assets.forMessage", attached + inOrder);
        // Keyset on the attachment (its time, then its id): attaching again keeps both, so a
        // re-attach between two pages neither repeats nor skips an asset. The first term starts
        // the index range at the cursor's time (the OR alone would not: every page would read all
        // the attachments of the pages before it again); the second breaks a tie of time by id.
        forMessagePage = c.sql("assets.forMessagePage", attached + inOrder + " LIMIT :limit");
        forMessageAfter = c.sql("assets.forMessageAfter", attached + " AND ma.created_at >= :afterAt AND (ma.created_at > :afterAt"
                + " OR (ma.created_at = :afterAt AND ma.id > :afterId))" + inOrder + " LIMIT :limit");
        claimOrphans = c.sql("assets.claimOrphans", "UPDATE <p>blob_intents SET claimed_at = :now WHERE tenant_id = :t AND claimed_at IS NULL"
                + " AND created_at <= " + c.dialect().databaseNowPlusMicros("age") + " AND NOT EXISTS (SELECT 1 FROM <p>assets a WHERE a.tenant_id = :t"
                + " AND a.blob_key = <p>blob_intents.blob_key)");
        claimed = c.sql("assets.claimed", "SELECT blob_key FROM <p>blob_intents WHERE tenant_id = :t AND claimed_at IS NOT NULL");
        // This tenant's rows (1) and pending purges (claimed intents, 0) of the key in any case or as Windows opens it: on a file
        // system where the spellings are two files (Linux), a purged spelling's file that only other spellings name is kept, its
        // purge pending, and goes with the last of them (BlobReaper.deleteUnnamed).
        String spellings = " WHERE tenant_id = :t AND lower(blob_key) IN (:lowerKey, :openedKey)";
        keyRows = c.sql("assets.keyRows", "SELECT 1, blob_key FROM <p>assets" + spellings + " UNION ALL SELECT 0, blob_key FROM"
                + " <p>blob_intents" + spellings + " AND claimed_at IS NOT NULL");
        // Other tenants' rows: none (NULL), one spelt as :key (1), only other spellings (0).
        String spelt = "MAX(CASE WHEN blob_key = :key THEN 1 ELSE 0 END)";
        keyElsewhere = c.crossTenant("assets.keyElsewhere", "deleting a purged asset's bytes: rows of several tenants may name one"
                + " blob key (an import into another tenant keeps the file's keys), so the bytes go only once no tenant's row names it;"
                + " only whether such a row exists, and whether one is spelt as the purged key, is read",
                "SELECT " + spelt + " FROM <p>assets WHERE lower(blob_key) IN (:lowerKey, :openedKey) AND tenant_id <> :tenant");
        // This tenant's purges pending (claimed intents) of a key in any case: spellings of one file on Windows whose own files wait
        // for the last row naming any of them (those with a segment ending in ., found by assets.dottedKeys; rare).
        claimedSpellings = c.sql("assets.claimedSpellings", "SELECT blob_key FROM <p>blob_intents WHERE tenant_id = :t"
                + " AND lower(blob_key) = :lowerKey AND claimed_at IS NOT NULL");
    }

    /**
     * The live assets among {@code n} ids bound by {@link InList} as {@code ids}: {@code n} is one of a few sizes (see
     * {@code JdbiAssetStore.getAll}), so few texts are rendered and each is prepared once per connection.
     */
    Statement getAll(int n) {
        return c.render("assets.getAll", A + " WHERE tenant_id = :t AND id IN (" + InList.marks("ids", n) + ") AND deleted_at IS NULL");
    }

    /** Deletes the intents of {@code keys}: the text depends on how many. */
    Statement forgetIntents(List<String> keys) {
        return c.render("assets.forgetIntents", "DELETE FROM <p>blob_intents WHERE tenant_id = :t AND blob_key IN (" + InList.marks("key", keys.size()) + ")");
    }
}
