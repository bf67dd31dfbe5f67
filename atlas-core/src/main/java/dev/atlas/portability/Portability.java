package dev.atlas.portability;

import dev.atlas.Owner;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.UUID;

/**
 * Bringing a tenant's history in and out, and erasing an owner's or the whole tenant's data on request.
 *
 * <p>The exchange format is JSON Lines (UTF-8, one JSON object per line, {@code \n} after each):
 * a header line {@code {"type":"atlas-export","version":2,"schema":37}} (the format, and
 * the exporting database's newest migration) and then one line per stored row:
 * {@code {"type":"message","row":{"id":…,"conversation_id":…,"sequence":1,…}}}, where {@code type}
 * names the kind of row ({@code conversation}, {@code message}, {@code execution}, …) and
 * {@code row} holds its columns under their column names (null columns left out): ids, timestamps (ISO-8601
 * UTC at microsecond precision, trailing zeros of the fraction left out as {@link java.time.Instant#toString}
 * writes them), sequences, statuses, branches, durations, usage and costs as stored. Parents
 * come before the rows that reference them. The same rows export to the same bytes from either
 * database, so an export imported into an empty database of the other dialect exports back
 * byte-identical. Blob bytes of assets are not in the file; the asset rows are.
 *
 * <p>Every call is scoped to the tenant this view belongs to: an import writes into it whatever
 * tenant the file came from, and an id that exists only in another tenant is an unknown id here.
 */
public interface Portability {
    /**
     * Writes the rows in {@code scope} to {@code out} as JSON Lines and returns how many rows of
     * each type were written. Rows are read a page at a time, all from one snapshot of the database
     * (a row written meanwhile is in the file whole or not at all); the stream is flushed, not closed.
     * A conversation scope's conversation is looked up in that snapshot before anything is written:
     * erased while the export begins, it is in the file whole or the export is a
     * {@link dev.atlas.NotFoundException}, never a file of the header alone.
     *
     * <p>Inside an application's transaction that Atlas joins (a {@code DataSource} handing out the
     * connection of the application's open transaction, such as Spring's
     * {@code TransactionAwareDataSourceProxy}), the export reads in that transaction as it is. That
     * is one snapshot on SQLite, and on PostgreSQL at REPEATABLE READ or SERIALIZABLE (the
     * transaction's snapshot, taken at its first statement, which may come before the export). At READ
     * COMMITTED, PostgreSQL's default, each table is read as committed when its read begins: rows
     * another connection commits during the export can be in the file in part (a message without
     * its conversation, so the file does not import), and a conversation erased meanwhile can leave
     * a file of the header alone. Export outside such a transaction, or in one at REPEATABLE READ.
     *
     * @param out   where the JSON Lines go; left open
     * @param scope the whole tenant, one owner or one conversation
     * @return rows written per type
     * @throws dev.atlas.NotFoundException when the scope names a conversation this tenant does not have
     *         (on {@code conversationId}); nothing is written then
     * @throws java.io.UncheckedIOException when writing to {@code out} fails
     * @throws dev.atlas.UnreadableRowException naming the table, the row and the column, when a stored row cannot be
     *         read or holds a value {@link #importFrom(InputStream)} would refuse (written by SQL or an older Atlas);
     *         what {@code out} holds then is no export: the rows before it, without the end record
     */
    ExportReport exportTo(OutputStream out, ExportScope scope);

    /**
     * Reads JSON Lines written by {@link #exportTo} (or by a migration script in the same format)
     * and inserts the rows with their original ids, times and values, thousands of rows per
     * transaction.
     *
     * <p>The whole input is validated before the first row is written: a record that is not an
     * object, has an unknown type or field, lacks a required field, holds a value of the wrong type
     * or out of range or one the API's writes would refuse (a text over its field's limit, blank
     * where the API requires text), shares a unique key other than its id with another new row of
     * the input, or references a row that is neither earlier in the file nor already in this
     * tenant fails with {@link dev.atlas.InvalidInputException} naming {@code line N: type.field}.
     * An enum value is accepted as the readers accept it (in any case) and stored in its stored
     * form. A row whose id already exists with the same values is skipped (so importing a file
     * twice changes nothing); with different values, or holding a unique key (a slug, an external
     * key, a message's sequence) a stored row of this tenant holds, the import fails with
     * {@link dev.atlas.ConflictException} naming {@code line N: type.field}, also before any write.
     *
     * <p>An import is not one transaction. Should another writer take such a unique key after the
     * check, the import fails at the transaction holding that line with
     * {@link dev.atlas.ConflictException} naming {@code line N: type.field}; the rows of the
     * transactions before it stay imported (whole rows, each with its parents), and importing the
     * same input again once the key is free resumes: those rows are skipped as unchanged. An asset
     * whose blob key a purge (of any tenant) is deleting the bytes of when its transaction runs fails
     * it the same way, on {@code line N: asset.blob_key}: the asset is never left naming deleted bytes.
     *
     * <p>An imported asset row keeps its blob key (the bytes are not in the file). Where two rows,
     * of this or another tenant, name one key (in any ASCII case) they share the bytes: a purge or
     * erase of one deletes them only when it removed the last row naming them.
     *
     * <p>A credential is stored only if it can be read in this tenant: with {@code credentialKeys}
     * configured, one that does not decrypt for this tenant (exported from another tenant, sealed
     * with a key not configured here, or changed) fails with {@link dev.atlas.InvalidInputException}
     * naming {@code line N: credential.ciphertext} (without keys, credentials are taken as written,
     * unchecked). Credentials exported from another tenant import with
     * {@link ImportOptions#resealCredentialsFrom(String)}.
     *
     * @param in JSON Lines as {@link #exportTo} writes them; read to the end, not closed
     * @return rows inserted and rows skipped as already present, per type
     * @throws dev.atlas.InvalidInputException when a line is invalid, before any write
     * @throws dev.atlas.ConflictException when a line clashes with a stored row, before any write (or, for a key taken since the check, at its transaction)
     * @throws java.io.UncheckedIOException when reading {@code in} fails
     */
    default ImportReport importFrom(InputStream in) {
        return importFrom(in, ImportOptions.defaults());
    }

