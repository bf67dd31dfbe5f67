package dev.atlas.jdbi.kit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.atlas.Atlas;
import dev.atlas.AtlasBuilder;
import dev.atlas.ConfigurationException;
import dev.atlas.CredentialDecryptionException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.credential.CredentialInfo;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.credential.CredentialStore;
import dev.atlas.credential.Secret;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/** The behaviour every {@link CredentialStore} implementation must have, on every database. */
public abstract class CredentialStoreContract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");
    private static final Owner BOB = Owner.user("bob");
    private static final byte[] K1 = randomKey();
    private static final byte[] K2 = randomKey();
    private static final String PLAINTEXT = "sk-live-PLAINTEXT-7f3a9c-marker";

    protected CredentialStore store;
    protected CredentialStore other;

    protected CredentialStoreContract(TestDatabase database) {
        super(database);
    }

    private static byte[] randomKey() {
        byte[] k = new byte[32];
        new SecureRandom().nextBytes(k);
        return k;
    }

    @Override
    protected AtlasBuilder configure(AtlasBuilder builder) {
        return super.configure(builder).credentialKeys(CredentialKeys.of("k1", K1));
    }

    @BeforeEach
    void stores() {
        store = atlas.tenant("acme").credentials();
        other = atlas.tenant("globex").credentials();
    }

    @Test
    @DisplayName("a replacement written by an instance whose clock lags keeps the value and never moves updatedAt back"
            + " (before createdAt or the last update)")
    void replacementFromALaggingClock() {
        CredentialInfo first = store.upsert(ALICE, "openai", PLAINTEXT);
        java.time.Instant t0 = clock.instant();
        clock.set(t0.minusSeconds(3600));
        CredentialInfo replaced = store.upsert(ALICE, "openai", "sk-from-the-past");
        assertThat(replaced.createdAt()).isEqualTo(first.createdAt());
        assertThat(replaced.updatedAt()).isEqualTo(t0);
        assertThat(store.list(ALICE)).singleElement().returns(t0, CredentialInfo::updatedAt);
        assertThat(store.get(ALICE, "openai").orElseThrow().reveal()).isEqualTo("sk-from-the-past");
        clock.set(t0.plusSeconds(5));
        assertThat(store.upsert(ALICE, "openai", "sk-now").updatedAt()).isEqualTo(t0.plusSeconds(5));
    }

    @Test
    @DisplayName("a stored secret reads back unchanged; put again replaces it; a missing one is empty")
    void roundTrip() {
        CredentialInfo info = store.upsert(ALICE, "openai", PLAINTEXT);
        assertThat(info).returns(ALICE, CredentialInfo::owner).returns("openai", CredentialInfo::name)
                .returns("k1", CredentialInfo::keyId).returns(clock.instant(), CredentialInfo::createdAt);
        assertThat(store.get(ALICE, "openai").orElseThrow().reveal()).isEqualTo(PLAINTEXT);
        clock.advanceMicros(3);
        CredentialInfo replaced = store.upsert(ALICE, "openai", "sk-second ünïcödé 😀");
        assertThat(replaced.createdAt()).isEqualTo(info.createdAt());
        assertThat(replaced.updatedAt()).isEqualTo(clock.instant());
        assertThat(store.get(ALICE, "openai").orElseThrow().reveal()).isEqualTo("sk-second ünïcödé 😀");
        assertThat(store.get(ALICE, "github")).isEmpty();
        assertThat(store.get(BOB, "openai")).isEmpty();
        store.upsert(ALICE, "empty", "");
        assertThat(store.get(ALICE, "empty").orElseThrow().reveal()).isEmpty();
    }

    @Test
    @DisplayName("list gives names and key ids by name, never values; a secret's toString hides it")
    void listHidesValues() {
        store.upsert(ALICE, "slack", PLAINTEXT);
        store.upsert(ALICE, "github", PLAINTEXT);
        store.upsert(BOB, "jira", PLAINTEXT);
        List<CredentialInfo> list = store.list(ALICE);
        assertThat(list).extracting(CredentialInfo::name).containsExactly("github", "slack");
        assertThat(list.toString()).doesNotContain(PLAINTEXT);
        Secret s = store.get(ALICE, "slack").orElseThrow();
        assertThat(s.toString()).doesNotContain(PLAINTEXT).isEqualTo("Secret[****]");
        assertThat(store.list(Owner.user("nobody"))).isEmpty();
    }

    @Test
    @DisplayName("a Secret handed to a JSON serialiser (Jackson as is, or as Spring Boot configures it) or to Java serialization never"
            + " yields its plaintext; CredentialInfo has no value to show")
    void secretsAreNotSerialised() throws Exception {
        store.upsert(ALICE, "openai", PLAINTEXT);
        Secret secret = store.require(ALICE, "openai");
        com.fasterxml.jackson.databind.ObjectMapper plain = new com.fasterxml.jackson.databind.ObjectMapper();
        assertThatThrownBy(() -> plain.writeValueAsString(secret)).hasMessageNotContaining(PLAINTEXT);
        com.fasterxml.jackson.databind.ObjectMapper lenient = new com.fasterxml.jackson.databind.ObjectMapper()
                .disable(com.fasterxml.jackson.databind.SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule());
        assertThat(lenient.writeValueAsString(java.util.Map.of("secret", secret))).isEqualTo("{\"secret\":{}}");
        assertThat(lenient.writeValueAsString(store.list(ALICE))).doesNotContain(PLAINTEXT).contains("openai");
        assertThatThrownBy(() -> new java.io.ObjectOutputStream(java.io.OutputStream.nullOutputStream()).writeObject(secret))
                .isInstanceOf(java.io.NotSerializableException.class).hasMessageNotContaining(PLAINTEXT);
    }

    @Test
    @DisplayName("a serialiser that reads private fields (Jackson with field visibility ANY, as apps configure it for value classes;"
            + " Gson and reflective toString builders likewise skip transient fields) shows neither a Secret's plaintext nor the"
            + " key material of CredentialKeys")
    void fieldSerialisersSeeNoSecretOrKey() throws Exception {
        store.upsert(ALICE, "openai", PLAINTEXT);
        Secret secret = store.require(ALICE, "openai");
        CredentialKeys keys = CredentialKeys.of("k2", K2).with("k1", K1);
        com.fasterxml.jackson.databind.ObjectMapper fields = new com.fasterxml.jackson.databind.ObjectMapper()
                .setVisibility(com.fasterxml.jackson.annotation.PropertyAccessor.FIELD,
                        com.fasterxml.jackson.annotation.JsonAutoDetect.Visibility.ANY)
                .disable(com.fasterxml.jackson.databind.SerializationFeature.FAIL_ON_EMPTY_BEANS);
        java.util.Map<String, Object> shown = new java.util.LinkedHashMap<>();
        shown.put("secret", secret);
        shown.put("keys", keys);
        assertThat(fields.writeValueAsString(shown)).isEqualTo("{\"secret\":{},\"keys\":{\"primaryId\":\"k2\"}}");
    }

    @Test
    @DisplayName("delete removes one credential; deleting a missing one is a NotFoundException naming name")
    void delete() {
        store.upsert(ALICE, "openai", PLAINTEXT);
        store.upsert(ALICE, "github", PLAINTEXT);
        store.delete(ALICE, "openai");
        assertThatThrownBy(() -> store.delete(ALICE, "openai")).isInstanceOf(NotFoundException.class)
                .hasMessage("name: credential openai not found");
        assertThat(store.get(ALICE, "openai")).isEmpty();
        assertThat(store.get(ALICE, "github")).isPresent();
    }

    @Test
    @DisplayName("a JVM whose crypto provider lacks AES-GCM fails upsert, get and reEncrypt with ConfigurationException saying so (never an"
            + " IllegalStateException, nor a CredentialDecryptionException blaming the data), and upsert writes nothing")
    void jvmWithoutAesGcm() {
        store.upsert(ALICE, "openai", PLAINTEXT);
        Atlas rotated = reopen(b -> b.clock(clock).credentialKeys(CredentialKeys.of("k2", K2).with("k1", K1)));
        java.security.Provider sunJce = java.security.Security.getProvider("SunJCE");
        assertThat(sunJce).isNotNull();
        int position = Arrays.asList(java.security.Security.getProviders()).indexOf(sunJce) + 1;
        java.security.Security.removeProvider(sunJce.getName());
        try {
            for (org.assertj.core.api.ThrowableAssert.ThrowingCallable call : List.<org.assertj.core.api.ThrowableAssert.ThrowingCallable>of(
                    () -> store.upsert(BOB, "openai", PLAINTEXT), () -> store.get(ALICE, "openai"),
                    () -> rotated.tenant("acme").credentials().reEncrypt())) {
                assertThatThrownBy(call).isExactlyInstanceOf(ConfigurationException.class).hasMessageContaining("AES/GCM/NoPadding")
                        .hasMessageNotContaining(PLAINTEXT);
            }
        } finally {
            java.security.Security.insertProviderAt(sunJce, position);
        }
        assertThat(store.list(BOB)).isEmpty();
        assertThat(store.list(ALICE)).extracting(CredentialInfo::keyId).containsExactly("k1");
        assertThat(store.get(ALICE, "openai").orElseThrow().reveal()).isEqualTo(PLAINTEXT);
    }

    @Test
    @DisplayName("every write uses a fresh 12-byte nonce, so the same secret never encrypts alike")
    void freshNonce() throws SQLException {
        store.upsert(ALICE, "a", PLAINTEXT);
        byte[][] first = raw("acme", ALICE, "a");
        store.upsert(ALICE, "a", PLAINTEXT);
        byte[][] second = raw("acme", ALICE, "a");
        assertThat(first[0]).hasSize(12);
        assertThat(first[0]).isNotEqualTo(second[0]);
        assertThat(first[1]).isNotEqualTo(second[1]);
        assertThat(first[1].length).isEqualTo(PLAINTEXT.length() + 16);
    }

    @Test
    @DisplayName("a changed byte in the ciphertext or nonce, or a truncated ciphertext, fails with CredentialDecryptionException, never garbage")
    void tamperByte() throws SQLException {
        store.upsert(ALICE, "openai", PLAINTEXT);
        store.upsert(ALICE, "github", PLAINTEXT);
        byte[][] row = raw("acme", ALICE, "openai");
        byte[] ciphertext = row[1].clone();
        ciphertext[3] ^= 0x01;
        write("acme", ALICE, "openai", row[0], ciphertext);
        assertThatThrownBy(() -> store.get(ALICE, "openai")).isInstanceOf(CredentialDecryptionException.class)
                .hasMessageContaining("openai").hasMessageNotContaining(PLAINTEXT);
        byte[][] gh = raw("acme", ALICE, "github");
        byte[] nonce = gh[0].clone();
        nonce[0] ^= (byte) 0x80;
        write("acme", ALICE, "github", nonce, gh[1]);
        assertThatThrownBy(() -> store.get(ALICE, "github")).isInstanceOf(CredentialDecryptionException.class);
        write("acme", ALICE, "openai", row[0], Arrays.copyOf(row[1], 3));
        assertThatThrownBy(() -> store.get(ALICE, "openai")).isInstanceOf(CredentialDecryptionException.class);
    }

    @Test
    @DisplayName("a ciphertext moved to another owner, name or tenant fails to decrypt")
    void tamperMove() throws SQLException {
        store.upsert(ALICE, "openai", PLAINTEXT);
        store.upsert(BOB, "openai", "bob's");
        store.upsert(ALICE, "github", "alice's github");
        other.upsert(ALICE, "openai", "globex alice");
        byte[][] alice = raw("acme", ALICE, "openai");
        write("acme", BOB, "openai", alice[0], alice[1]);
        write("acme", ALICE, "github", alice[0], alice[1]);
        write("globex", ALICE, "openai", alice[0], alice[1]);
        assertThatThrownBy(() -> store.get(BOB, "openai")).isInstanceOf(CredentialDecryptionException.class);
        assertThatThrownBy(() -> store.get(ALICE, "github")).isInstanceOf(CredentialDecryptionException.class);
        assertThatThrownBy(() -> other.get(ALICE, "openai")).isInstanceOf(CredentialDecryptionException.class);
        assertThat(store.get(ALICE, "openai").orElseThrow().reveal()).isEqualTo(PLAINTEXT);
    }

    @Test
    @DisplayName("after rotation old rows still decrypt, new writes use the primary, and reEncrypt moves every row in batches")
    void rotation() {
        for (int i = 0; i < 230; i++) {
            store.upsert(Owner.user("u" + i), "openai", PLAINTEXT + i);
        }
        other.upsert(ALICE, "openai", "globex");
        Atlas rotated = reopen(b -> b.clock(clock).credentialKeys(CredentialKeys.of("k2", K2).with("k1", K1)));
        CredentialStore r = rotated.tenant("acme").credentials();
        assertThat(r.get(Owner.user("7"), "openai")).isEmpty();
        assertThat(r.get(Owner.user("u7"), "openai").orElseThrow().reveal()).isEqualTo(PLAINTEXT + 7);
        assertThat(r.upsert(ALICE, "new", "fresh").keyId()).isEqualTo("k2");
        assertThat(r.reEncrypt()).isEqualTo(230);
        assertThat(r.reEncrypt()).isZero();
        assertThat(r.list(Owner.user("u229"))).extracting(CredentialInfo::keyId).containsExactly("k2");

        Atlas onlyNew = reopen(b -> b.credentialKeys(CredentialKeys.of("k2", K2)));
        CredentialStore n = onlyNew.tenant("acme").credentials();
        for (int i = 0; i < 230; i += 37) {
            assertThat(n.get(Owner.user("u" + i), "openai").orElseThrow().reveal()).isEqualTo(PLAINTEXT + i);
        }
        // The other tenant was not re-encrypted, and its key is no longer configured here.
        assertThatThrownBy(() -> onlyNew.tenant("globex").credentials().get(ALICE, "openai"))
                .isInstanceOf(CredentialDecryptionException.class).hasMessageContaining("k1");
    }

    @Test
    @DisplayName("reEncrypt changes the key id but not updatedAt: the value was not replaced, so updatedAt stays equal to createdAt as documented")
    void reEncryptKeepsUpdatedAt() {
        CredentialInfo stored = store.upsert(ALICE, "openai", PLAINTEXT);
        clock.advanceMicros(5_000_000);
        Atlas rotated = reopen(b -> b.clock(clock).credentialKeys(CredentialKeys.of("k2", K2).with("k1", K1)));
        CredentialStore r = rotated.tenant("acme").credentials();
        assertThat(r.reEncrypt()).isEqualTo(1);
        assertThat(r.list(ALICE)).containsExactly(new CredentialInfo(ALICE, "openai", "k2", stored.createdAt(), stored.createdAt()));
        assertThat(r.get(ALICE, "openai").orElseThrow().reveal()).isEqualTo(PLAINTEXT);
    }

    @Test
    @DisplayName("reEncrypt stops with CredentialDecryptionException at a tampered row instead of re-encrypting garbage")
    void reEncryptTampered() throws SQLException {
        store.upsert(ALICE, "openai", PLAINTEXT);
        byte[][] row = raw("acme", ALICE, "openai");
        row[1][0] ^= 0x01;
        write("acme", ALICE, "openai", row[0], row[1]);
        Atlas rotated = reopen(b -> b.credentialKeys(CredentialKeys.of("k2", K2).with("k1", K1)));
        assertThatThrownBy(() -> rotated.tenant("acme").credentials().reEncrypt()).isInstanceOf(CredentialDecryptionException.class);
        assertThat(rotated.tenant("acme").credentials().list(ALICE)).extracting(CredentialInfo::keyId).containsExactly("k1");
    }

    @Test
    @DisplayName("after reEncrypt stopped at a row that fails to decrypt, storing that row again (as documented) lets the next reEncrypt"
            + " move every other row; the re-stored one is already on the primary")
    void reEncryptAfterRestoringTheBadRow() throws SQLException {
        store.upsert(ALICE, "anthropic", "a-secret");
        store.upsert(ALICE, "openai", PLAINTEXT);
        store.upsert(ALICE, "zeta", "z-secret");
        byte[][] row = raw("acme", ALICE, "anthropic");
        row[1][0] ^= 0x01;
        write("acme", ALICE, "anthropic", row[0], row[1]);
        dev.atlas.credential.CredentialStore rotated = reopen(b -> b.credentialKeys(CredentialKeys.of("k2", K2).with("k1", K1)))
                .tenant("acme").credentials();
        CredentialDecryptionException stopped = org.assertj.core.api.Assertions.catchThrowableOfType(rotated::reEncrypt, CredentialDecryptionException.class);
        assertThat(stopped.getMessage()).contains("anthropic").contains(ALICE.id()).doesNotContain("a-secret");
        rotated.upsert(ALICE, "anthropic", "a-secret again");
        assertThat(rotated.reEncrypt()).isEqualTo(2);
        assertThat(rotated.list(ALICE)).extracting(CredentialInfo::keyId).containsExactly("k2", "k2", "k2");
        assertThat(rotated.require(ALICE, "openai").reveal()).isEqualTo(PLAINTEXT);
        assertThat(rotated.require(ALICE, "anthropic").reveal()).isEqualTo("a-secret again");
        assertThat(rotated.reEncrypt()).isZero();
    }

    @Test
    @DisplayName("the wrong key under a known id fails with CredentialDecryptionException")
    void wrongKey() {
        store.upsert(ALICE, "openai", PLAINTEXT);
        Atlas wrong = reopen(b -> b.credentialKeys(CredentialKeys.of("k1", K2)));
        assertThatThrownBy(() -> wrong.tenant("acme").credentials().get(ALICE, "openai"))
                .isInstanceOf(CredentialDecryptionException.class);
    }

    @Test
    @DisplayName("every decryption failure (wrong key, retired key id, tampered row, reEncrypt) names the credential's owner and name and never holds the secret, in message, toString or causes")
    void decryptionFailuresNameTheCredentialNotTheSecret() throws SQLException {
        Owner carol = Owner.user("carol");
        store.upsert(ALICE, "openai", PLAINTEXT);
        store.upsert(carol, "openai", PLAINTEXT + "-carol");
        List<Throwable> failures = new ArrayList<>();
        Atlas wrong = reopen(b -> b.credentialKeys(CredentialKeys.of("k1", K2)));
        failures.add(org.assertj.core.api.Assertions.catchThrowable(() -> wrong.tenant("acme").credentials().get(carol, "openai")));
        Atlas retired = reopen(b -> b.credentialKeys(CredentialKeys.of("k2", K2)));
        failures.add(org.assertj.core.api.Assertions.catchThrowable(() -> retired.tenant("acme").credentials().get(carol, "openai")));
        byte[][] row = raw("acme", carol, "openai");
        row[1][3] ^= 0x40;
        write("acme", carol, "openai", row[0], row[1]);
        failures.add(org.assertj.core.api.Assertions.catchThrowable(() -> store.get(carol, "openai")));
        Atlas rotated = reopen(b -> b.credentialKeys(CredentialKeys.of("k2", K2).with("k1", K1)));
        failures.add(org.assertj.core.api.Assertions.catchThrowable(() -> rotated.tenant("acme").credentials().reEncrypt()));
        for (Throwable t : failures) {
            assertThat(t).isInstanceOf(CredentialDecryptionException.class).hasMessageContaining("'openai'").hasMessageContaining("user:carol");
            for (Throwable c = t; c != null; c = c.getCause()) {
                assertThat(String.valueOf(c.getMessage())).doesNotContain("PLAINTEXT");
                assertThat(c.toString()).doesNotContain("PLAINTEXT");
            }
        }
    }

    @Test
    @DisplayName("a key id read from the row (written by hand or another tool) reaches the message of get and reEncrypt escaped and"
            + " cut to 40 code points: no line break, terminal escape or megabyte of the row")
    void keyIdOfTheRowIsQuotedInMessages() throws SQLException {
        store.upsert(ALICE, "openai", PLAINTEXT);
        try (Connection c = database.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE atlas_credentials SET key_id = ? WHERE tenant_id = 'acme'")) {
            ps.setString(1, "k9\n\u001b[2J" + "x".repeat(100));
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
        String expected = "credential 'openai' of user:alice was encrypted with key id 'k9\\u000a\\u001b[2J" + "x".repeat(33)
                + "\u2026', which is not configured (configured: [k1])";
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> store.get(ALICE, "openai")))
                .isInstanceOf(CredentialDecryptionException.class).hasMessage(expected);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> store.reEncrypt()))
                .isInstanceOf(CredentialDecryptionException.class).hasMessage(expected);
    }

    @Test
    @DisplayName("credential names differing only in case or Unicode normalization are distinct credentials, each with its own secret")
    void namesDifferingInCaseOrNormalization() {
        List<String> names = List.of("openai", "OpenAI", "caf\u00e9", "cafe\u0301");
        for (String name : names) {
            store.upsert(ALICE, name, "secret of " + name);
        }
        for (String name : names) {
            assertThat(store.get(ALICE, name).orElseThrow().reveal()).isEqualTo("secret of " + name);
        }
        assertThat(store.list(ALICE)).extracting(CredentialInfo::name).containsExactlyInAnyOrderElementsOf(names);
        store.delete(ALICE, "OpenAI");
        assertThat(store.get(ALICE, "openai").orElseThrow().reveal()).isEqualTo("secret of openai");
        assertThat(store.get(ALICE, "OpenAI")).isEmpty();
    }

    @Test
    @DisplayName("the plaintext appears nowhere in the database: not in any column of any table, nor in the files")
    void plaintextNotStored() throws Exception {
        store.upsert(ALICE, "openai", PLAINTEXT);
        other.upsert(BOB, "openai", PLAINTEXT);
        store.upsert(ALICE, "openai", PLAINTEXT);
        String hex = HexFormat.of().formatHex(PLAINTEXT.getBytes(StandardCharsets.UTF_8));
        int cells = 0;
        try (Connection c = database.dataSource().getConnection()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = c.getMetaData().getTables(null, null, "%", new String[] {"TABLE"})) {
                while (rs.next()) {
                    tables.add(rs.getString("TABLE_NAME"));
                }
            }
            assertThat(tables).contains("atlas_credentials");
            for (String t : tables) {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + t)) {
                    int n = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        for (int i = 1; i <= n; i++) {
                            Object v = rs.getObject(i);
                            String text = v instanceof byte[] b ? new String(b, StandardCharsets.ISO_8859_1) + HexFormat.of().formatHex(b)
                                    : String.valueOf(v);
                            assertThat(text).as(t + " column " + rs.getMetaData().getColumnName(i)).doesNotContain(PLAINTEXT)
                                    .doesNotContainIgnoringCase(hex);
                            cells++;
                        }
                    }
                }
            }
        }
        assertThat(cells).isGreaterThan(0);
        if (database instanceof SqliteTestDatabase sqlite) {
            byte[] needle = PLAINTEXT.getBytes(StandardCharsets.UTF_8);
            for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
                Path f = Path.of(sqlite.file() + suffix);
                if (Files.exists(f)) {
                    assertThat(indexOf(Files.readAllBytes(f), needle)).as(f.toString()).isEqualTo(-1);
                }
            }
        }
    }

    @Test
    @DisplayName("another tenant cannot read, list or delete a credential, and keeps its own under the same name")
    void tenantIsolation() {
        store.upsert(ALICE, "openai", PLAINTEXT);
        assertThat(other.get(ALICE, "openai")).isEmpty();
        assertThat(other.list(ALICE)).isEmpty();
        assertThatThrownBy(() -> other.delete(ALICE, "openai")).isInstanceOf(NotFoundException.class)
                .hasMessage("name: credential openai not found");
        assertThat(other.reEncrypt()).isZero();
        other.upsert(ALICE, "openai", "theirs");
        assertThat(store.get(ALICE, "openai").orElseThrow().reveal()).isEqualTo(PLAINTEXT);
        assertThat(other.get(ALICE, "openai").orElseThrow().reveal()).isEqualTo("theirs");
    }

    // ---- raw database access, to play the attacker ---------------------------------------

    private byte[][] raw(String tenant, Owner owner, String name) throws SQLException {
        try (Connection c = database.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("SELECT nonce, ciphertext FROM atlas_credentials"
                     + " WHERE tenant_id = ? AND owner_type = ? AND owner_id = ? AND name = ?")) {
            ps.setString(1, tenant);
            ps.setString(2, owner.type());
            ps.setString(3, owner.id());
            ps.setString(4, name);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).isTrue();
                return new byte[][] {rs.getBytes(1), rs.getBytes(2)};
            }
        }
    }

    private void write(String tenant, Owner owner, String name, byte[] nonce, byte[] ciphertext) throws SQLException {
        try (Connection c = database.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE atlas_credentials SET nonce = ?, ciphertext = ?"
                     + " WHERE tenant_id = ? AND owner_type = ? AND owner_id = ? AND name = ?")) {
            ps.setBytes(1, nonce);
            ps.setBytes(2, ciphertext);
            ps.setString(3, tenant);
            ps.setString(4, owner.type());
            ps.setString(5, owner.id());
            ps.setString(6, name);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static void assertField(Executable call, String field) {
        AssistantStoreContract.assertField(call, field);
    }

    @Test
    @DisplayName("an owner's credentials list by name in code point order on every database, whatever the PostgreSQL database's collation")
    void credentialsInCodePointOrder() {
        Collations.natural(database, "credentials", "name");
        for (String name : List.of("b", "B", "a-c", "ab", "a_d", "aa", "A", "\uFF21", "\uD83D\uDE00")) {
            store.upsert(Owner.user("42"), name, "s");
        }
        // Code point order, as SQLite's BINARY sorts: never the database's natural-language collation.
        assertThat(store.list(Owner.user("42"))).extracting(CredentialInfo::name)
                .containsExactly("A", "B", "a-c", "a_d", "aa", "ab", "b", "\uFF21", "\uD83D\uDE00");
        // Paged in the same order, the cursor bound to the owner and the tenant.
        List<String> paged = new ArrayList<>();
        String cursor = null;
        do {
            dev.atlas.Page<CredentialInfo> page = store.list(Owner.user("42"), 4, cursor);
            assertThat(page.items()).hasSizeBetween(1, 4);
            page.items().forEach(i -> paged.add(i.name()));
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        assertThat(paged).containsExactly("A", "B", "a-c", "a_d", "aa", "ab", "b", "\uFF21", "\uD83D\uDE00");
        String second = store.list(Owner.user("42"), 4, null).nextCursor().orElseThrow();
        assertThat(store.list(Owner.user("42"), 4, second).items()).extracting(CredentialInfo::name).containsExactly("aa", "ab", "b", "\uFF21");
        assertField(() -> store.list(Owner.user("43"), 4, second), "cursor");
        assertField(() -> other.list(Owner.user("42"), 4, second), "cursor");
        assertField(() -> store.list(Owner.user("42"), 0, null), "limit");
        assertField(() -> store.list(null, 4, null), "owner");
        assertThat(other.list(Owner.user("42"), 4, null)).isEqualTo(new dev.atlas.Page<>(List.of(), java.util.Optional.empty()));
        // Digits, case and accents (precomposed and combining) in code point order too: never numeric, never accent-folded,
        // the same whole and paged (V30's index in PostgreSQL on (tenant, owner, name COLLATE "C") serves both).
        List<String> mixed = List.of("1", "10", "9", "A", "B", "E", "a-c", "a1", "a10", "a9", "a_d", "aa", "ab", "b", "e", "e\u0301",
                "\u00c4", "\u00e9", "\uFF21", "\uD83D\uDE00");
        List<String> inserted = new ArrayList<>(mixed);
        java.util.Collections.reverse(inserted);
        for (String name : inserted) {
            store.upsert(Owner.user("44"), name, "s");
        }
        assertThat(store.list(Owner.user("44"))).extracting(CredentialInfo::name).containsExactlyElementsOf(mixed);
        List<String> byThree = new ArrayList<>();
        cursor = null;
        do {
            dev.atlas.Page<CredentialInfo> page = store.list(Owner.user("44"), 3, cursor);
            page.items().forEach(i -> byThree.add(i.name()));
            cursor = page.nextCursor().orElse(null);
        } while (cursor != null);
        assertThat(byThree).containsExactlyElementsOf(mixed);
    }

    @Test
    @DisplayName("an empty secret and one of exactly 65,536 UTF-16 units of 4-byte characters round-trip; one unit more is an InvalidInputException naming secret and the stored secret stays")
    void secretLengthBounds() {
        store.upsert(ALICE, "empty", "");
        assertThat(store.get(ALICE, "empty").orElseThrow().reveal()).isEmpty();
        String max = "\uD83D\uDE00".repeat(CredentialStore.MAX_SECRET_LENGTH / 2);
        store.upsert(ALICE, "big", max);
        assertThat(store.get(ALICE, "big").orElseThrow().reveal()).isEqualTo(max);
        assertThatThrownBy(() -> store.upsert(ALICE, "big", max + "x")).isInstanceOfSatisfying(dev.atlas.InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("secret"));
        assertThat(store.get(ALICE, "big").orElseThrow().reveal()).isEqualTo(max);
    }

    @Test
    @DisplayName("a credential whose tenant id, owner type, owner id and name take more than 2,560 bytes of UTF-8 together (each"
            + " within its own limit: 128 and 3 x 255 random CJK characters, 2,679 bytes) is InvalidInputException naming name on every"
            + " database, nothing stored; PostgreSQL's unique index cannot hold it (index row size 2712 exceeds btree maximum 2704), and"
            + " SQLite stored it. Exactly 2,560 bytes of incompressible text is stored and reads back on both")
    void identityTooLargeForTheIndex() {
        java.util.Random random = new java.util.Random(42);
        String tenant = cjk(random, 128);
        Owner owner = new Owner(cjk(random, 255), cjk(random, 255));
        CredentialStore s = atlas.tenant(tenant).credentials();
        String tooLarge = cjk(random, 255);
        assertThatThrownBy(() -> s.upsert(owner, tooLarge, PLAINTEXT)).isInstanceOfSatisfying(dev.atlas.InvalidInputException.class,
                e -> assertThat(e).returns("name", dev.atlas.InvalidInputException::field).hasMessageContaining("2679 bytes")
                        .hasMessageContaining("at most 2560"));
        // 384 + 765 + 765 bytes of tenant and owner; the name takes the rest of the 2,560 exactly (215 CJK characters and one ASCII).
        String atLimit = cjk(random, 215) + "x";
        CredentialInfo stored = s.upsert(owner, atLimit, PLAINTEXT);
        assertThat(stored.name()).isEqualTo(atLimit);
        assertThat(s.get(owner, atLimit).orElseThrow().reveal()).isEqualTo(PLAINTEXT);
        assertThatThrownBy(() -> s.upsert(owner, atLimit + "y", PLAINTEXT)).isInstanceOfSatisfying(dev.atlas.InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("name"));
        assertThat(s.list(owner)).extracting(CredentialInfo::name).containsExactly(atLimit);
    }

    @Test
    @DisplayName("an import resealed from another tenant of a credential whose identity passes 2,560 bytes in the importing tenant"
            + " (2,299 bytes in acme, 2,679 under a tenant id of 128 CJK characters) is InvalidInputException naming line N:"
            + " credential.name, nothing written; PostgreSQL failed it with a storage error and SQLite stored it")
    void importedIdentityTooLargeForTheIndex() {
        java.util.Random random = new java.util.Random(7);
        Owner owner = new Owner(cjk(random, 255), cjk(random, 255));
        String name = cjk(random, 255);
        store.upsert(owner, name, PLAINTEXT);
        java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
        atlas.tenant("acme").portability().exportTo(file, dev.atlas.portability.ExportScope.owner(owner));
        dev.atlas.Tenant big = atlas.tenant(cjk(random, 128));
        String before = DatabaseDigest.of(database.dataSource(), "atlas_");
        assertThatThrownBy(() -> big.portability().importFrom(new java.io.ByteArrayInputStream(file.toByteArray()),
                dev.atlas.portability.ImportOptions.defaults().resealCredentialsFrom("acme")))
                .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).matches("line \\d+: credential\\.name"))
                .hasMessageContaining("2679 bytes");
        assertThat(DatabaseDigest.of(database.dataSource(), "atlas_")).isEqualTo(before);
        assertThat(big.credentials().list(owner)).isEmpty();
    }

    @Test
    @DisplayName("a credential whose identity passes 2,560 bytes but was stored before the limit (2,679 bytes of repeated CJK"
            + " characters, which PostgreSQL's index compresses and held) stays the owner's: upsert replaces its secret (it was"
            + " InvalidInputException on name, so the secret could not be rotated), and re-importing its export into the tenant"
            + " holding it is unchanged (it was refused on line N: credential.name); only a new one, as after its delete, is refused")
    void identityStoredBeforeTheLimitStaysUsable() throws Exception {
        String tenant = "租".repeat(128);
        Owner owner = new Owner("型".repeat(255), "号".repeat(255));
        String name = "名".repeat(255);
        CredentialStore s = atlas.tenant(tenant).credentials();
        s.upsert(owner, "legacy", "old secret");
        // As upsert stored it before the limit: sealed for its real name, which no upsert accepts any more.
        dev.atlas.internal.CredentialCipher.Sealed sealed = new dev.atlas.internal.CredentialCipher(CredentialKeys.of("k1", K1))
                .encrypt("old secret", tenant, owner.type(), owner.id(), name);
        try (Connection c = database.dataSource().getConnection();
             PreparedStatement ps = c.prepareStatement("UPDATE atlas_credentials SET name = ?, key_id = ?, nonce = ?, ciphertext = ?"
                     + " WHERE tenant_id = ? AND name = 'legacy'")) {
            ps.setString(1, name);
            ps.setString(2, sealed.keyId());
            ps.setBytes(3, sealed.nonce());
            ps.setBytes(4, sealed.ciphertext());
            ps.setString(5, tenant);
            assertThat(ps.executeUpdate()).isEqualTo(1);
        }
        assertThat(s.get(owner, name).orElseThrow().reveal()).isEqualTo("old secret");

        CredentialInfo rotated = s.upsert(owner, name, "new secret");
        assertThat(rotated.name()).isEqualTo(name);
        assertThat(s.get(owner, name).orElseThrow().reveal()).isEqualTo("new secret");
        assertThat(s.list(owner)).extracting(CredentialInfo::name).containsExactly(name);

        java.io.ByteArrayOutputStream file = new java.io.ByteArrayOutputStream();
        dev.atlas.Tenant t = atlas.tenant(tenant);
        t.portability().exportTo(file, dev.atlas.portability.ExportScope.owner(owner));
        assertThat(t.portability().importFrom(new java.io.ByteArrayInputStream(file.toByteArray())).unchanged())
                .containsEntry("credential", 1L);
        assertThat(s.get(owner, name).orElseThrow().reveal()).isEqualTo("new secret");

        s.delete(owner, name);
        assertThatThrownBy(() -> s.upsert(owner, name, "again")).isInstanceOfSatisfying(dev.atlas.InvalidInputException.class,
                e -> assertThat(e).returns("name", dev.atlas.InvalidInputException::field).hasMessageContaining("2679 bytes"));
        String before = DatabaseDigest.of(database.dataSource(), "atlas_");
        assertThatThrownBy(() -> t.portability().importFrom(new java.io.ByteArrayInputStream(file.toByteArray())))
                .isInstanceOfSatisfying(dev.atlas.InvalidInputException.class, e -> assertThat(e.field()).matches("line \\d+: credential\\.name"))
                .hasMessageContaining("2679 bytes");
        assertThat(DatabaseDigest.of(database.dataSource(), "atlas_")).isEqualTo(before);
        assertThat(s.list(owner)).isEmpty();
    }

    /** {@code n} random CJK ideographs: three bytes each in UTF-8, and incompressible, so an index stores every byte. */
    private static String cjk(java.util.Random random, int n) {
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append((char) (0x4E00 + random.nextInt(0x5000)));
        }
        return b.toString();
    }

    @Test
    @DisplayName("during a rolling rotation an instance still on the old primary keeps writing old-key rows: reEncrypt run again moves exactly those, and returns 0 once none is left; the old instance cannot read moved rows")
    void rollingRotation() {
        store.upsert(ALICE, "openai", PLAINTEXT);
        Atlas rotated = reopen(b -> b.clock(clock).credentialKeys(CredentialKeys.of("k2", K2).with("k1", K1)));
        CredentialStore r = rotated.tenant("acme").credentials();
        assertThat(r.reEncrypt()).isEqualTo(1);
        assertThat(store.upsert(BOB, "openai", "written by the old instance").keyId()).isEqualTo("k1");
        assertThat(store.upsert(ALICE, "openai", "replaced by the old instance").keyId()).isEqualTo("k1");
        assertThat(r.reEncrypt()).isEqualTo(2);
        assertThat(r.reEncrypt()).isZero();
        assertThat(r.list(ALICE)).extracting(CredentialInfo::keyId).containsExactly("k2");
        assertThat(r.get(BOB, "openai").orElseThrow().reveal()).isEqualTo("written by the old instance");
        assertThatThrownBy(() -> store.get(ALICE, "openai")).isInstanceOf(CredentialDecryptionException.class);
    }

    @Test
    @DisplayName("two reEncrypt calls racing over 300 rows move each row exactly once (their counts add up to 300), and 8 concurrent upserts of one name leave one credential holding one of the written secrets")
    void concurrentReEncryptAndUpsert() throws Exception {
        for (int i = 0; i < 300; i++) {
            store.upsert(Owner.user("u" + i), "openai", PLAINTEXT + i);
        }
        Atlas rotated = reopen(b -> b.clock(clock).credentialKeys(CredentialKeys.of("k2", K2).with("k1", K1)));
        CredentialStore r = rotated.tenant("acme").credentials();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            List<java.util.concurrent.Future<Integer>> moves = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                moves.add(pool.submit(r::reEncrypt));
            }
            int moved = 0;
            for (java.util.concurrent.Future<Integer> f : moves) {
                moved += f.get();
            }
            assertThat(moved).isEqualTo(300);
            assertThat(r.reEncrypt()).isZero();

            List<String> written = new ArrayList<>();
            List<java.util.concurrent.Future<CredentialInfo>> puts = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String secret = "sk-thread-" + t;
                written.add(secret);
                puts.add(pool.submit(() -> r.upsert(BOB, "shared", secret)));
            }
            for (java.util.concurrent.Future<CredentialInfo> f : puts) {
                assertThat(f.get().keyId()).isEqualTo("k2");
            }
            assertThat(r.list(BOB)).extracting(CredentialInfo::name).containsExactly("shared");
            assertThat(written).contains(r.get(BOB, "shared").orElseThrow().reveal());
        } finally {
            pool.shutdown();
        }
        for (int i = 0; i < 300; i += 29) {
            assertThat(r.get(Owner.user("u" + i), "openai").orElseThrow().reveal()).isEqualTo(PLAINTEXT + i);
            assertThat(r.list(Owner.user("u" + i))).extracting(CredentialInfo::keyId).containsExactly("k2");
        }
    }

    @Test
    @DisplayName("reads from a second instance holding both keys while reEncrypt moves 200 rows: every read returns its own secret, none"
            + " fails, whichever key sealed the row at that moment; deletes and re-stores by the old-key instance meanwhile are kept"
            + " (a deleted row never comes back, a re-stored one keeps its new secret) and the next reEncrypt moves exactly the rows"
            + " still on the old key")
    void readsDuringReEncrypt() throws Exception {
        for (int i = 0; i < 200; i++) {
            store.upsert(Owner.user("u" + i), "openai", PLAINTEXT + i);
        }
        CredentialStore rotating = reopen(b -> b.clock(clock).credentialKeys(CredentialKeys.of("k2", K2).with("k1", K1)))
                .tenant("acme").credentials();
        CredentialStore reader = reopen(b -> b.clock(clock).credentialKeys(CredentialKeys.of("k2", K2).with("k1", K1)))
                .tenant("acme").credentials();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.Future<Integer> reads = pool.submit(() -> {
                int n = 0;
                do {
                    for (int i = 0; i < 200; i += 7) {
                        if (i % 10 != 3 && i % 10 != 4) {
                            assertThat(reader.require(Owner.user("u" + i), "openai").reveal()).isEqualTo(PLAINTEXT + i);
                            n++;
                        }
                    }
                } while (!done.get());
                return n;
            });
            // The old-key instance erases and re-stores rows while the rotation runs (rows u3, u43, … and u4, u44, …, which the reader skips).
            java.util.concurrent.Future<?> writes = pool.submit(() -> {
                for (int i = 3; i < 200; i += 40) {
                    store.delete(Owner.user("u" + i), "openai");
                    store.upsert(Owner.user("u" + (i + 1)), "openai", "re-stored " + (i + 1));
                }
            });
            rotating.reEncrypt();
            writes.get();
            done.set(true);
            assertThat(reads.get()).isPositive();
        } finally {
            pool.shutdownNow();
        }
        for (int i = 3; i < 200; i += 40) {
            assertThat(reader.get(Owner.user("u" + i), "openai")).as("deleted u" + i).isEmpty();
            assertThat(reader.require(Owner.user("u" + (i + 1)), "openai").reveal()).isEqualTo("re-stored " + (i + 1));
        }
        // Rows nobody touched were moved by the first run; a re-stored row is on k1 when it was re-stored after the run passed it.
        int stillOld = 0;
        for (int i = 4; i < 200; i += 40) {
            stillOld += reader.list(Owner.user("u" + i)).get(0).keyId().equals("k1") ? 1 : 0;
        }
        assertThat(rotating.reEncrypt()).isEqualTo(stillOld);
        assertThat(rotating.reEncrypt()).isZero();
        assertThat(reader.list(Owner.user("u199"))).extracting(CredentialInfo::keyId).containsExactly("k2");
    }
}
