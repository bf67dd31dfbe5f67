package dev.atlas.portability;

import dev.atlas.InvalidInputException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A scope's missing key is named as the stores name it: an erase or export of one conversation takes a conversationId. */
class ExportScopeTest {
    @Test
    void aMissingKeyIsNamedAsTheStoresNameIt() {
        assertThatThrownBy(() -> ExportScope.conversation(null)).isInstanceOf(InvalidInputException.class)
                .hasMessage("conversationId: is required");
        assertThatThrownBy(() -> ExportScope.owner(null)).isInstanceOf(InvalidInputException.class).hasMessage("owner: is required");
    }
}