    /**
     * {@link #importFrom(InputStream)} with {@code options}: with
     * {@link ImportOptions#resealCredentialsFrom(String)}, the file's credentials are decrypted as
     * sealed for that tenant and sealed again for this one (a new nonce, the primary key), so they
     * read here with the same secrets; a credential already stored with the same secret is
     * unchanged.
     *
     * @param in      JSON Lines as {@link #exportTo} writes them; read to the end, not closed
     * @param options how credentials are taken
     * @return rows inserted and rows skipped as already present, per type
     * @throws dev.atlas.InvalidInputException when a line is invalid, before any write
     * @throws dev.atlas.ConfigurationException when the options reseal credentials and no credential keys are configured
     * @throws dev.atlas.ConflictException when a line clashes with a stored row, before any write (or, for a key taken since the check, at its transaction)
     * @throws java.io.UncheckedIOException when reading {@code in} fails
     */
    ImportReport importFrom(InputStream in, ImportOptions options);

    /**
     * Deletes everything of {@code owner} in this tenant (its conversations with their tool threads,
     * messages, events, executions, steps, tool calls, assets with their blob bytes, vectors,
     * its executions without a conversation, memories, credentials, voice calls, tasks, task schedules,
     * the assistants and settings they own with their revisions), in batches, and reports the rows
     * deleted per table. The memory graph has no owner and stays: delete the owner's nodes with
     * {@link dev.atlas.graph.MemoryGraph#deleteNode}. Messages the owner wrote in
     * other owners' conversations stay there, since they are part of those owners' history, but
     * lose their author: counted as {@code messages_detached}; its executions there stay without their
     * owner ({@code executions_detached}). So do the revisions the owner published or rolled back of
     * assistants and settings it does not own (the tenant's, other owners'): they stay in those
     * documents' history with their author cleared ({@code author()} then reads {@code null}), counted as
     * {@code assistant_revisions_detached} and {@code settings_revisions_detached}. Blob bytes another asset row (of
     * any tenant) still names stay, and {@code asset_blobs} counts only the bytes deleted. With
     * {@code dryRun} nothing changes and the same counts are returned.
     *
     * <p>The owner's conversations are soft-deleted first, so appends racing the erase are refused
     * ({@link dev.atlas.NotFoundException}); a conversation the owner starts while the erase runs is
     * erased whole too (the erase closes it and runs again). Should new ones keep arriving through
     * ten such passes, the erase stops with {@link dev.atlas.ConflictException} on {@code owner},
     * having erased what it had closed; erase again to finish.
     *
     * <p>Executions still running are deleted like the rest, and no
     * {@link dev.atlas.execution.ExecutionListener} hears of it: listeners receive records as
     * stored, and an erased execution has no stored end to report (sending the erased data to an
     * exporter as it is erased would also defeat the erase). Their handles' later writes
     * ({@code complete}, {@code fail}, a step) fail with {@link dev.atlas.NotFoundException}
     * ({@code execution}): an application that counts calls in flight from {@code started} should
     * count them down where it ends the call (or when {@code complete} fails), not only in the listener.
     *
     * @param owner  whose data is erased
     * @param dryRun {@code true} to count without deleting
     * @return rows deleted (or that would be) per table
     */
    EraseReport eraseOwner(Owner owner, boolean dryRun);

    /**
     * Deletes one conversation with everything hanging off it: its tool threads, messages and
     * their events, executions with steps and tool calls, the assets those produced or only its
     * messages carry (rows and blob bytes), vectors, voice calls and tasks. Unknown ids (or another
     * tenant's) fail with {@link dev.atlas.NotFoundException}. Running executions go as with
     * {@link #eraseOwner}: no listener hears of them.
     *
     * @param conversationId the conversation to erase
     * @param dryRun         {@code true} to count without deleting
     * @return rows deleted (or that would be) per table
     * @throws dev.atlas.NotFoundException when this tenant has no such conversation
     */
    EraseReport eraseConversation(UUID conversationId, boolean dryRun);

    /**
     * Deletes everything this tenant holds, for a customer who leaves: what {@link #eraseOwner} deletes for every owner,
     * and the rows no owner has (executions, voice calls, tasks, schedules, assistants and settings without an owner, model
     * prices, the memory graph, vector models, retention leases), with the blob bytes no row of another tenant still names.
     * Other tenants' rows and the bytes they name are never touched. With {@code dryRun} nothing changes and the same counts
     * are returned.
     *
     * <p>In batches of bounded transactions, memory independent of the tenant's size; an erase that stops midway (a crash, a
     * closed pool) leaves every remaining row readable, and calling it again finishes the job. The tenant's conversations are
     * closed (soft-deleted) first, so appends racing the erase are refused ({@link dev.atlas.NotFoundException}); a row
     * written while it runs is erased whole or stays whole: the erase runs again while new conversations arrive, and stops
     * with {@link dev.atlas.ConflictException} on {@code tenant} after ten such passes (erase again to finish). Afterwards
     * the tenant holds no row and is usable again, as a new tenant.
     *
     * @param dryRun {@code true} to count without deleting
     * @return rows deleted (or that would be) per table, blob files as {@code asset_blobs}
     * @throws dev.atlas.ConflictException when new conversations kept arriving through ten passes
     */
    EraseReport eraseTenant(boolean dryRun);
}
