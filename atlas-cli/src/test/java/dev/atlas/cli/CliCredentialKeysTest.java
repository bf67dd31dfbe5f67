package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.credential.CredentialKeys;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code import} with the host's credential keys: given in a file or an environment variable
 * (never as an argument, which {@code ps} shows), they let an export of one tenant bring its
 * credentials into another ({@code --reseal-credentials-from}), and they refuse credentials that
 * would never decrypt. The key material appears in no message.
 */
class CliCredentialKeysTest {
    private static final byte[] KEY = new byte[32];
    private static final byte[] OLD = new byte[32];
    private static final Owner OWNER = Owner.user("42");

    static {
        for (int i = 0; i < 32; i++) {
            KEY[i] = (byte) (i + 1);
            OLD[i] = (byte) (101 + i);
        }
    }

    private static final String KEY64 = Base64.getEncoder().encodeToString(KEY);
    private static final String OLD64 = Base64.getEncoder().encodeToString(OLD);

    @TempDir
    static Path dir;
    static Path export;

    /** Tenant acme's credential, sealed with key k2 (k1, the primary, came later), exported by the CLI. */
    @BeforeAll
    static void exportACredential() {
        Path source = dir.resolve("source.db");
        try (Atlas atlas = Atlas.builder().sqlite(source).credentialKeys(CredentialKeys.of("k2", OLD)).build()) {
            atlas.tenant("acme").credentials().put(OWNER, "github", "ghp_s3cret");
        }
        export = dir.resolve("acme.jsonl");
        Cli.Result r = Cli.run("--db", source.toString(), "-t", "acme", "export", "-o", export.toString());
        assertThat(r.exitCode()).as(r.err()).isZero();
    }

    private static String secret(Path db, String tenant) {
        try (Atlas atlas = Atlas.builder().sqlite(db).migrate(false).credentialKeys(CredentialKeys.of("k1", KEY).with("k2", OLD)).build()) {
            return atlas.tenant(tenant).credentials().require(OWNER, "github").reveal();
        }
    }

    @Test
    void aKeysFileReseals() throws Exception {
        Path keys = dir.resolve("keys");
        // As a Windows editor saves it: a byte order mark and CRLF line ends.
        Files.writeString(keys, "\uFEFF# primary first\r\nk1=" + KEY64 + "\r\n\r\nk2=" + OLD64 + "\r\n");
        Path copy = dir.resolve("from-file.db");
        String[] args = {"--db", copy.toString(), "-t", "acme-copy", "import", "-i", export.toString(),
                "--credential-keys-file", keys.toString(), "--reseal-credentials-from", "acme"};
        Cli.Result r = Cli.run(args);
        assertThat(r.err()).isEqualTo("importing into tenant acme-copy ...\n");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).contains("  credential                       1\n");
        assertThat(secret(copy, "acme-copy")).isEqualTo("ghp_s3cret");

