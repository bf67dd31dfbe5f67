package dev.atlas;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Page} as a caller builds one (a decorator, a test double): checked where it is made, immutable after. */
class PageTest {
    @Test
    void nullItemsOrCursorAreRefusedNamingTheComponent() {
        assertThatThrownBy(() -> new Page<String>(null, Optional.empty())).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("items")).hasMessage("items: is required");
        assertThatThrownBy(() -> new Page<>(List.of("a"), null)).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("nextCursor")).hasMessage("nextCursor: is required");
        assertThatThrownBy(() -> new Page<>(Arrays.asList("a", null), Optional.empty())).isInstanceOfSatisfying(InvalidInputException.class,
                e -> assertThat(e.field()).isEqualTo("items")).hasMessage("items: must not contain null elements");
    }

    @Test
    void itemsAreCopiedAndCannotBeChanged() {
        List<String> given = new ArrayList<>(List.of("a", "b"));
        Page<String> page = new Page<>(given, Optional.of("c1"));
        given.add("x");
        assertThat(page.items()).containsExactly("a", "b");
        assertThatThrownBy(() -> page.items().add("y")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(page).isEqualTo(new Page<>(List.of("a", "b"), Optional.of("c1"))).hasSameHashCodeAs(new Page<>(List.of("a", "b"), Optional.of("c1")));
        assertThat(page.hasMore()).isTrue();
        assertThat(new Page<>(List.of(), Optional.empty()).hasMore()).isFalse();
    }
}
