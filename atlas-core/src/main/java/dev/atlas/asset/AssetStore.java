package dev.atlas.asset;

import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import dev.atlas.Page;
import org.jspecify.annotations.Nullable;

/**
 * Generated and uploaded files of one tenant, from {@code atlas.tenant("acme").assets()}. Bytes go
 * to the configured {@link BlobStore}; the row records size, SHA-256 and links.
 *
 * <p>{@link #create} first records the blob key as pending (an intent, committed on its own),
 * then writes the blob (streamed to a temporary file, then moved into place), then inserts the
 * row and removes the intent in one transaction; if the row cannot be written the blob is
 * deleted. A blob left behind by a crash in between still has its intent, and
 * {@link #cleanupOrphanBlobs(Duration)} removes it; a blob without an intent is never removed.
 * A create whose {@link NewAsset#clientKey(String) client key} a live asset already holds writes
 * neither intent nor blob: it reads the content only to compare it with that asset's.
 *
 * <p>An asset row imported by {@link dev.atlas.portability.Portability#importFrom} keeps its blob
 * key, so rows of several tenants (or, imported before keys were exclusive, of one) may name one
 * key. They share the bytes: purges, erases and orphan cleanup delete bytes only once no asset row
 * of any tenant names their key in any ASCII case, or with other dots ending its segments (a key
 * versions before schema 17 stored, {@code scans/report.}, names the file Windows opens for
 * {@code scans/report}), so they go with the last row naming them.
 */
public interface AssetStore {
    /**
     * Streams {@code content} into blob storage and records the asset. The stream is read to its
     * end but not closed. A failing stream or blob store throws {@link dev.atlas.StorageException}
     * and leaves neither row nor blob; when {@code content} itself threw (an upload cut off), the
     * exception's cause is the very exception it threw, so the caller can tell it from a failing
     * blob store. An execution or tool call purged while the bytes were written is a
     * {@link dev.atlas.NotFoundException} naming it, as if it had been gone before the call.
     *
     * <p>The whole call, upload included, is a running call for {@link dev.atlas.Atlas#close()}:
     * close waits for it (up to {@link dev.atlas.AtlasBuilder#closeTimeout}), and one still
     * running then fails with {@link dev.atlas.AtlasClosedException}, leaving no row and no bytes.
     *
     * @param asset the asset to store
     * @param content the content
     * @return the asset
     */
    Asset create(NewAsset asset, InputStream content);

    /**
     * Convenience for small contents.
     *
     * @param asset the asset to store
     * @param content the content
     * @return the asset
     */
    default Asset create(NewAsset asset, byte[] content) {
        return create(asset, new java.io.ByteArrayInputStream(dev.atlas.internal.Check.notNull("content", content)));
    }

    /**
     * Records an asset whose bytes already live in the blob store under {@code blobKey} (seed 002's
     * {@code disk}/{@code path}: for {@link LocalDirectoryBlobStore}, a file below its root), without
     * copying them. Atlas reads the bytes once to compute their size and SHA-256 itself.
     *
     * <p><b>Ownership.</b> Registering hands the bytes to this tenant's asset: from then on they are
     * Atlas's, and a purge of the deleted asset, an owner erase or retention deletes them, as for
     * {@link #create}. So a key is held by one asset of one tenant at a time, from its register
     * until the purge has deleted its bytes (a soft-deleted asset still holds it). Keys are compared
     * ignoring ASCII case, since case-insensitive file systems open one file under both spellings,
     * and a key older versions stored with dots ending its segments ({@code scans/report.}) holds the
     * key without them too, since Windows opens one file for both.
     * Registering a key this tenant holds is a {@link dev.atlas.ConflictException} on
     * {@code blobKey}. A key another tenant holds fails exactly as a key without bytes does, with a
     * {@link dev.atlas.NotFoundException} on {@code blobKey} and the same message, so register
     * reveals nothing about other tenants. Once the bytes are deleted, new bytes the application
     * writes under that key may be registered again, by any tenant. An import does not go through
     * register: an imported row keeps the file's key even where another row names it, and the
     * bytes are then shared (see above).
     *
     * <p><b>Keys.</b> {@code blobKey} is {@code /}-separated segments of letters, digits and
     * {@code . _ -}, none of them {@code .} or {@code ..} or ending in {@code .}, at most 1,000
     * characters, and accepted by the blob store itself; anything else (an absolute path, a
     * {@code ..} step, a backslash, NUL, an empty key, a directory's key) fails before anything is
     * written, with {@link dev.atlas.InvalidInputException} on {@code blobKey} (a directory: not
     * found), as does a key in the layout where Atlas keeps the bytes it stores itself (other
     * tenants' included, in any case). Atlas cannot know who wrote bytes it did not write: keys of
     * external files are the application's namespace, so give each tenant its own prefix and never
     * pass a key a user typed without checking it is that user's.
     *
     * @param asset what to record (type, names, owner, execution …)
     * @param blobKey where the bytes are, relative to the blob store
     * @return the asset, with the size and hash Atlas computed
     */
    Asset register(NewAsset asset, String blobKey);

