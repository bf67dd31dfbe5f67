package dev.atlas.search;

import dev.atlas.internal.Check;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.conversation.Role;

/**
 * A full-text query over messages or memories. The text is split into words (letters, digits,
 * marks; each CJK or Thai character and each emoji is a word of its own); a result contains
 * every word. Words joined by {@code . , @ / _ - '} (or by nothing, as in CJK) must also follow
 * each other in the result, so {@code ada@example.com}, {@code 2.5.1} or {@code 中文} match as
 * written. Matching ignores case (words are lower-cased, not case-folded: {@code ß} is not {@code ss},
 * nor a final {@code ς} a {@code σ}), not accents, and is the same on every database. Any string is
 * accepted: quotes, operators and other punctuation are separators, never query syntax.
 *
 * <pre>{@code
 * search.text(TextQuery.messages("order 1234").filter(SearchFilter.none().role(Role.USER)).limit(10))
 * }</pre>
 *
 * @param target messages or memories (assets have no full-text index)
 * @param text the words to find, at most {@link Limits#MAX_QUERY_LENGTH} characters; any string
 * @param filter which items qualify; {@link SearchFilter#none()} for all
 * @param limit at most this many items, 1 to {@link Limits#MAX_PAGE_SIZE}; 20 unless given
 */
public record TextQuery(SearchTarget target, String text, SearchFilter filter, int limit) {
    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param target what kind of item to search
     * @param text the text
     * @param filter which items qualify
     * @param limit at most this many items, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}
     */
    public TextQuery {
        Check.notNull("target", target);
        if (target == SearchTarget.ASSET) {
            throw new InvalidInputException("target", "assets have no full-text index; search them semantically");
        }
        Check.notNull("text", text);
        Check.text("text", text, Limits.MAX_QUERY_LENGTH);
        Check.notNull("filter", filter);
        filter.checkApplies(target);
        Check.positive("limit", limit, Limits.MAX_PAGE_SIZE);
    }

    /**
     * Creates a {@code TextQuery} from {@code text}.
     *
     * @param text the text
     * @return the new value
     */
    public static TextQuery messages(String text) {
        return new TextQuery(SearchTarget.MESSAGE, text, SearchFilter.none(), 20);
    }

    /**
     * Creates a {@code TextQuery} from {@code text}.
     *
     * @param text the text
     * @return the new value
     */
    public static TextQuery memories(String text) {
        return new TextQuery(SearchTarget.MEMORY, text, SearchFilter.none(), 20);
    }

    /**
     * Returns a copy with {@code filter} replaced.
     *
     * @param filter which items qualify
     * @return a copy with this change
     */
    public TextQuery filter(SearchFilter filter) {
        return new TextQuery(target, text, filter, limit);
    }

    /**
     * Returns a copy with {@code limit} replaced.
     *
     * @param limit at most this many items, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}
     * @return a copy with this change
     */
    public TextQuery limit(int limit) {
        return new TextQuery(target, text, filter, limit);
    }
}
