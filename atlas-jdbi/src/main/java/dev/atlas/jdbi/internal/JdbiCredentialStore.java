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
import org.jdbi.v3.core.mapper.RowMapper;

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
    private final CredentialCipher cipher;
    private final RowMapper<CredentialInfo> infos;

    /** {@code keys} may be null: the store then fails every call with a ConfigurationException. */
    public JdbiCredentialStore(Db db, String tenant, CredentialKeys keys) {
        this.db = db;
        this.tenant = tenant;
        this.cipher = keys == null ? null : new CredentialCipher(keys);
        Dialect d = db.dialect();
        this.infos = (rs, ctx) -> new CredentialInfo(Rows.owner(rs, "owner_type", "owner_id"), rs.getString("name"),
                rs.getString("key_id"), d.instant(rs, "created_at"), d.instant(rs, "updated_at"));
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
        Sealed sealed = c.encrypt(secret, tenant, owner.type(), owner.id(), name);
        UUID id = Ids.next(db.clock());
        return db.write(h -> h.createQuery("INSERT INTO <p>credentials (tenant_id, id, owner_type, owner_id, name, key_id, nonce, ciphertext,"
                        + " created_at, updated_at) VALUES (:t, :id, :ownerType, :ownerId, :name, :keyId, :nonce, :ciphertext, :now, :now)"
                        + " ON CONFLICT (tenant_id, owner_type, owner_id, name) DO UPDATE SET key_id = excluded.key_id,"
                        + " nonce = excluded.nonce, ciphertext = excluded.ciphertext, updated_at = excluded.updated_at"
                        + " RETURNING owner_type, owner_id, name, key_id, created_at, updated_at")
                .bind("t", tenant).bind("id", id).bind("ownerType", owner.type()).bind("ownerId", owner.id()).bind("name", name)
                .bind("keyId", sealed.keyId()).bind("nonce", sealed.nonce()).bind("ciphertext", sealed.ciphertext())
                .bind("now", db.now())
                .map(infos).one());
    }

    @Override
    public Optional<Secret> get(Owner owner, String name) {
        CredentialCipher c = cipher();
        Check.notNull("owner", owner);
        Check.key("name", name);
        Optional<Sealed> sealed = db.read(h -> h.createQuery("SELECT key_id, nonce, ciphertext FROM <p>credentials"
                        + " WHERE tenant_id = :t AND owner_type = :ownerType AND owner_id = :ownerId AND name = :name")
                .bind("t", tenant).bind("ownerType", owner.type()).bind("ownerId", owner.id()).bind("name", name)
                .map((rs, ctx) -> new Sealed(rs.getString("key_id"), rs.getBytes("nonce"), rs.getBytes("ciphertext")))
                .findOne());
        return sealed.map(s -> Secret.of(c.decrypt(s, tenant, owner.type(), owner.id(), name)));
    }

    @Override
    public List<CredentialInfo> list(Owner owner) {
        cipher();
        Check.notNull("owner", owner);
        return List.copyOf(db.read(h -> h.createQuery("SELECT owner_type, owner_id, name, key_id, created_at, updated_at FROM <p>credentials"
                        + " WHERE tenant_id = :t AND owner_type = :ownerType AND owner_id = :ownerId ORDER BY name")
                .bind("t", tenant).bind("ownerType", owner.type()).bind("ownerId", owner.id())
                .map(infos).list()));
    }

    @Override
    public void delete(Owner owner, String name) {
        cipher();
        Check.notNull("owner", owner);
        Check.key("name", name);
        int deleted = db.write(h -> h.createUpdate("DELETE FROM <p>credentials"
                        + " WHERE tenant_id = :t AND owner_type = :ownerType AND owner_id = :ownerId AND name = :name")
                .bind("t", tenant).bind("ownerType", owner.type()).bind("ownerId", owner.id()).bind("name", name)
                .execute());
        if (deleted == 0) {
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
            List<Row> batch = db.read(h -> h.createQuery("SELECT id, owner_type, owner_id, name, key_id, nonce, ciphertext FROM <p>credentials"
                            + " WHERE tenant_id = :t AND key_id <> :primary" + (from == null ? "" : " AND id > :after")
                            + " ORDER BY id LIMIT :limit")
                    .bind("t", tenant).bind("primary", primary).bind("after", from).bind("limit", REENCRYPT_BATCH)
                    .map((rs, ctx) -> new Row(db.dialect().uuid(rs, "id"), rs.getString("owner_type"), rs.getString("owner_id"),
                            rs.getString("name"), new Sealed(rs.getString("key_id"), rs.getBytes("nonce"), rs.getBytes("ciphertext"))))
                    .list());
            if (batch.isEmpty()) {
                return moved;
            }
            // Decrypt and re-encrypt outside the transaction; the write below only applies where the
            // row still holds exactly what was read, so a concurrent put is never overwritten.
            List<Object[]> updates = new java.util.ArrayList<>(batch.size());
            for (Row r : batch) {
                String plain = c.decrypt(r.sealed(), tenant, r.ownerType(), r.ownerId(), r.name());
                updates.add(new Object[] {r, c.encrypt(plain, tenant, r.ownerType(), r.ownerId(), r.name())});
            }
            moved += db.write(h -> {
                int n = 0;
                for (Object[] u : updates) {
                    Row r = (Row) u[0];
                    Sealed s = (Sealed) u[1];
                    n += h.createUpdate("UPDATE <p>credentials SET key_id = :keyId, nonce = :nonce, ciphertext = :ciphertext, updated_at = :now"
                                    + " WHERE tenant_id = :t AND id = :id AND key_id = :oldKey AND nonce = :oldNonce")
                            .bind("t", tenant).bind("id", r.id()).bind("keyId", s.keyId()).bind("nonce", s.nonce())
                            .bind("ciphertext", s.ciphertext()).bind("now", db.now())
                            .bind("oldKey", r.sealed().keyId()).bind("oldNonce", r.sealed().nonce())
                            .execute();
                }
                return n;
            });
            after = batch.get(batch.size() - 1).id();
        }
    }
}