    /**
     * The asset, unless it does not exist or is soft-deleted.
     *
     * @param assetId the asset's id
     * @return the Asset, or empty when there is none (an id of another tenant is absent)
     */
    Optional<Asset> get(UUID assetId);

    /**
     * The live assets among {@code assetIds}, read together (one statement per 512 ids) instead of
     * one {@link #get} each: for a reader that holds many references at once, such as a chat
     * memory's window with its media. An id that is unknown, soft-deleted or another tenant's is
     * absent from the map, as {@link #get} finds nothing for it; an id given twice is read once.
     *
     * @param assetIds the assets' ids, in any number (none gives an empty map)
     * @return the live assets found, by id, in the order of their first mention in {@code assetIds}; unmodifiable
     * @throws dev.atlas.InvalidInputException naming {@code assetIds} when it is null, {@code assetIds[i]} when an id is
     *         null, before anything is read
     */
    Map<UUID, Asset> getAll(List<UUID> assetIds);

    /**
     * The asset with this id; throws {@link dev.atlas.NotFoundException} when absent or another tenant's.
     *
     * @param assetId the asset's id
     * @return the asset
     */
    default Asset require(UUID assetId) {
        return get(assetId).orElseThrow(() -> new dev.atlas.NotFoundException("asset", assetId));
    }

    /**
     * @deprecated use {@link #create(NewAsset, InputStream)}; removed in 1.0.
     * @param asset the asset to store
     * @param content the content
     * @return the asset
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default Asset store(NewAsset asset, InputStream content) {
        return create(asset, content);
    }

    /**
     * @deprecated use {@link #create(NewAsset, byte[])}; removed in 1.0.
     * @param asset the asset to store
     * @param content the content
     * @return the asset
     */
    @Deprecated(forRemoval = true, since = "0.2")
    default Asset store(NewAsset asset, byte[] content) {
        return create(asset, content);
    }

    /**
     * Opens the asset's bytes; the caller closes the stream. An asset that is absent, another
     * tenant's, or deleted (purged while this call ran included) is a
     * {@link dev.atlas.NotFoundException}; a live asset whose bytes the blob store cannot open is a
     * {@link dev.atlas.StorageException}. The stream checks the bytes against the asset's
     * {@link Asset#sizeBytes()} and {@link Asset#sha256()}: bytes changed or damaged in the blob store
     * make its read throw a {@link dev.atlas.StorageException} naming the asset: the read that
     * reaches the recorded size (so a reader taking exactly that many bytes, as {@code readNBytes}
     * or {@code readFully} do, is checked without asking for the end), an end that comes before
     * it, or a read past it. A stream closed before the recorded size is read is not checked. A read
     * the blob store fails is a {@link dev.atlas.StorageException} naming the blob key and the asset,
     * caused by the store's exception (never the store's own {@link java.io.IOException}). A read
     * that fails, or finds the bytes cut short or changed, once the asset is no longer live (a
     * {@link #discard}, a purge or a {@link #delete}, by this instance or another, on a blob store
     * that cannot read deleted bytes further) is a {@link dev.atlas.NotFoundException}, as this open
     * would then have been, when Atlas can still tell (once it is closed, or when its database
     * fails, such a read is the {@link dev.atlas.StorageException} of the blob store's failure). Such a failed read fails the stream for good: every later read throws
     * again. A read with bad arguments is the caller's {@link IndexOutOfBoundsException} or
     * {@link NullPointerException}, as any stream's, and the stream reads on.
     * A blob store whose open returns {@code null} is a {@link dev.atlas.StorageException}.
     *
     * <p>{@link #openWithAsset} opens the same stream with the asset it reads.
     *
     * @param assetId the asset's id
     * @return the inputStream
     */
    InputStream open(UUID assetId);

