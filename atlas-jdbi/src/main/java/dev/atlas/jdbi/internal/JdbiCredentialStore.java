package dev.atlas.jdbi.internal;

import dev.atlas.ConfigurationException;
import dev.atlas.Ids;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.credential.CredentialInfo;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.credential.CredentialStore;
import dev.atlas.credential.Secret;
import dev.atlas.internal.Check;
import dev.atlas.internal.CredentialCipher.Sealed;
import dev.atlas.internal.CredentialCipher;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.RowMapper;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * {@link CredentialStore} on Jdbi. Only ciphertext, nonce and key id reach the database; the
 * plaintext exists in memory only, between the caller and the cipher.
 */
public final class JdbiCredentialStore implements CredentialStore {
    static final int REENCRYPT_BATCH = 100;

    private final Db db;
    private final String tenant;
    private final Sql sql;
    private final CredentialSql q;
    private final CredentialCipher cipher;
    private final RowMapper<CredentialInfo> infos;

    /** {@code keys} may be null: the store then fails every call with a ConfigurationException. */
    public JdbiCredentialStore(Db db, String tenant, CredentialKeys keys) {
        this.db = db;
        this.tenant = tenant;
        this.sql = new Sql(db, new TenantId(tenant));
        this.q = db.statements(CredentialSql.class, CredentialSql::new);
        this.cipher = keys == null ? null : new CredentialCipher(keys);
        Dialect d = db.dialect();
        // Guarded as every store's rows are: a time SQLite holds as text names this row, not nothing.
        this.infos = Rows.guard("credentials", "id", (rs, ctx) -> new CredentialInfo(Rows.owner(rs, "owner_type", "owner_id"),
                rs.getString("name"), rs.getString("key_id"), d.instant(rs, "created_at"), d.instant(rs, "updated_at")));
    }

    private CredentialCipher cipher() {
        if (cipher == null) {
            throw new ConfigurationException("credentials need encryption keys, and none are configured: build Atlas with"
                    + " .credentialKeys(CredentialKeys.of(\"key-1\", key)) where key is 32 random bytes the application keeps"
                    + " (for example in a secrets manager)");
        }
        return cipher;
    }

    @Override
    public CredentialInfo upsert(Owner owner, String name, String secret) {
        CredentialCipher c = cipher();
        Check.notNull("owner", owner);
        Check.key("name", name);
        Check.notNull("secret", secret);
        Check.text("secret", secret, MAX_SECRET_LENGTH);
        int bytes = identityBytes(tenant, owner.type(), owner.id(), name);
        Sealed sealed = c.encrypt(secret, tenant, owner.type(), owner.id(), name);
        if (bytes > MAX_IDENTITY_BYTES) {
            // Stored before the limit (SQLite holds any size, PostgreSQL's index compresses repeated text): its owner must still
            // be able to rotate the secret, which reuses the key the index holds. Only a new such key is refused.
            return db.write(h -> named(sql.on(h, q.replace), owner, name).bind("keyId", sealed.keyId()).bind("nonce", sealed.nonce())
                    .bind("ciphertext", sealed.ciphertext()).bind("now", db.now()).optional(infos))
                    .orElseThrow(() -> identityTooLarge("name", bytes));
        }
        UUID id = Ids.next(db.clock());
        return db.write(h -> named(sql.on(h, q.upsert), owner, name).bind("id", id)
                .bind("keyId", sealed.keyId()).bind("nonce", sealed.nonce()).bind("ciphertext", sealed.ciphertext())
                .bind("now", db.now()).one(infos));
    }

    /**
     * Refuses, naming {@code field}, a new credential identity too large for the unique index on it:
     * PostgreSQL refused an entry of 2,712 bytes (128 and 3 x 255 CJK characters) with a storage
     * error, which SQLite stored. Imports check it too, so no dialect holds what the other cannot.
     */
    public static void checkIdentity(String field, String tenant, String ownerType, String ownerId, String name) {
        int bytes = identityBytes(tenant, ownerType, ownerId, name);
        if (bytes > MAX_IDENTITY_BYTES) {
            throw identityTooLarge(field, bytes);
        }
    }

    private static int identityBytes(String tenant, String ownerType, String ownerId, String name) {
        return Json.utf8Length(tenant) + Json.utf8Length(ownerType) + Json.utf8Length(ownerId) + Json.utf8Length(name);
    }

