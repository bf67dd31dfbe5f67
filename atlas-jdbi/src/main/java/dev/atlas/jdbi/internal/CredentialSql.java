package dev.atlas.jdbi.internal;

import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Statement;

/** The credential store's statements. */
final class CredentialSql {
    /** With the id, which only an unreadable row's exception names: the API finds a credential by owner and name. */
    private static final String INFO = "id, owner_type, owner_id, name, key_id, created_at, updated_at";
    private static final String BY_NAME = " WHERE tenant_id = :t AND owner_type = :ownerType AND owner_id = :ownerId AND name = :name";

    final Statement upsert;
    final Statement replace;
    final Statement sealed;
    final Statement list;
    final Statement page;
    final Statement pageAfter;
    final Statement delete;
    final Statement staleBatch;
    final Statement staleBatchAfter;
    final Statement reseal;

    CredentialSql(Catalogue c) {
        upsert = c.sql("credentials.upsert", "INSERT INTO <p>credentials (tenant_id, id, owner_type, owner_id, name, key_id, nonce,"
                + " ciphertext, created_at, updated_at) VALUES (:t, :id, :ownerType, :ownerId, :name, :keyId, :nonce, :ciphertext, :now, :now)"
                + " ON CONFLICT (tenant_id, owner_type, owner_id, name) DO UPDATE SET key_id = excluded.key_id,"
                + " nonce = excluded.nonce, ciphertext = excluded.ciphertext,"
                // An instance whose clock lags must not move updated_at back (before created_at, or an earlier update).
                + " updated_at = " + Dialect.upsertLater("<p>credentials") + " RETURNING " + INFO);
        // Only an identity stored before CredentialStore.MAX_IDENTITY_BYTES: it replaces the secret and never inserts a key.
        replace = c.sql("credentials.replace", "UPDATE <p>credentials SET key_id = :keyId, nonce = :nonce, ciphertext = :ciphertext,"
                + " updated_at = " + Dialect.LATER + BY_NAME + " RETURNING " + INFO);
        sealed = c.sql("credentials.sealed", "SELECT key_id, nonce, ciphertext FROM <p>credentials" + BY_NAME);
        list = c.sql("credentials.list", "SELECT " + INFO + " FROM <p>credentials"
                + " WHERE tenant_id = :t AND owner_type = :ownerType AND owner_id = :ownerId ORDER BY " + c.dialect().binary("name"));
        String owned = "SELECT " + INFO + " FROM <p>credentials WHERE tenant_id = :t AND owner_type = :ownerType AND owner_id = :ownerId";
        String byName = " ORDER BY " + c.dialect().binary("name") + " LIMIT :limit";
        page = c.sql("credentials.page", owned + byName);
        pageAfter = c.sql("credentials.pageAfter", owned + " AND " + c.dialect().binary("name") + " > :after" + byName);
        delete = c.sql("credentials.delete", "DELETE FROM <p>credentials" + BY_NAME);
        String stale = "SELECT id, owner_type, owner_id, name, key_id, nonce, ciphertext FROM <p>credentials WHERE tenant_id = :t"
                + " AND key_id <> :primary";
        staleBatch = c.sql("credentials.staleBatch", stale + " ORDER BY id LIMIT :limit");
        staleBatchAfter = c.sql("credentials.staleBatchAfter", stale + " AND id > :after ORDER BY id LIMIT :limit");
        // updated_at stays: it tells when the value was last stored, and re-encryption keeps the value.
        reseal = c.sql("credentials.reseal", "UPDATE <p>credentials SET key_id = :keyId, nonce = :nonce, ciphertext = :ciphertext"
                + " WHERE tenant_id = :t AND id = :id AND key_id = :oldKey AND nonce = :oldNonce");
    }
}