    /**
     * Opens the asset's bytes as {@link #open} does, with the asset they belong to
     * ({@link AssetInputStream#asset()}), read in the statement that found the bytes: a caller that
     * needs the mime type or size too (to send them before the bytes) needs no {@link #get}
     * beforehand, which an asset deleted between the two calls would contradict. Failures are
     * {@link #open}'s; the caller closes the stream.
     *
     * <p>The default, for a store that wraps another without forwarding this method, reads the
     * asset and then opens it ({@link #require}, {@link #open}); Atlas's own stores read it once.
     *
     * @param assetId the asset's id
     * @return the asset's bytes, with the asset
     * @throws dev.atlas.NotFoundException when the asset is absent, another tenant's or deleted
     * @throws dev.atlas.StorageException when the wrapped store's {@code open} returns no stream
     */
    default AssetInputStream openWithAsset(UUID assetId) {
        Asset asset = require(assetId);
        InputStream in = open(assetId);
        if (in == null) {
            // The wrapped store broke open's contract; the caller's id is not at fault.
            throw new dev.atlas.StorageException("open of asset " + assetId + " returned no stream", null, false, null);
        }
        return new AssetInputStream(in, asset);
    }

    /**
     * Assets produced by the execution, oldest first, all at once: an execution with many assets
     * reads them all; {@link #byExecution(UUID, int, String)} pages them.
     *
     * @param executionId the execution's id
     * @return the matching items, in order
     */
    List<Asset> byExecution(UUID executionId);

    /**
     * The live assets produced by the execution, oldest first (by id), keyset-paged: a page never
     * repeats or skips an asset that existed when the first page was read. An unknown execution or
     * another tenant's reads as one with no assets.
     *
     * @param executionId the execution's id
     * @param limit page size, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}
     * @param cursor {@link dev.atlas.Page#nextCursor()} of the previous page of this execution, or {@code null} for the first
     * @return one page of assets and the cursor of the next
     * @throws dev.atlas.InvalidInputException naming {@code limit} when out of range, {@code cursor} when it was not
     *         returned by a page of this execution's listing
     */
    Page<Asset> byExecution(UUID executionId, int limit, @Nullable String cursor);

    /**
     * This tenant's oldest live asset whose bytes have this SHA-256 ({@link Asset#sha256()}), so
     * that an application can reuse stored bytes instead of storing them again. Deleted assets and
     * other tenants' are never found.
     *
     * @param sha256 64 hexadecimal digits, either case
     * @return the asset, or empty when this tenant holds no live asset with these bytes
     * @throws dev.atlas.InvalidInputException naming {@code sha256} when it is not 64 hexadecimal digits
     */
    Optional<Asset> getBySha256(String sha256);

    /**
     * Soft-deletes the asset; its bytes stay until purged by the application (retention's
     * {@link dev.atlas.retention.RetentionPolicy#purgeDeletedAssetsAfter}). To remove at once an
     * asset nothing ever referred to, use {@link #discard}. An unknown id, another tenant's, or an
     * asset already deleted is a {@link dev.atlas.NotFoundException}.
     *
     * @param assetId the asset's id
     */
    void delete(UUID assetId);

