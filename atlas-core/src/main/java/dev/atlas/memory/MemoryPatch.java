package dev.atlas.memory;

import dev.atlas.internal.Check;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import org.jspecify.annotations.Nullable;

/**
 * Changes to a memory for {@link MemoryStore#update}. A {@code null} component means
 * "unchanged". A content change bumps the revision and keeps the previous content in the trail.
 *
 * <pre>{@code
 * memories.update(id, MemoryPatch.content("Prefers SMS").importance(0.9))
 * }</pre>
 *
 * @param content the new content (not blank), or {@code null} to keep it
 * @param tags tags replacing all current ones (at most {@link Limits#MAX_TAGS} distinct ones; a tag given twice is kept once), or {@code null} to keep them
 * @param metadata a document replacing the current metadata, or {@code null} to keep it
 * @param importance the new importance, 0 to 1, or {@code null} to keep it
 * @param expiresAt the new expiry time, or {@code null} to keep it (see {@code clearExpiry})
 * @param clearExpiry when true the memory no longer expires ({@code expiresAt} must then be null)
 */
public record MemoryPatch(@Nullable String content, @Nullable List<String> tags, @Nullable Map<String, Object> metadata, @Nullable Double importance,
                          @Nullable Instant expiresAt, boolean clearExpiry) {

    /**
     * Validates the components; a bad one throws {@link dev.atlas.InvalidInputException} naming it.
     *
     * @param content the content
     * @param tags the tags
     * @param metadata JSON-compatible application data
     * @param importance 0 to 1, how much the memory matters
     * @param expiresAt when it stops being visible
     * @param clearExpiry when true the memory no longer expires ({@code expiresAt} must then be null)
     */
    public MemoryPatch {
        if (content != null) {
            Check.required("content", content, Limits.MAX_CONTENT_LENGTH);
        }
        if (tags != null) {
            tags = NewMemory.checkTags(tags);
        }
        if (metadata != null) {
            metadata = Check.metadata("metadata", metadata);
        }
        if (importance != null) {
            importance = NewMemory.checkImportance(importance);
        }
        Check.instant("expiresAt", expiresAt);
        if (clearExpiry && expiresAt != null) {
            throw new InvalidInputException("expiresAt", "cannot be set together with clearExpiry");
        }
    }

    /**
     * A patch that changes nothing yet.
     *
     * @return the new value
     */
    public static MemoryPatch none() {
        return new MemoryPatch(null, null, null, null, null, false);
    }

    /**
     * Creates a {@code MemoryPatch} from {@code content}.
     *
     * @param content the content
     * @return the new value
     */
    public static MemoryPatch content(String content) {
        return none().withContent(content);
    }

    /**
     * Returns a copy with {@code content} replaced.
     *
     * @param content the content
     * @return a copy with this change
     */
    public MemoryPatch withContent(String content) {
        return new MemoryPatch(Check.notNull("content", content), tags, metadata, importance, expiresAt, clearExpiry);
    }

    /**
     * Replaces every tag.
     *
     * @param tags the tags
     * @return a copy with this change
     */
    public MemoryPatch tags(String... tags) {
        return new MemoryPatch(content, java.util.Arrays.asList(Check.notNull("tags", tags)), metadata, importance, expiresAt, clearExpiry);
    }

    /**
     * Replaces the metadata document.
     *
     * @param metadata JSON-compatible application data
     * @return a copy with this change
     */
    public MemoryPatch metadata(Map<String, ?> metadata) {
        return new MemoryPatch(content, tags, Check.given(Check.notNull("metadata", metadata)), importance, expiresAt, clearExpiry);
    }

    /**
     * Returns a copy with {@code importance} replaced.
     *
     * @param importance 0 to 1, how much the memory matters
     * @return a copy with this change
     */
    public MemoryPatch importance(double importance) {
        return new MemoryPatch(content, tags, metadata, importance, expiresAt, clearExpiry);
    }

    /**
     * Returns a copy with {@code expiresAt} replaced.
     *
     * @param expiresAt when it stops being visible
     * @return a copy with this change
     */
    public MemoryPatch expiresAt(Instant expiresAt) {
        return new MemoryPatch(content, tags, metadata, importance, Check.notNull("expiresAt", expiresAt), false);
    }

    /**
     * Returns a copy that removes the memory's expiry time.
     *
     * @return a copy with this change
     */
    public MemoryPatch neverExpires() {
        return new MemoryPatch(content, tags, metadata, importance, null, true);
    }
}
