package dev.atlas.internal;

import dev.atlas.InvalidInputException;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.asset.LocalDirectoryBlobStore;
import dev.atlas.conversation.MessageEventType;
import dev.atlas.credential.CredentialKeys;
import dev.atlas.execution.ModelPrice;
import dev.atlas.task.Cron;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Value classes of atlas-core that quote a caller's value in an error message do it through
 * {@link Check#quoted} (unbounded values) or {@link Check#escaped} (values already bounded by a
 * length check): a line break, a bidi override (U+202E) or a lone surrogate is shown as a
 * backslash-u escape, never carried into a log line as given.
 */
class QuotedUserValuesTest {
    private static final String BLOB_KEY_RULE = "' is not a blob key: use / separated segments of letters, digits, . _ -";

    @Test
    @DisplayName("Check.bounded escapes as Check.escaped does and cuts after 300 code points with …, never inside a surrogate pair or an escape")
    void boundedText() {
        String x = "x".repeat(299);
        assertThat(Check.bounded("x".repeat(1_000_000))).isEqualTo("x".repeat(300) + "\u2026");
        assertThat(Check.bounded("x".repeat(300))).isEqualTo("x".repeat(300));
        assertThat(Check.bounded(x + "\uD83D\uDE00" + "y")).isEqualTo(x + "\uD83D\uDE00\u2026");
        assertThat(Check.bounded(x + "\n" + "y")).isEqualTo(x + "\\u000a\u2026");
        assertThat(Check.bounded(x + "\n")).isEqualTo(x + "\\u000a");
        assertThat(Check.bounded("a\nERROR forged \u001b[31m\u202e\uD800")).isEqualTo("a\\u000aERROR forged \\u001b[31m\\u202e\\ud800");
        assertThat(Check.bounded(null)).isEqualTo("null");
        // A key is shown whole, as Check.escaped shows it.
        String key = "k".repeat(dev.atlas.Limits.MAX_KEY_LENGTH - 1) + "\n";
        assertThat(Check.bounded(key)).isEqualTo(Check.escaped(key));
    }

    @Test
    @DisplayName("LocalDirectoryBlobStore quotes a bad key or key prefix escaped and cut after 40 code points (it quoted them raw and whole)")
    void blobKeys(@TempDir Path dir) {
        LocalDirectoryBlobStore store = new LocalDirectoryBlobStore(dir);
        assertThat(message("key", () -> store.put("a\nINFO forged", new ByteArrayInputStream(new byte[0]))))
                .isEqualTo("key: 'a\\u000aINFO forged" + BLOB_KEY_RULE);
        assertThat(message("key", () -> store.open("gpj.\u202eexe"))).isEqualTo("key: 'gpj.\\u202eexe" + BLOB_KEY_RULE);
        assertThat(message("key", () -> store.delete("a\uD800b"))).isEqualTo("key: 'a\\ud800b" + BLOB_KEY_RULE);
        assertThat(message("key", () -> store.open("x".repeat(39) + "\uD83D\uDE00" + "y".repeat(100_000))))
                .isEqualTo("key: '" + "x".repeat(39) + "\uD83D\uDE00\u2026" + BLOB_KEY_RULE);
        assertThat(message("key", () -> store.open("a b"))).isEqualTo("key: 'a b" + BLOB_KEY_RULE);
        assertThat(message("keyPrefix", () -> store.removeAbandonedTemporaryFiles("a\n\u202e\uDC00/", Instant.EPOCH)))
                .isEqualTo("keyPrefix: 'a\\u000a\\u202e\\udc00/' is not a key directory: whole segments ending in /");
        assertThat(message("keyPrefix", () -> store.removeAbandonedTemporaryFiles("a", Instant.EPOCH)))
                .isEqualTo("keyPrefix: 'a' is not a key directory: whole segments ending in /");
    }

    @Test
    @DisplayName("AssistantSpec quotes a bad slug and a repeated tool key escaped (they were quoted raw); a lone surrogate is refused before it is quoted")
    void assistantSlugsAndTools() {
        String rule = "' is invalid: use 1 to 100 characters of lowercase letters a-z, digits, '-' and '_', starting with a letter"
                + " or digit (for example 'support-bot')";
        assertThat(message("slug", () -> AssistantSpec.of("bot\nERROR forged\u202e", "Bot")))
                .isEqualTo("slug: 'bot\\u000aERROR forged\\u202e" + rule);
        assertThat(message("slug", () -> AssistantSpec.of("Bot", "Bot"))).isEqualTo("slug: 'Bot" + rule);
        assertThat(message("slug", () -> AssistantSpec.of("bot\uD800", "Bot")))
                .isEqualTo("slug: contains an unpaired UTF-16 surrogate at index 3; text must be valid Unicode");
        assertThat(message("tools", () -> AssistantSpec.of("bot", "Bot").tools(List.of("t\n\u202e", "t\n\u202e"))))
                .isEqualTo("tools: lists 't\\u000a\\u202e' twice");
        assertThat(message("tools", () -> AssistantSpec.of("bot", "Bot").tools(List.of("lookup", "lookup"))))
                .isEqualTo("tools: lists 'lookup' twice");
    }