    /**
     * Removes at once an asset that is attached to no message, live or already soft-deleted: its
     * row, its vectors and its bytes, as retention's purge of a deleted asset would, without
     * waiting for it. Meant for an asset stored for something that then failed (a message refused
     * after its media was stored), which nothing can refer to, or one the application
     * {@link #detach}ed from every message it was attached to (the wrong file). An asset attached
     * to any message (through {@link #attach} or {@link #attachPart}, the message live or deleted)
     * is a {@link dev.atlas.ConflictException} on {@code assetId} and is left as it is:
     * {@link #detach} it first (from a deleted message once it is restored, since detach finds
     * live messages only), or {@link #delete} it and let retention purge it. An unknown id, or another tenant's, is a
     * {@link dev.atlas.NotFoundException}.
     *
     * <p>The row goes in one transaction, which an {@link #attach} of the asset waits for (or
     * which waits for it): the attach then finds no asset, or the discard finds the attachment.
     * The bytes are deleted after the commit, unless another asset row (an imported copy) still
     * names them; bytes the blob store fails to delete are removed by the next
     * {@link #cleanupOrphanBlobs}, whatever its {@code minAge}, and the discard still succeeds.
     * An {@link #open} racing it is a {@link dev.atlas.NotFoundException}; a stream opened
     * before keeps what the blob store gives it (on a POSIX file system, the whole content); on a
     * blob store that cannot read deleted bytes further, its next read is a
     * {@link dev.atlas.NotFoundException}, never a part of the content passed off as the whole.
     *
     * @param assetId the asset's id
     */
    void discard(UUID assetId);

    /**
     * Attaches the asset to a message (idempotent: attaching again replaces the attachment metadata).
     * The key {@link AttachedAsset#PART}, when present, is {@code true} or {@code false}; any other
     * value is an {@link dev.atlas.InvalidInputException} on {@code attachmentMetadata}.
     *
     * @param messageId the message's id
     * @param assetId the asset's id
     * @param attachmentMetadata JSON-compatible data about the attachment
     * @return the attachedAsset
     * @throws dev.atlas.InvalidInputException naming {@code attachmentMetadata} when it is not JSON-compatible or its
     *         {@link AttachedAsset#PART} is not a boolean, before anything is looked up
     * @throws dev.atlas.NotFoundException naming {@code messageId} ({@code messageId: message <id> not found}) when the
     *         message is unknown, another tenant's, or deleted (its conversation deleted included), checked first; else
     *         naming {@code assetId} ({@code assetId: asset <id> not found}) when the asset is unknown, another tenant's,
     *         or deleted
     */
    AttachedAsset attach(UUID messageId, UUID assetId, Map<String, ?> attachmentMetadata);

    /**
     * Attaches the asset to a message as a part of it (an image inline in the message, the
     * message's own content kept as a file): the attachment carries {@link AttachedAsset#PART}.
     * When retention hard-deletes the message, or purges its conversation, the asset goes too, row
     * and bytes, unless a message retention keeps also holds it: then it stays for that message and
     * loses only the deleted message's attachment. (An erase of the conversation or of
     * its owner takes every asset attached only to their messages, parts or not.) Attach uploads,
     * which outlive the message, with {@link #attach}.
     *
     * @param messageId the message's id
     * @param assetId the asset's id
     * @return the attachedAsset
     * @throws dev.atlas.NotFoundException naming {@code messageId} or {@code assetId}, as {@link #attach} does
     */
    default AttachedAsset attachPart(UUID messageId, UUID assetId) {
        return attach(messageId, assetId, Map.of(AttachedAsset.PART, true));
    }

