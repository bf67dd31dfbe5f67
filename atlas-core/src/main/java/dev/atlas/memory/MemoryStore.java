package dev.atlas.memory;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import org.jspecify.annotations.Nullable;

/**
 * Long-term memories of one tenant: facts, preferences, summaries and app-defined kinds, owned
 * by a user (or any {@link Owner}) and optionally scoped to one agent. Obtain it from
 * {@code atlas.tenant("acme").memories()}.
 *
 * <p>Expired memories ({@code expiresAt} at or before now) and deleted ones are invisible to every
 * read at once, before retention removes them. Provenance ids are plain ids, never foreign
 * keys, so purging a conversation never touches the memories learnt from it.
 *
 * <p>{@link #get(UUID)} and {@link #list(MemoryQuery)} are one statement each, the memories with
 * their tags, so they read one snapshot at every isolation level, also inside an application's
 * transaction that Atlas joins (where they also see the application's own uncommitted writes): a
 * patch another instance commits meanwhile is seen whole or not at all. {@link #revisions(UUID)}
 * and its pages are one statement too, the trail read with its memory's visibility.
 */
public interface MemoryStore {

    /**
     * Stores a new memory at revision 1. Its provenance is checked when it is stored, not held:
     * a conversation, message or tool call erased or purged afterwards (or while this call runs)
     * leaves the memory with its ids, as for any memory learnt from a purged conversation.
     *
     * @param memory the memory to create
     * @return the memory
     * @throws NotFoundException naming {@code conversationId}, {@code messageId} or {@code toolCallId} when this tenant
     *         has no such live conversation or message, or no such tool call (another tenant's ids alike)
     * @throws InvalidInputException naming {@code expiresAt} when it is not after now; {@code messageId} when the message
     *         is of another conversation than {@code conversationId}; {@code toolCallId} when the tool call's execution ran
     *         in another conversation than the memory's ({@code conversationId}, or else its message's)
     * @throws dev.atlas.ConflictException naming {@code clientKey} when the key holds a different memory
     */
    Memory create(NewMemory memory);

    /**
     * @deprecated use {@link #create(NewMemory)}; removed in 1.0.
     * @param memory the memory to create
     * @return the memory
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default Memory add(NewMemory memory) {
        return create(memory);
    }

    /**
     * The memory, unless it does not exist, is deleted or has expired.
     *
     * @param memoryId the memory's id
     * @return the Memory, or empty when there is none (an id of another tenant is absent)
     */
    Optional<Memory> get(UUID memoryId);

    /**
     * Like {@link #get(UUID)}, for callers that expect the memory.
     *
     * @param memoryId the memory's id
     * @return the memory
     */
    default Memory require(UUID memoryId) {
        return get(memoryId).orElseThrow(() -> new NotFoundException("memory", memoryId));
    }

    /**
     * Memories matching the query, newest first, keyset-paginated.
     *
     * @param query the query: filters, limit and cursor
     * @return one page of results and the cursor of the next
     */
    Page<Memory> list(MemoryQuery query);

    /**
     * Applies a patch in one transaction. A content change that differs from the current content
     * appends the previous content to the {@linkplain #revisions(UUID) revision trail} and bumps
     * the revision; any other change moves {@code updatedAt} only. A patch that changes nothing
     * (every field it gives equal to the stored one: tags as a set, metadata as the map it reads
     * back as, the expiry at the microsecond; {@link MemoryPatch#none()} too) writes nothing and
     * returns the memory as stored, {@code updatedAt} unchanged.
     *
     * @param memoryId the memory's id
     * @param patch the changes
     * @return the memory as stored (expired at once when the patch set a past {@code expiresAt})
     * @throws NotFoundException when this tenant has no such memory (deleted, expired or another tenant's)
     */
    Memory update(UUID memoryId, MemoryPatch patch);

    /**
     * Soft-deletes the memory: it disappears from reads and search at once.
     *
     * @param memoryId the memory's id
     * @throws NotFoundException when this tenant has no such memory (already deleted, expired or another tenant's)
     */
    void delete(UUID memoryId);

    /**
     * The previous contents of a memory, oldest first (empty for a memory never edited).
     *
     * @param memoryId the memory's id
     * @return the matching items, in order
     * @throws NotFoundException when this tenant has no such memory (deleted, expired or another tenant's)
     */
    List<MemoryRevision> revisions(UUID memoryId);

    /**
     * One page of a memory's previous contents, oldest first: {@link #revisions(UUID)} a page at a
     * time, for a memory edited more often than one list should hold.
     *
     * @param memoryId the memory's id
     * @param limit page size, 1 to {@link Limits#MAX_PAGE_SIZE}
     * @param cursor {@link Page#nextCursor()} of the previous page of this memory's revisions, or {@code null} for the first
     * @return one page of results and the cursor of the next
     * @throws NotFoundException when this tenant has no such memory (deleted, expired or another tenant's)
     * @throws InvalidInputException naming {@code limit} or {@code cursor} when the limit is out of range or the cursor was
     *         not returned by this listing
     */
    Page<MemoryRevision> revisions(UUID memoryId, int limit, @Nullable String cursor);
}