        // Again: the resealed credential is found unchanged.
        assertThat(Cli.run(args).out()).startsWith("Imported 0 rows (");
    }

    @Test
    void anEnvironmentVariableReseals() {
        Path copy = dir.resolve("from-env.db");
        // The process reads the variable from its environment: this family's sample of the jar (the others run in this JVM).
        Cli.Result r = Cli.process(Map.of("MY_KEYS", "k1=" + KEY64 + ", k2=" + OLD64), "--db", copy.toString(), "-t", "acme-copy",
                "import", "-i", export.toString(), "--credential-keys-env", "MY_KEYS", "--reseal-credentials-from", "acme");
        assertThat(r.err()).isEqualTo("importing into tenant acme-copy ...\n");
        assertThat(r.exitCode()).isZero();
        assertThat(secret(copy, "acme-copy")).isEqualTo("ghp_s3cret");
    }

    @Test
    void withKeysACredentialThatWouldNotDecryptIsRefusedAndNothingWritten() {
        Path copy = dir.resolve("not-resealed.db");
        Cli.Result r = Cli.run(Map.of("MY_KEYS", "k1=" + KEY64 + ",k2=" + OLD64), "--db", copy.toString(), "-t", "acme-copy",
                "import", "-i", export.toString(), "--credential-keys-env", "MY_KEYS");
        assertThat(r.exitCode()).isEqualTo(1);
        assertThat(r.err()).startsWith("importing into tenant acme-copy ...\natlas: line ").contains(": credential.ciphertext: ");
        assertThat(copy).doesNotExist();

        // Without the key it was sealed with, not even reseal opens it.
        Cli.Result wrongKey = Cli.run(Map.of("MY_KEYS", "k1=" + KEY64), "--db", copy.toString(), "-t", "acme-copy",
                "import", "-i", export.toString(), "--credential-keys-env", "MY_KEYS", "--reseal-credentials-from", "acme");
        assertThat(wrongKey.exitCode()).isEqualTo(1);
        assertThat(wrongKey.err()).contains(": credential.ciphertext: ");
        assertThat(copy).doesNotExist();
    }

    @Test
    void resealWithoutKeysIsAUsageErrorBeforeAnything() {
        Path copy = dir.resolve("no-keys.db");
        Cli.Result r = Cli.run("--db", copy.toString(), "-t", "acme-copy", "import", "-i", export.toString(),
                "--reseal-credentials-from", "acme");
        assertThat(r).isEqualTo(new Cli.Result(2, "", "atlas: --reseal-credentials-from: needs the keys the credentials were sealed"
                + " with: give --credential-keys-file or --credential-keys-env\nTry 'atlas import --help' for more information.\n"));
        assertThat(copy).doesNotExist();

        Cli.Result badTenant = Cli.run(Map.of("MY_KEYS", "k1=" + KEY64), "--db", copy.toString(), "-t", "acme-copy", "import",
                "-i", export.toString(), "--credential-keys-env", "MY_KEYS", "--reseal-credentials-from", " ");
        assertThat(badTenant.exitCode()).isEqualTo(2);
        assertThat(badTenant.err()).startsWith("atlas: --reseal-credentials-from: ");
        assertThat(copy).doesNotExist();
    }

    /** Every malformed key source is a usage error naming the option; what it holds is never quoted. */
    @Test
    void aMalformedKeySourceIsAUsageErrorThatNeverQuotesIt() throws Exception {
        String b16 = Base64.getEncoder().encodeToString(new byte[16]);
        Map<String, String> cases = new java.util.LinkedHashMap<>();
        cases.put("", "holds no key: write <id>=<base64 AES-256 key> entries, the primary first");
        cases.put("# only a comment\n", "holds no key: write <id>=<base64 AES-256 key> entries, the primary first");
        cases.put(KEY64, "entry 1 has no key after its id: write <id>=<base64 AES-256 key>");
        cases.put("k1" + KEY64.substring(0, 10), "entry 1 is not <id>=<base64 AES-256 key>");
        cases.put("k1=" + KEY64 + "\nk2=" + KEY64.replace('A', '!'), "entry 2 (key k2) is not valid Base64");
        cases.put("k1=" + b16, "entry 1 (key k1) must be 32 bytes (AES-256), was 16 bytes");
        cases.put("k 1=" + KEY64, "entry 1 is not <id>=<base64 AES-256 key>");
        cases.put("bad/id=" + KEY64, "entry 1 has an invalid key id: use 1 to 64 letters, digits, '.', '_' or '-'");
        cases.put("k1=" + KEY64 + ",k1=" + OLD64, "entry 2 repeats key id k1");
        String zeros = Base64.getEncoder().encodeToString(new byte[32]);
        cases.put("k1=" + zeros, "entry 1 (key k1): credential key 'k1' is made of only 1 distinct byte value (a random key has about 30), so it is not a random key"
                + " and may not be the primary; use 32 bytes from a SecureRandom, a KMS or `openssl rand -base64 32` (Base64-decoded)");
        Path keys = dir.resolve("bad-keys");
        Path copy = dir.resolve("bad-keys.db");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Files.writeString(keys, c.getKey());
            Cli.Result fromFile = Cli.run("--db", copy.toString(), "-t", "acme", "import", "-i", export.toString(),
                    "--credential-keys-file", keys.toString());
            assertThat(fromFile).as(c.getKey()).isEqualTo(new Cli.Result(2, "", "atlas: --credential-keys-file: " + keys + ": "
                    + c.getValue() + "\nTry 'atlas import --help' for more information.\n"));
            Cli.Result fromEnv = Cli.run(Map.of("MY_KEYS", c.getKey()), "--db", copy.toString(), "-t", "acme", "import",
                    "-i", export.toString(), "--credential-keys-env", "MY_KEYS");
            assertThat(fromEnv).as(c.getKey()).isEqualTo(new Cli.Result(2, "", "atlas: --credential-keys-env: MY_KEYS: "
                    + c.getValue() + "\nTry 'atlas import --help' for more information.\n"));
            assertThat(copy).doesNotExist();
        }

        assertThat(Cli.run("--db", copy.toString(), "import", "-i", export.toString(), "--credential-keys-env", "ATLAS_NO_SUCH_VARIABLE"))
                .isEqualTo(new Cli.Result(2, "", "atlas: --credential-keys-env: ATLAS_NO_SUCH_VARIABLE: the variable is not set"
                        + "\nTry 'atlas import --help' for more information.\n"));
        Path missing = dir.resolve("no-such-keys");
        assertThat(Cli.run("--db", copy.toString(), "import", "-i", export.toString(), "--credential-keys-file", missing.toString()))
                .isEqualTo(new Cli.Result(2, "", "atlas: --credential-keys-file: " + missing + ": cannot read it: no such file or directory"
                        + "\nTry 'atlas import --help' for more information.\n"));
        // The slip of giving the keys themselves ("$ATLAS_KEYS", "$(cat keys)") where the variable's or the file's name goes:
        // the given text is never quoted, as --password-env's (it was "--credential-keys-env: primary=<the key>: ...").
        String given = "primary=" + KEY64;
        assertThat(Cli.run("--db", copy.toString(), "import", "-i", export.toString(), "--credential-keys-env", given))
                .isEqualTo(new Cli.Result(2, "", "atlas: --credential-keys-env: names an environment variable that is not set (give the"
                        + " variable's name, e.g. --credential-keys-env ATLAS_KEYS, not its value)\nTry 'atlas import --help' for more information.\n"));
        assertThat(Cli.run("--db", copy.toString(), "import", "-i", export.toString(), "--credential-keys-file", given))
                .isEqualTo(new Cli.Result(2, "", "atlas: --credential-keys-file: names no file that can be read, and holds keys itself (give the"
                        + " file's name, not its content)\nTry 'atlas import --help' for more information.\n"));
        assertThat(copy).doesNotExist();
        // A blank option (an unset shell variable in "$KEYS_FILE") says what it must be, not "--credential-keys-env: : ...".
        assertThat(Cli.run("--db", copy.toString(), "import", "-i", export.toString(), "--credential-keys-env", ""))
                .isEqualTo(new Cli.Result(2, "", "atlas: --credential-keys-env: must name an environment variable, was ''"
                        + "\nTry 'atlas import --help' for more information.\n"));
        assertThat(Cli.run("--db", copy.toString(), "import", "-i", export.toString(), "--credential-keys-file", ""))
                .isEqualTo(new Cli.Result(2, "", "atlas: --credential-keys-file: must be a file name, was ''"
                        + "\nTry 'atlas import --help' for more information.\n"));
        assertThat(Cli.run("--db", copy.toString(), "import", "-i", export.toString(), "--credential-keys-file", " "))
                .isEqualTo(new Cli.Result(2, "", "atlas: --credential-keys-file: must be a file name, was ' '"
                        + "\nTry 'atlas import --help' for more information.\n"));
        Files.writeString(keys, "k1=" + KEY64);
        assertThat(Cli.run(Map.of("MY_KEYS", "k1=" + KEY64), "--db", copy.toString(), "import", "-i", export.toString(),
                "--credential-keys-file", keys.toString(), "--credential-keys-env", "MY_KEYS"))
                .isEqualTo(new Cli.Result(2, "", "atlas: --credential-keys-file: cannot be combined with --credential-keys-env"
                        + "\nTry 'atlas import --help' for more information.\n"));
        assertThat(copy).doesNotExist();
    }
}