    /**
     * Detaches the asset from the message and keeps the asset: for an application that attached
     * the wrong file, or lets a user edit a message's attachments. Only the attachment goes (its
     * metadata with it, {@link AttachedAsset#PART} included); the asset, its bytes and its other
     * attachments stay as they are, and so does the message. Retention and erase then treat the
     * asset by its remaining attachments alone: a part detached no longer goes with the message,
     * and an asset detached from its last message is as one never attached (it stays until it is
     * {@link #delete}d and purged, or produced by an execution that a purge takes, or owned by an
     * owner who is erased), which {@link #discard} removes at once. Attaching it again later is a
     * new attachment, listed after those made before it. Like {@link #attach}, it records no
     * message event and leaves the message's times unchanged.
     *
     * <p>The asset may be soft-deleted ({@link #delete}): its attachments, which {@link #forMessage}
     * no longer lists, can still be detached, so that {@link #discard} can then remove it at once.
     * Detaching an asset the message does not hold (never attached, or detached already) writes
     * nothing and returns {@code false}, so a retry is harmless.
     *
     * @param messageId the message's id
     * @param assetId the asset's id
     * @return whether the asset was attached to the message (and is no longer)
     * @throws dev.atlas.NotFoundException naming {@code messageId} ({@code messageId: message <id> not found}) when the
     *         message is unknown, another tenant's, or deleted (its conversation deleted included), checked first; else
     *         naming {@code assetId} ({@code assetId: asset <id> not found}) when this tenant has no such asset (unknown,
     *         another tenant's, or purged)
     */
    boolean detach(UUID messageId, UUID assetId);

    /**
     * The message's live assets, in attachment order (attaching an asset again keeps its place; an
     * attachment from an instance whose clock runs behind is still listed after the earlier ones),
     * all at once, without a bound: a message with many attachments reads them all;
     * {@link #forMessage(UUID, int, String)} pages them.
     *
     * @param messageId the message's id
     * @return the matching items, in order
     * @throws dev.atlas.NotFoundException ({@code message <id> not found}, naming no field: the message is what the call
     *         reads, as for every store's own row) when the message is unknown, another tenant's, or deleted (its
     *         conversation deleted included)
     */
    List<AttachedAsset> forMessage(UUID messageId);

    /**
     * The message's live assets in attachment order, as {@link #forMessage(UUID)} lists them (by
     * the attachment's time, then its id), keyset-paged: a page never repeats or skips an asset
     * attached when the first page was read, attaching one again between pages included (it keeps
     * its place). An asset deleted or detached meanwhile is left out; one attached meanwhile is
     * listed as its place falls, and so is one detached and attached again (a new attachment, after
     * those made before it: a page already read may have listed it at its former place).
     *
     * @param messageId the message's id
     * @param limit page size, 1 to {@link dev.atlas.Limits#MAX_PAGE_SIZE}
     * @param cursor {@link dev.atlas.Page#nextCursor()} of the previous page of this message, or {@code null} for the first
     * @return one page of attached assets and the cursor of the next
     * @throws dev.atlas.InvalidInputException naming {@code limit} when out of range, {@code cursor} when it was not
     *         returned by a page of this message's listing in this tenant (checked first: another message's cursor
     *         is refused so whether or not {@code messageId} exists here)
     * @throws dev.atlas.NotFoundException ({@code message <id> not found}, naming no field, as {@link #forMessage(UUID)})
     *         when the message is unknown, another tenant's, or deleted (its conversation deleted included), on any page
     */
    Page<AttachedAsset> forMessage(UUID messageId, int limit, @Nullable String cursor);

    /**
     * Removes this tenant's orphan blobs and reports them: those whose {@link #create} recorded an
     * intent at least {@code minAge} ago and never inserted the asset row. Intents are stamped and
     * aged on the database's clock (as task leases are), never an instance's, so an uploader whose
     * clock runs behind is not taken early; {@link dev.atlas.AtlasBuilder#clock} does not age them.
     * Blobs Atlas has no intent for are left alone, whatever their age: those of another database
     * sharing the blob directory (a restored backup, a staging clone) and any file Atlas did not
     * write. A {@link #create} still running when its intent is taken fails instead of recording an
     * asset without bytes, so choose {@code minAge} well above the longest upload. Temporary files
     * of this tenant's uploads that never finished, older than {@code minAge} by the blob store's
     * clock, are removed too ({@link BlobStore#removeAbandonedTemporaryFiles(String, java.time.Instant)});
     * other tenants' are neither removed nor counted.
     *
     * @param minAge the minimum age
     * @return the orphanCleanup
     */
    OrphanCleanup cleanupOrphanBlobs(Duration minAge);
}
