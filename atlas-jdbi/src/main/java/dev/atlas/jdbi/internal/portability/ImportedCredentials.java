package dev.atlas.jdbi.internal.portability;

import dev.atlas.CredentialDecryptionException;
import dev.atlas.InvalidInputException;
import dev.atlas.internal.CredentialCipher;
import dev.atlas.jdbi.internal.portability.Codec.Parsed;
import dev.atlas.jdbi.internal.portability.PortableSchema.Table;

import java.util.Base64;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The credentials of one import: each must open in the importing tenant, or (resealing) as sealed
 * for the tenant the caller names, so that no stored credential is unreadable. A credential's seal
 * binds tenant, owner, name and key id; see {@link CredentialCipher}.
 */
final class ImportedCredentials {
    /** The columns a reseal replaces; two rows differing only there hold the same credential if their secrets match. */
    static final Set<String> SEALED = Set.of("key_id", "nonce", "ciphertext");

    private final @Nullable CredentialCipher cipher;
    private final String tenant;
    private final String sealedFor;

    /**
     * @param cipher     this Atlas's, or null when it has no credential keys: credentials are then taken as written
     * @param tenant     the importing tenant
     * @param resealFrom the tenant the caller says the credentials were sealed for, or null: this one
     */
    ImportedCredentials(@Nullable CredentialCipher cipher, String tenant, @Nullable String resealFrom) {
        this.cipher = cipher;
        this.tenant = tenant;
        this.sealedFor = resealFrom != null ? resealFrom : tenant;
    }

    private boolean resealing() {
        return !sealedFor.equals(tenant);
    }

    /** Refuses a credential row that would not read in this tenant once stored. */
    void check(Parsed row, String where) {
        if (cipher == null) {
            return; // nothing to open it with; such an Atlas reads no credential until it is given the keys
        }
        open(row.values(), sealedFor, where);
    }

    /**
     * Refuses a credential row new to this tenant whose identity its index cannot hold. One already
     * stored (before the limit, or by an earlier run of this import) is left as it is, so that its
     * export still imports unchanged.
     */
    void checkNew(Parsed row, String where) {
        Object[] v = row.values();
        Table t = row.table();
        dev.atlas.jdbi.internal.JdbiCredentialStore.checkIdentity(where + "credential.name", tenant, (String) v[t.index("owner_type")],
                (String) v[t.index("owner_id")], (String) v[t.index("name")]);
    }

    /**
     * Whether a stored row and a file row differing in {@link #SEALED} columns hold one secret: an
     * earlier reseal of this file, or the stored row re-encrypted under a new key since the export.
     */
    boolean sameSecret(Object[] stored, Parsed row) {
        if (cipher == null) {
            return false;
        }
        try {
            return open(stored, tenant, "").equals(open(row.values(), sealedFor, ""));
        } catch (InvalidInputException e) {
            return false;
        }
    }

    /** The row as stored here: resealed for this tenant with the primary key when resealing, else as written. */
    Parsed sealedHere(Parsed row, String where) {
        if (cipher == null || !resealing()) {
            return row;
        }
        Object[] v = row.values();
        Table t = row.table();
        CredentialCipher.Sealed s = cipher.encrypt(open(v, sealedFor, where), tenant, (String) v[t.index("owner_type")],
                (String) v[t.index("owner_id")], (String) v[t.index("name")]);
        Object[] values = v.clone();
        Object[] bind = row.bind().clone();
        Base64.Encoder b64 = Base64.getEncoder();
        values[t.index("key_id")] = s.keyId();
        values[t.index("nonce")] = b64.encodeToString(s.nonce());
        values[t.index("ciphertext")] = b64.encodeToString(s.ciphertext());
        for (String c : SEALED) {
            bind[t.index(c)] = values[t.index(c)];
        }
        return new Parsed(t, values, bind);
    }

    private String open(Object[] v, String sealedTenant, String where) {
        Table t = PortableSchema.byTable("credentials");
        CredentialCipher.Sealed sealed = new CredentialCipher.Sealed((String) v[t.index("key_id")],
                Base64.getDecoder().decode((String) v[t.index("nonce")]), Base64.getDecoder().decode((String) v[t.index("ciphertext")]));
        try {
            return cipher.decrypt(sealed, sealedTenant, (String) v[t.index("owner_type")], (String) v[t.index("owner_id")],
                    (String) v[t.index("name")]);
        } catch (CredentialDecryptionException e) {
            throw new InvalidInputException(where + "credential.ciphertext", "does not decrypt as sealed for "
                    + (sealedTenant.equals(tenant) ? "this tenant" : "the tenant named by ImportOptions.resealCredentialsFrom")
                    + " with the configured credential keys: " + e.getMessage()
                    + (resealing() ? "" : "; a credential exported from another tenant imports with ImportOptions.resealCredentialsFrom(thatTenant)"));
        }
    }
}