    @Test
    @DisplayName("Cron quotes its expression, a field and a time zone escaped (they were quoted raw); a lone surrogate is refused before it is quoted")
    void cronExpressionsAndZones() {
        assertThat(message("cron", () -> Cron.parse("0 9 * *\nERROR forged")))
                .isEqualTo("cron: needs 5 fields (minute hour day-of-month month day-of-week), has 6: '0 9 * *\\u000aERROR forged'");
        assertThat(message("cron", () -> Cron.parse("CRON_TZ=Europe/\u202eBerlin 0 9 * * *")))
                .isEqualTo("cron: 'CRON_TZ=Europe/\\u202eBerlin' names no time zone (use an id such as Europe/Berlin)");
        assertThat(message("cron", () -> Cron.parse("0 9\u2028 * * *")))
                .isEqualTo("cron: hour field '9\\u2028' is not a number, range, step or list of them");
        assertThat(message("cron", () -> Cron.parse("0 9-8\u0085 * * *")))
                .isEqualTo("cron: hour field '9-8\\u0085' is not a number, range, step or list of them");
        assertThat(message("cron", () -> Cron.parse("0 9 * * \uD800")))
                .isEqualTo("cron: contains an unpaired UTF-16 surrogate at index 8; text must be valid Unicode");
        assertThat(message("cron", () -> Cron.parse("CRON_TZ=Mars/Olympus 0 9 * * *")))
                .isEqualTo("cron: 'CRON_TZ=Mars/Olympus' names no time zone (use an id such as Europe/Berlin)");
        assertThat(message("cron", () -> Cron.parse("0 9 31 2 *"))).isEqualTo("cron: never fires: '0 9 31 2 *'");
    }

    @Test
    @DisplayName("MessageEventType quotes through Check.quoted: a valid emoji pair stays as it is (it was escaped as two \\uXXXX), a lone surrogate is escaped")
    void messageEventTypes() {
        assertThat(message("type", () -> MessageEventType.of("party\uD83C\uDF89")))
                .isEqualTo("type: 'party\uD83C\uDF89' is not a message event type: one of [created, edited, deleted, status_changed, activated, metadata_updated, restored] or app.<name>");
        assertThat(message("type", () -> MessageEventType.app("a\n\u202e\uD800")))
                .startsWith("type: app event name 'a\\u000a\\u202e\\ud800' must be");
        assertThat(message("type", () -> MessageEventType.of("x".repeat(39) + "\uD83C\uDF89" + "y".repeat(100))))
                .isEqualTo("type: '" + "x".repeat(39) + "\uD83C\uDF89\u2026' is not a message event type: one of [created, edited, deleted, status_changed, activated, metadata_updated, restored] or app.<name>");
    }

    @Test
    @DisplayName("ModelPrice quotes a bad decimal through Check.quoted (it cut after 100 chars, splitting a surrogate pair, and escaped nothing)")
    void modelPriceDecimals() {
        String rule = "' is not a decimal number";
        assertThat(message("inputPerMillion", () -> ModelPrice.of("openai", "gpt-4o", "2.5\nERROR forged\u202e", "10", Instant.EPOCH)))
                .isEqualTo("inputPerMillion: '2.5\\u000aERROR forged\\u202e" + rule);
        assertThat(message("outputPerMillion", () -> ModelPrice.of("openai", "gpt-4o", "2.5", "1\uD800", Instant.EPOCH)))
                .isEqualTo("outputPerMillion: '1\\ud800" + rule);
        assertThat(message("inputPerMillion", () -> ModelPrice.of("openai", "gpt-4o", "9".repeat(99) + "\uD83D\uDE00x", "10", Instant.EPOCH)))
                .isEqualTo("inputPerMillion: '" + "9".repeat(40) + "\u2026" + rule);
        assertThat(message("inputPerMillion", () -> ModelPrice.of("openai", "gpt-4o", "two", "10", Instant.EPOCH)))
                .isEqualTo("inputPerMillion: 'two" + rule);
    }

    @Test
    @DisplayName("a table prefix and a credential key id in a ConfigurationException are quoted through Check.quoted (they were quoted raw)")
    void configurationValues() {
        String prefixRule = "' is invalid: use 1 to 30 characters of lowercase letters, digits and underscores, starting with a letter"
                + " (for example 'atlas_')";
        assertThat(TablePrefix.problem("atlas\n\u202e\uD800")).isEqualTo("tablePrefix 'atlas\\u000a\\u202e\\ud800" + prefixRule);
        assertThat(TablePrefix.problem("Atlas-")).isEqualTo("tablePrefix 'Atlas-" + prefixRule);
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        assertThat(catchThrowableOfType(dev.atlas.ConfigurationException.class, () -> CredentialKeys.of("k\n\u202e\uDC00", key)))
                .hasMessage("credential key id 'k\\u000a\\u202e\\udc00' is invalid: use 1 to 64 letters, digits, '.', '_' or '-'");
        assertThat(catchThrowableOfType(dev.atlas.ConfigurationException.class, () -> CredentialKeys.of("k1", key).primary("k2\n\u202e")))
                .hasMessage("credential key id 'k2\\u000a\\u202e' is not among [k1]");
        assertThat(catchThrowableOfType(dev.atlas.ConfigurationException.class, () -> CredentialKeys.of("k 1", key)))
                .hasMessage("credential key id 'k 1' is invalid: use 1 to 64 letters, digits, '.', '_' or '-'");
    }

    private static String message(String field, ThrowingRunnable r) {
        InvalidInputException e = catchThrowableOfType(InvalidInputException.class, () -> r.run());
        assertThat(e).as("refused").isNotNull();
        assertThat(e.field()).isEqualTo(field);
        String m = e.getMessage();
        for (int i = 0; i < m.length(); i++) {
            char c = m.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < m.length() && Character.isLowSurrogate(m.charAt(i + 1))) {
                i++;
            } else {
                assertThat(Character.isSurrogate(c)).as("lone surrogate at " + i).isFalse();
                assertThat(c == '\n' || c == '\r' || c == '\u202e' || c == '\u2028' || c == '\u0085').as("raw control at " + i).isFalse();
            }
        }
        return m;
    }

    @FunctionalInterface
    private interface ThrowingRunnable {
        void run() throws Exception;
    }
}
