package dev.atlas;

import dev.atlas.internal.Titles;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.atlas.conversation.ConversationStatus;
import dev.atlas.conversation.MessageStatus;
import dev.atlas.conversation.Role;

class StateMachineTest {
    @Test
    @DisplayName("delivered messages are final; failed messages may be queued again")
    void messageStatus() {
        assertThat(MessageStatus.QUEUED.canMoveTo(MessageStatus.DELIVERED)).isTrue();
        assertThat(MessageStatus.FAILED.canMoveTo(MessageStatus.QUEUED)).isTrue();
        assertThat(MessageStatus.DELIVERED.next()).isEmpty();
        assertThatThrownBy(() -> MessageStatus.DELIVERED.checkMoveTo(MessageStatus.FAILED))
                .isInstanceOf(IllegalTransitionException.class).hasMessageContaining("none (final)");
    }

    @Test
    @DisplayName("closed conversations are final")
    void conversationStatus() {
        assertThat(ConversationStatus.ARCHIVED.canMoveTo(ConversationStatus.OPEN)).isTrue();
        assertThat(ConversationStatus.CLOSED.next()).isEmpty();
    }

    @Test
    @DisplayName("wire names parse case-insensitively and unknown ones name the allowed values")
    void wireNames() {
        assertThat(Role.of("Assistant")).isEqualTo(Role.ASSISTANT);
        assertThatThrownBy(() -> MessageStatus.of("sent")).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("[queued, processing, delivered, failed]");
    }

    @Test
    @DisplayName("titles collapse whitespace and cut long text at a word boundary")
    void titles() {
        assertThat(Titles.fromMessage("  hello \n world ")).isEqualTo("hello world");
        assertThat(Titles.fromMessage(" \t ")).isNull();
        String cut = Titles.fromMessage("word ".repeat(40));
        assertThat(cut).hasSizeLessThanOrEqualTo(80).endsWith("word…");
        String noSpaces = Titles.fromMessage("x".repeat(200));
        assertThat(noSpaces).hasSize(80).endsWith("…");
        String astral = Titles.fromMessage("𝄞".repeat(100));
        assertThat(astral.codePoints().filter(cp -> cp >= 0xD800 && cp <= 0xDFFF)).isEmpty();
    }
}
