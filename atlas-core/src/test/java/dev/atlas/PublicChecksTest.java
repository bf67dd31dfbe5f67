package dev.atlas;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The public checks other modules use instead of dev.atlas.internal: same rules, same exceptions. */
class PublicChecksTest {
    @Test
    void requireNonNullNamesTheField() {
        assertThat(Limits.requireNonNull("store", "s")).isEqualTo("s");
        assertThatThrownBy(() -> Limits.requireNonNull("store", null))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("store"))
                .hasMessage("store: is required");
    }

    @Test
    void requireKeyRefusesBlankTooLongAndUnstorableKeys() {
        assertThat(Limits.requireKey("provider", "openai")).isEqualTo("openai");
        assertThat(Limits.requireKey("provider", "x".repeat(Limits.MAX_KEY_LENGTH))).hasSize(Limits.MAX_KEY_LENGTH);
        for (String bad : new String[]{null, "", "  ", "x".repeat(Limits.MAX_KEY_LENGTH + 1), "a\u0000b", "a\uD800"}) {
            assertThatThrownBy(() -> Limits.requireKey("provider", bad))
                    .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("provider"));
        }
    }

    @Test
    void requireTenantIdIsTheRuleOfAtlasTenant() {
        assertThat(Limits.requireTenantId("atlas.tenant", "acme")).isEqualTo("acme");
        assertThat(Limits.requireTenantId("atlas.tenant", "x".repeat(Limits.MAX_TENANT_LENGTH))).hasSize(Limits.MAX_TENANT_LENGTH);
        String[][] cases = {{" ", "atlas.tenant: must not be blank"}, {"acme ", "atlas.tenant: must not start or end with white space"},
                {"a\u0007b", "atlas.tenant: contains a control character (U+0007) at index 1"},
                {"x".repeat(Limits.MAX_TENANT_LENGTH + 1), "atlas.tenant: is 129 characters; at most 128 are allowed"}};
        for (String[] c : cases) {
            assertThatThrownBy(() -> Limits.requireTenantId("atlas.tenant", c[0])).isInstanceOf(InvalidInputException.class).hasMessage(c[1]);
        }
        assertThatThrownBy(() -> Limits.requireTenantId("atlas.tenant", null)).isInstanceOf(InvalidInputException.class)
                .hasMessage("atlas.tenant: is required");
    }

    @Test
    void requirePositiveAcceptsOneToMax() {
        assertThat(Limits.requirePositive("maxMessages", 1, 10)).isEqualTo(1);
        assertThat(Limits.requirePositive("maxMessages", 10, 10)).isEqualTo(10);
        for (int bad : new int[]{0, -1, 11, Integer.MIN_VALUE}) {
            assertThatThrownBy(() -> Limits.requirePositive("maxMessages", bad, 10))
                    .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("maxMessages"))
                    .hasMessage("maxMessages: must be between 1 and 10, was " + bad);
        }
    }

    @Test
    void storableKeepsStorableTextAndMendsTheRest() {
        String fine = "caf\u00e9 \uD83D\uDE00 \u2028 \uFFFD";
        assertThat(Limits.storable(fine)).isSameAs(fine);
        assertThat(Limits.storable("a\u0000b\uD800c\uDC00d\uD83D")).isEqualTo("a\uFFFDb\uFFFDc\uFFFDd\uFFFD");
        String huge = "x".repeat(Limits.MAX_CONTENT_LENGTH + 5);
        assertThat(Limits.storable(huge)).hasSize(Limits.MAX_CONTENT_LENGTH);
        // A pair cut in two at the limit: its high half is mended, never left unpaired.
        String cut = "x".repeat(Limits.MAX_CONTENT_LENGTH - 1) + "\uD83D\uDE00";
        assertThat(Limits.storable(cut)).hasSize(Limits.MAX_CONTENT_LENGTH).endsWith("x\uFFFD");
    }

    @Test
    void storableKeyCutsMendsAndDropsBlankKeys() {
        assertThat(Limits.storableKey("gpt-4o")).isEqualTo("gpt-4o");
        assertThat(Limits.storableKey(null)).isNull();
        assertThat(Limits.storableKey(" \t")).isNull();
        assertThat(Limits.storableKey("a\u0000b")).isEqualTo("a\uFFFDb");
        assertThat(Limits.storableKey("k".repeat(300))).isEqualTo("k".repeat(Limits.MAX_KEY_LENGTH));
        // A pair the cut splits: its high half is mended.
        assertThat(Limits.storableKey("k".repeat(Limits.MAX_KEY_LENGTH - 1) + "\uD83D\uDE00"))
                .isEqualTo("k".repeat(Limits.MAX_KEY_LENGTH - 1) + "\uFFFD");
    }

    @Test
    void checkTablePrefixIsTheBuildersRule() {
        assertThat(AtlasConfig.checkTablePrefix("atlas_")).isEqualTo("atlas_");
        assertThat(AtlasConfig.checkTablePrefix("a" + "b".repeat(29))).hasSize(30);
        for (String bad : new String[]{null, "", "Bad", "1abc", "a-b", "a" + "b".repeat(30)}) {
            assertThatThrownBy(() -> AtlasConfig.checkTablePrefix(bad))
                    .isExactlyInstanceOf(ConfigurationException.class)
                    .hasMessage("tablePrefix '" + bad + "' is invalid: use 1 to 30 characters of lowercase letters, digits"
                            + " and underscores, starting with a letter (for example 'atlas_')");
        }
    }

    @Test
    void badEventNamesAreQuotedPrintably() {
        // A name holding a NUL or a terminal escape must not carry it into logs through the message.
        assertThatThrownBy(() -> dev.atlas.conversation.MessageEventType.app("a\u0000b\u001b[31m"))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("type"))
                .hasMessageStartingWith("type: app event name 'a\\u0000b\\u001b[31m' must be");
        assertThatThrownBy(() -> dev.atlas.conversation.MessageEventType.of("x\u2028y"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("type: 'x\\u2028y' is not a message event type");
    }
}