    private static dev.atlas.InvalidInputException identityTooLarge(String field, int bytes) {
        return new dev.atlas.InvalidInputException(field, "takes " + bytes + " bytes of UTF-8 with its owner type, owner id and"
                + " tenant id; at most " + MAX_IDENTITY_BYTES + " fit the credential's index: use a shorter name or owner id");
    }

    private static Sql.Call named(Sql.Call call, Owner owner, String name) {
        return call.bind("ownerType", owner.type()).bind("ownerId", owner.id()).bind("name", name);
    }

    @Override
    public Optional<Secret> get(Owner owner, String name) {
        CredentialCipher c = cipher();
        Check.notNull("owner", owner);
        Check.key("name", name);
        Optional<Sealed> sealed = db.read(h -> named(sql.on(h, q.sealed), owner, name)
                .optional((rs, ctx) -> new Sealed(rs.getString("key_id"), rs.getBytes("nonce"), rs.getBytes("ciphertext"))));
        return sealed.map(s -> Secret.of(c.decrypt(s, tenant, owner.type(), owner.id(), name)));
    }

    @Override
    public List<CredentialInfo> list(Owner owner) {
        cipher();
        Check.notNull("owner", owner);
        return List.copyOf(db.read(h -> sql.on(h, q.list).bind("ownerType", owner.type()).bind("ownerId", owner.id()).list(infos)));
    }

    @Override
    public dev.atlas.Page<CredentialInfo> list(Owner owner, int limit, String cursor) {
        cipher();
        Check.notNull("owner", owner);
        Check.positive("limit", limit, dev.atlas.Limits.MAX_PAGE_SIZE);
        // Scoped to the owner: another owner's (or tenant's) cursor is refused, not read as a position here.
        dev.atlas.jdbi.internal.sql.Cursor.Listing listing = sql.listing("credentials", owner.type(), owner.id());
        String after = cursor == null ? null : dev.atlas.jdbi.internal.sql.Cursor.decode(cursor, listing, 1).string(0);
        List<CredentialInfo> rows = db.read(h -> (after == null ? sql.on(h, q.page) : sql.on(h, q.pageAfter).bind("after", after))
                .bind("ownerType", owner.type()).bind("ownerId", owner.id()).bind("limit", limit + 1).list(infos));
        return dev.atlas.jdbi.internal.sql.Cursor.page(List.copyOf(rows), limit,
                i -> dev.atlas.jdbi.internal.sql.Cursor.encode(listing, i.name()));
    }

    @Override
    public void delete(Owner owner, String name) {
        cipher();
        Check.notNull("owner", owner);
        Check.key("name", name);
        if (db.write(h -> named(sql.on(h, q.delete), owner, name).update()) == 0) {
            throw new NotFoundException("credential", name, "name");
        }
    }

    private record Row(UUID id, String ownerType, String ownerId, String name, Sealed sealed) {}

    @Override
    public int reEncrypt() {
        CredentialCipher c = cipher();
        String primary = c.primaryId();
        int moved = 0;
        UUID after = null;
        while (true) {
            UUID from = after;
            List<Row> batch = db.read(h -> (from == null ? sql.on(h, q.staleBatch) : sql.on(h, q.staleBatchAfter).bind("after", from))
                    .bind("primary", primary).bind("limit", REENCRYPT_BATCH)
                    .list((rs, ctx) -> new Row(db.dialect().uuid(rs, "id"), rs.getString("owner_type"), rs.getString("owner_id"),
                            rs.getString("name"), new Sealed(rs.getString("key_id"), rs.getBytes("nonce"), rs.getBytes("ciphertext")))));
            if (batch.isEmpty()) {
                return moved;
            }
            // Decrypt and re-encrypt outside the transaction; the write below only applies where the
            // row still holds exactly what was read, so a concurrent put is never overwritten.
            List<Sealed> resealed = batch.stream().map(r -> c.encrypt(c.decrypt(r.sealed(), tenant, r.ownerType(), r.ownerId(), r.name()),
                    tenant, r.ownerType(), r.ownerId(), r.name())).toList();
            moved += db.write(h -> {
                int n = 0;
                for (int i = 0; i < batch.size(); i++) {
                    Row r = batch.get(i);
                    Sealed s = resealed.get(i);
                    n += sql.on(h, q.reseal).bind("id", r.id()).bind("keyId", s.keyId()).bind("nonce", s.nonce())
                            .bind("ciphertext", s.ciphertext())
                            .bind("oldKey", r.sealed().keyId()).bind("oldNonce", r.sealed().nonce())
                            .update();
                }
                return n;
            });
            after = batch.get(batch.size() - 1).id();
        }
    }
}
