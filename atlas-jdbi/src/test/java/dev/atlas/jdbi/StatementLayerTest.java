package dev.atlas.jdbi;

import dev.atlas.InvalidInputException;
import dev.atlas.jdbi.internal.Catalogues;
import dev.atlas.jdbi.internal.Dialect;
import dev.atlas.jdbi.internal.sql.Catalogue;
import dev.atlas.jdbi.internal.sql.Cursor;
import dev.atlas.jdbi.internal.sql.Sql;
import dev.atlas.jdbi.internal.sql.Statement;
import dev.atlas.jdbi.internal.sql.TenantId;
import dev.atlas.jdbi.internal.sql.TenantPredicate;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The statement layer without a database: every catalogue's statements carry the tenant; parsing and cursors. */
class StatementLayerTest {
    private static final String SESSION_CONTROL = "tenant-less session control: Atlas.close() ends the server sessions of its own"
            + " connections it closed while their writes were committing; names a process id, reads or writes no tenant's rows";

    /** The statements that read or write across tenants on purpose, by name, with their reasons. */
    private static final Map<String, String> CROSS_TENANT = Map.ofEntries(
            usageOfEveryTenant("day"), usageOfEveryTenant("provider"), usageOfEveryTenant("model"), usageOfEveryTenant("agent"),
            usageOfEveryTenant("conversation"), usageOfEveryTenant("owner"), usageOfEveryTenant("tenant"), usageOfEveryTenant("project"),
            Map.entry("search.pendingTenants.messages", "start-up maintenance: finds the tenants whose rows predate the search column (V8);"
                    + " each is then indexed by tenant-bound statements"),
            Map.entry("search.pendingTenants.memories", "start-up maintenance: finds the tenants whose rows predate the search column (V8);"
                    + " each is then indexed by tenant-bound statements"),
            Map.entry("pgvector.backfillTenants", "start-up maintenance: finds the tenants with vectors stored before pgvector was installed;"
                    + " each is then back-filled by tenant-bound statements"),
            Map.entry("assets.keyHolders", "AssetStore.register: a registered blob key belongs to one tenant, so it is looked up in every"
                    + " tenant's assets and pending purges, with the stored keys with a segment ending in . (Windows opens them without"
                    + " those dots); only the holders' tenant ids and keys are read, compared, never returned"),
            Map.entry("assets.keyElsewhere", "deleting a purged asset's bytes: rows of several tenants may name one blob key (an import"
                    + " into another tenant keeps the file's keys), so the bytes go only once no tenant's row names it; only whether"
                    + " such a row exists, and whether one is spelt as the purged key, is read"),
            Map.entry("portability.blobKeyContent", "import: an imported asset may name a blob key other tenants' rows name (a copy"
                    + " of an export shares the original's bytes), but only with the same content, and no key another tenant is"
                    + " purging; only sha256 and size are read, compared, never returned"),
            Map.entry("portability.blobKeyPurges", "import: an imported asset may not name a blob key whose bytes a purge of any tenant"
                    + " is deleting, checked as the import writes it; only the keys are read, compared, never returned"),
            Map.entry("portability.dottedBlobKeyContent", "import: as portability.blobKeyContent, for the stored keys with a segment"
                    + " ending in . that Windows opens without those dots; only sha256 and size are read, compared, never returned"),
            Map.entry("assets.dottedKeys", "deleting a purged asset's bytes and its dry run: a key with a segment ending in . names the"
                    + " file Windows opens for the key without those dots, so such keys are looked up in every tenant's assets (and pending"
                    + " purges, of which only the purging tenant's are used: their files go with the last row's); only the holders'"
                    + " tenant ids and keys are read, compared, never returned"),
            Map.entry("installation.id", "one row per database, shared by every tenant: the id that namespaces blob keys"),
            Map.entry("session.terminate", SESSION_CONTROL),
            Map.entry("session.present", SESSION_CONTROL));


    private static Map.Entry<String, String> usageOfEveryTenant(String group) {
        return Map.entry("usage.allTenants." + group, "the operator's usage report over every tenant");
    }

    @Test
    void everyCatalogueDeclaresOnBothDialectsAndOnlyTheExpectedStatementsCrossTenants() {
        for (Dialect dialect : Dialect.values()) {
            for (String prefix : new String[] {"", "atlas_"}) {
                Map<String, String> cross = new TreeMap<>();
                int statements = 0;
                for (Catalogue c : Catalogues.declareAll(dialect, prefix)) {
                    for (Statement s : c.statements()) {
                        statements++;
                        if (s.crossTenantReason() != null) {
                            cross.put(s.name(), s.crossTenantReason());
                        }
                        assertThat(s.jdbc()).as(s.name()).doesNotContain("<p>").doesNotContain(":t ");
                    }
                }
                assertThat(statements).isGreaterThan(0);
                assertThat(cross).as(dialect + " " + prefix).isEqualTo(new TreeMap<>(CROSS_TENANT));
            }
        }
    }

    /**
     * Updates that stamp a time with the writer's bare clock on purpose, by name, with their reasons.
     * Every other update stamps {@code Dialect.LATER}: an instance whose clock is behind never dates
     * a change before the row's last one (updated, deleted, archived, finished ... times).
     */
    private static final Map<String, String> BARE_CLOCK = Map.of(
            "assets.claimOrphans", "blob_intents rows have no update time: the claim is a marker of this sweep, compared with nothing");

    private static final java.util.regex.Pattern UPSERT_BARE = java.util.regex.Pattern.compile(
            "DO UPDATE\\s+SET\\b.*\\bupdated_at\\s*=\\s*excluded\\.updated_at\\b", java.util.regex.Pattern.DOTALL);

    @Test
    void everyUpdateStampsATimeThatNeverMovesBack() {
        // Dialect.nowOrLater(column) is the way to stamp :now (and ExecutionSql.ENDED, the same of started_at:
        // a step or tool call's end is its own, never before it started); what is left of :now after removing
        // them, inside an assignment to a time (a COALESCE, or a CASE branch such as 'ELSE :now END'), is the bare clock.
        java.util.regex.Pattern later = java.util.regex.Pattern.compile("CASE WHEN :now > (COALESCE\\([^)]*\\)|[\\w.]+) THEN :now ELSE \\1 END"
                + "|CASE WHEN (\\w+) > :now THEN \\2 ELSE :now END");
        // An execution's end: the later of :now and its last write, its steps' and tool calls' included (ExecutionSql.lastWrite).
        java.util.regex.Pattern lastWrite = java.util.regex.Pattern.compile("(?:GREATEST|MAX)\\(([<>\\w.]+)\\.updated_at"
                + "(?:, COALESCE\\(\\(SELECT MAX\\(x\\.updated_at\\) FROM [<>\\w]+ x WHERE [^)]*\\), \\1\\.updated_at\\)){2}\\)");
        java.util.regex.Pattern bare = java.util.regex.Pattern.compile("\\b(\\w+_at)\\s*=\\s*(?:(?!\\bWHERE\\b|,\\s*\\w+\\s*=)[^;])*?:now\\b");
        for (Dialect dialect : Dialect.values()) {
            Map<String, String> found = new TreeMap<>();
            for (Catalogue c : Catalogues.declareAll(dialect, "atlas_")) {
                for (Statement s : c.statements()) {
                    java.util.regex.Matcher m = bare.matcher(later.matcher(lastWrite.matcher(s.declared()).replaceAll("last_write"))
                            .replaceAll("LATER"));
                    if (s.declared().startsWith("UPDATE") && m.find()) {
                        found.put(s.name(), m.group());
                    }
                    // An upsert's update half: the inserted :now, taken as it is, is the bare clock too.
                    java.util.regex.Matcher upsert = UPSERT_BARE.matcher(s.declared());
                    if (upsert.find()) {
                        found.put(s.name(), upsert.group());
                    }
                }
            }
            assertThat(found.keySet()).as(dialect + ": updates stamping the writer's bare clock " + found).isEqualTo(BARE_CLOCK.keySet());
        }
    }

    @Test
    void aStatementOnATenantTableWithoutTheTenantPredicateIsRefusedAtDeclaration() {
        Catalogue c = new Catalogue(Dialect.SQLITE, "atlas_");
        assertThatThrownBy(() -> c.sql("bad.read", "SELECT id FROM <p>messages WHERE id = :id"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("bad.read lacks the tenant predicate");
        // One predicate for two tenant tables: the join's own tenant comparison is missing.
        assertThatThrownBy(() -> c.sql("bad.join", "SELECT m.id FROM <p>messages m JOIN <p>conversations c ON c.id = m.conversation_id"
                + " WHERE m.tenant_id = :t")).isInstanceOf(IllegalStateException.class).hasMessageContaining("2 tenant table reference(s), 1");
        // A tenant comparison on a literal instead of the bound tenant.
        assertThatThrownBy(() -> c.sql("bad.literal", "DELETE FROM <p>tasks WHERE tenant_id = 'acme'"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("bad.literal lacks the tenant predicate");
        assertThatThrownBy(() -> c.render("bad.rendered", "UPDATE <p>tasks SET status = :s WHERE id = :id"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("bad.rendered lacks the tenant predicate");
        assertThatThrownBy(() -> c.crossTenant("bad.reason", " ", "SELECT 1 FROM <p>tasks"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(c.statements()).isEmpty();
        assertThat(c.sql("ok.installation", "SELECT id FROM <p>installation").parameters()).isEmpty();
    }

    @Test
    void aTextThatPassedInOneCatalogueIsStillCheckedUnderAnotherPrefixAndARefusedOneIsRefusedAgain() {
        // Catalogues share the texts that passed (every instance declares the same ones), keyed by prefix: a refusal is never kept.
        String good = "SELECT id FROM <p>tasks WHERE tenant_id = :t AND id = :id";
        String bad = "SELECT id FROM <p>tasks WHERE id = :id";
        for (int i = 0; i < 2; i++) {
            Catalogue c = new Catalogue(Dialect.POSTGRESQL, "atlas_");
            assertThat(c.sql("ok.read", good).jdbc()).isEqualTo("SELECT id FROM atlas_tasks WHERE tenant_id = ? AND id = ?");
            assertThatThrownBy(() -> c.sql("bad.read", bad)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("bad.read lacks the tenant predicate");
            assertThatThrownBy(() -> c.render("bad.rendered", bad)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("bad.rendered lacks the tenant predicate");
        }
        // Under another prefix the same texts are checked afresh: refused, and accepted.
        Catalogue other = new Catalogue(Dialect.POSTGRESQL, "x_");
        assertThatThrownBy(() -> other.sql("bad.read", bad)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("bad.read lacks the tenant predicate");
        assertThat(other.sql("ok.read", good).jdbc()).isEqualTo("SELECT id FROM x_tasks WHERE tenant_id = ? AND id = ?");
    }

    @Test
    void namedParametersBecomePositionsOnceAndLiteralsCastsAndCommentsAreKept() {
        Catalogue c = new Catalogue(Dialect.POSTGRESQL, "x_");
        Statement s = c.sql("search.text", "SELECT id, ':not' AS label FROM <p>memories -- :nor this\n"
                + " WHERE tenant_id = :t AND to_tsvector('simple'::regconfig, search_text) @@ plainto_tsquery('simple'::regconfig, :q)"
                + " AND created_at > :since AND updated_at > :since");
        assertThat(s.jdbc()).isEqualTo("SELECT id, ':not' AS label FROM x_memories -- :nor this\n"
                + " WHERE tenant_id = ? AND to_tsvector('simple'::regconfig, search_text) @@ plainto_tsquery('simple'::regconfig, ?)"
                + " AND created_at > ? AND updated_at > ?");
        assertThat(s.parameters()).containsExactly("t", "q", "since");
        assertThatThrownBy(() -> c.sql("bad.mark", "SELECT 1 FROM <p>installation WHERE id = ?"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("use named parameters");
    }

    @Test
    void thePrefixPlaceholderIsFilledInOutsideStringLiteralsAndCommentsOnly() {
        Catalogue c = new Catalogue(Dialect.SQLITE, "x_");
        Statement s = c.sql("memories.tagged", "SELECT id FROM <p>memories WHERE tenant_id = :t AND content = '<p>' -- <p> stays\n"
                + " AND \"<p>memories\".id = :id /* <p> and :kept */");
        assertThat(s.jdbc()).isEqualTo("SELECT id FROM x_memories WHERE tenant_id = ? AND content = '<p>' -- <p> stays\n"
                + " AND \"x_memories\".id = ? /* <p> and :kept */");
        assertThat(s.parameters()).containsExactly("t", "id");
    }

    @Test
    void aTenantPredicateInACommentOrAQuotedNameDoesNotCountAndEveryTableOfAFromListDoes() {
        String none = "1 tenant table reference(s), 0 tenant predicate(s)";
        assertThat(TenantPredicate.miss("SELECT id FROM x_messages WHERE id = ? -- AND tenant_id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT id FROM x_messages /* tenant_id = ? */ WHERE id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT id AS \"tenant_id = x\" FROM x_messages WHERE id = ?", "x_")).isEqualTo(none);
        // A quoted table name is still a reference; a quoted tenant_id column is still a predicate.
        assertThat(TenantPredicate.miss("SELECT id FROM \"x_messages\" WHERE id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT id FROM x_messages WHERE \"tenant_id\" = ?", "x_")).isNull();
        // A quote inside a quoted name opens no literal that would swallow the real predicate.
        assertThat(TenantPredicate.miss("SELECT id AS \"it's\" FROM x_messages WHERE tenant_id = ? AND role <> 'user'", "x_")).isNull();
        // An unterminated quote quotes the rest (no statement Atlas sends has one; the kit reads what the driver saw).
        assertThat(TenantPredicate.miss("SELECT id FROM x_messages WHERE id = ? AND role = '", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT id FROM x_messages WHERE id = ? AND \"tenant_id = ?", "x_")).isEqualTo(none);
        // tenant_id <> :t reads every other tenant's rows: no predicate (the statements doing so on purpose are cross-tenant).
        assertThat(TenantPredicate.miss("SELECT id FROM x_memories WHERE tenant_id <> ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("DELETE FROM x_memories m USING x_vectors v WHERE m.tenant_id = ? AND v.target_id = m.id", "x_"))
                .isEqualTo("2 tenant table reference(s), 1 tenant predicate(s)");
        // Each table of a comma-separated FROM list is a reference of its own.
        assertThat(TenantPredicate.miss("SELECT m.id FROM x_messages m, x_conversations c WHERE m.tenant_id = ? AND c.id = m.conversation_id",
                "x_")).isEqualTo("2 tenant table reference(s), 1 tenant predicate(s)");
        assertThat(TenantPredicate.miss("SELECT m.id FROM x_messages AS m, x_conversations c WHERE m.tenant_id = ? AND c.tenant_id = m.tenant_id",
                "x_")).isNull();
        // The declaration check reads the same way: :t bound, but the only tenant comparison is commented out.
        Catalogue c = new Catalogue(Dialect.POSTGRESQL, "x_");
        assertThatThrownBy(() -> c.sql("bad.comment", "SELECT id FROM <p>messages WHERE id = :id AND :t IS NOT NULL -- AND tenant_id = :t"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("bad.comment lacks the tenant predicate (" + none + ")");
        assertThatThrownBy(() -> c.sql("bad.list", "SELECT m.id FROM <p>messages m, <p>conversations c WHERE m.tenant_id = :t"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("bad.list lacks the tenant predicate (2 tenant table reference(s)");
    }

    @Test
    void reversedInequalitiesAreNoTenantPredicateAndTextTheDialectsReadDifferentlyIsRefusedAtDeclaration() {
        String none = "1 tenant table reference(s), 0 tenant predicate(s)";
        // :t != tenant_id reads every other tenant's rows, like tenant_id <> :t; >= and <= are ranges over tenants.
        assertThat(TenantPredicate.miss("SELECT id FROM x_memories WHERE ? != tenant_id", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT id FROM x_memories WHERE ? >= tenant_id", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT id FROM x_memories WHERE ? <= m.tenant_id", "x_")).isEqualTo(none);
        // PostgreSQL nests block comments: all of /* a /* b */ tenant_id = ? */ is a comment there.
        assertThat(TenantPredicate.miss("SELECT id FROM x_memories WHERE id = ? /* a /* b */ AND tenant_id = ? */", "x_")).isEqualTo(none);
        Catalogue c = new Catalogue(Dialect.POSTGRESQL, "x_");
        // SQLite ends the comment at the first */, PostgreSQL at the matching one: the dialects would bind different parameters.
        assertThatThrownBy(() -> c.sql("bad.nested", "SELECT id FROM <p>memories WHERE id = :id /* a /* b */ AND tenant_id = :t */"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("nested comment");
        // PostgreSQL reads E'\'' and $$..$$ as one literal each, where :t is no parameter; SQLite reads neither.
        assertThatThrownBy(() -> c.sql("bad.escape", "SELECT id FROM <p>memories WHERE content = E'\\' AND tenant_id = :t AND id = '"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("escape string");
        assertThatThrownBy(() -> c.sql("bad.dollar", "SELECT id FROM <p>memories WHERE content = $$ AND tenant_id = :t $$"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("dollar");
        // What stays accepted: a plain literal with a backslash, a keyword ending in e right before a literal, '$' inside one.
        assertThat(c.sql("ok.literals", "SELECT id FROM <p>memories WHERE tenant_id = :t AND content = '\\' AND role LIKE'$.x'").jdbc())
                .isEqualTo("SELECT id FROM x_memories WHERE tenant_id = ? AND content = '\\' AND role LIKE'$.x'");
    }

    @Test
    void aSchemaQualifiedOrOnlyTenantTableIsStillAReference() {
        String none = "1 tenant table reference(s), 0 tenant predicate(s)";
        assertThat(TenantPredicate.miss("SELECT id FROM public.x_messages WHERE id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT id FROM \"atlas\".\"x_messages\" WHERE id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("UPDATE ONLY x_messages SET role = ? WHERE id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("DELETE FROM ONLY atlas.x_messages WHERE id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT id FROM public.x_messages WHERE tenant_id = ?", "x_")).isNull();
    }

    @Test
    void anAssignedTenantIdIsNoTenantPredicate() {
        String none = "1 tenant table reference(s), 0 tenant predicate(s)";
        // SET tenant_id = ? moves a row of any tenant to this one: it filters nothing.
        assertThat(TenantPredicate.miss("UPDATE x_messages SET tenant_id = ? WHERE id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("UPDATE x_messages SET role = ?, m.tenant_id = ? WHERE id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("UPDATE x_messages SET tenant_id=excluded.tenant_id WHERE id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT id, tenant_id = ? AS mine FROM x_messages WHERE id = ?", "x_")).isEqualTo(none);
        // Still predicates: in WHERE and ON, whatever comes before them.
        assertThat(TenantPredicate.miss("UPDATE x_messages SET role = ? WHERE tenant_id = ? AND id = ?", "x_")).isNull();
        assertThat(TenantPredicate.miss("UPDATE x_messages SET tenant_id = ? WHERE tenant_id = ? AND id = ?", "x_")).isNull();
        assertThat(TenantPredicate.miss("SELECT id FROM x_messages WHERE id IN (?, ?) AND tenant_id = ?", "x_")).isNull();
    }

    @Test
    void aTenantPredicateIsAConjunctOfTheWhereOrOnOfItsReferencesOwnLevel() {
        String none = "1 tenant table reference(s), 0 tenant predicate(s)";
        String oneOfTwo = "2 tenant table reference(s), 1 tenant predicate(s)";
        // Inside an OR or a NOT the comparison filters nothing: another tenant's row with this id is read.
        assertThat(TenantPredicate.miss("SELECT id FROM x_messages WHERE tenant_id = ? OR id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT id FROM x_messages WHERE (tenant_id = ? OR id = ?) AND id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT id FROM x_messages WHERE NOT tenant_id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT id FROM x_messages WHERE tenant_id IN (?, ?)", "x_")).isEqualTo(none);
        // A predicate counts for the table it names, at that table's level: not another table's, nor a subquery's.
        assertThat(TenantPredicate.miss("SELECT m.id FROM x_messages m JOIN x_conversations c ON m.tenant_id = ? WHERE m.tenant_id = ?", "x_"))
                .isEqualTo(oneOfTwo);
        assertThat(TenantPredicate.miss("SELECT (SELECT count(*) FROM x_messages m WHERE m.conversation_id = c.id AND c.tenant_id = ?) AS n"
                + " FROM x_conversations c WHERE c.tenant_id = ?", "x_")).isEqualTo(oneOfTwo);
        assertThat(TenantPredicate.miss("SELECT c.id FROM x_conversations c, LATERAL (SELECT id FROM x_messages m WHERE m.conversation_id = c.id"
                + " AND c.tenant_id = ? LIMIT 1) l WHERE c.tenant_id = ?", "x_")).isEqualTo(oneOfTwo);
        assertThat(TenantPredicate.miss("UPDATE x_messages m SET role = ? FROM x_conversations c WHERE m.tenant_id = ? AND m.tenant_id = ?", "x_"))
                .isEqualTo(oneOfTwo);
        // A LEFT JOIN's ON filters only the table it joins: every tenant's messages are read.
        assertThat(TenantPredicate.miss("SELECT m.id FROM x_messages m LEFT JOIN x_assets a ON a.tenant_id = ? AND m.tenant_id = ?"
                + " AND a.id = m.asset_id", "x_")).isEqualTo(oneOfTwo);
        assertThat(TenantPredicate.miss("SELECT m.id FROM x_messages m LEFT JOIN (SELECT 1 AS k) s ON m.tenant_id = ?", "x_")).isEqualTo(none);
        // Tables tied to each other, or a table to itself, but none to the tenant.
        assertThat(TenantPredicate.miss("SELECT m.id FROM x_messages m JOIN x_conversations c ON c.tenant_id = m.tenant_id WHERE m.id = ?", "x_"))
                .isEqualTo("2 tenant table reference(s), 0 tenant predicate(s)");
        assertThat(TenantPredicate.miss("SELECT m.id FROM x_messages m WHERE m.tenant_id = m.tenant_id AND m.id = ?", "x_")).isEqualTo(none);
        // What binds: parentheses around an AND chain, BETWEEN's AND, a correlated tie to a bound table, an UPDATE's FROM tied.
        assertThat(TenantPredicate.miss("SELECT id FROM x_messages WHERE id BETWEEN ? AND ? AND (role = ? AND (tenant_id = ?))", "x_")).isNull();
        assertThat(TenantPredicate.miss("SELECT (SELECT count(*) FROM x_messages m WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id)"
                + " AS n FROM x_conversations c WHERE c.tenant_id = ?", "x_")).isNull();
        assertThat(TenantPredicate.miss("UPDATE x_messages m SET role = ? FROM x_conversations c WHERE m.tenant_id = ? AND c.tenant_id = m.tenant_id",
                "x_")).isNull();
        assertThat(TenantPredicate.miss("SELECT m.id FROM x_messages m LEFT JOIN x_assets a ON a.tenant_id = m.tenant_id AND a.id = m.asset_id"
                + " WHERE m.tenant_id = ?", "x_")).isNull();
    }

    @Test
    void everyTenantTableAtEveryLevelIsAReference() {
        String none = "1 tenant table reference(s), 0 tenant predicate(s)";
        String oneOfTwo = "2 tenant table reference(s), 1 tenant predicate(s)";
        // A data-modifying WITH query deletes any tenant's message; its own level has no predicate.
        assertThat(TenantPredicate.miss("WITH d AS (DELETE FROM x_messages WHERE id = ? RETURNING *) SELECT d.id FROM d"
                + " JOIN x_conversations c ON c.tenant_id = ? AND c.tenant_id = ?", "x_")).isEqualTo(oneOfTwo);
        // A FROM list after a table function or a subquery.
        assertThat(TenantPredicate.miss("SELECT t.id FROM json_each(?) j, x_tasks t WHERE t.id = j.value", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT t.id FROM (SELECT 1) o, x_tasks t WHERE t.id = ?", "x_")).isEqualTo(none);
        // Each branch of a UNION, each statement of a batch.
        assertThat(TenantPredicate.miss("SELECT id FROM x_tasks WHERE tenant_id = ? UNION SELECT id FROM x_tasks WHERE id = ?", "x_"))
                .isEqualTo(oneOfTwo);
        assertThat(TenantPredicate.miss("SELECT 1 FROM x_tasks WHERE tenant_id = ?; DELETE FROM x_tasks WHERE id = ?", "x_")).isEqualTo(oneOfTwo);
        // An insert's tenant_id is a value of the tenant: not a literal, nor the tenant_id of a row read from any tenant.
        assertThat(TenantPredicate.miss("INSERT INTO x_tasks (id, tenant_id) VALUES (?, 'acme')", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("INSERT INTO x_tasks (id, tenant_id) VALUES (?, ?), (?, 'acme')", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("INSERT INTO x_tasks (id, status) VALUES (?, ?)", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("INSERT INTO x_tasks (tenant_id, id) SELECT t.tenant_id, ? FROM x_tasks t WHERE t.id = ?", "x_"))
                .isEqualTo("2 tenant table reference(s), 0 tenant predicate(s)");
        assertThat(TenantPredicate.miss("INSERT INTO x_tasks (tenant_id, id) SELECT t.tenant_id, ? FROM x_tasks t WHERE t.id = ?"
                + " AND t.tenant_id = ?", "x_")).isNull();
        assertThat(TenantPredicate.miss("INSERT INTO x_tasks (id, tenant_id) VALUES (?, ?), (?, ?)", "x_")).isNull();
        // A shape the reader does not know still counts each table it names, unbound: it fails closed.
        assertThat(TenantPredicate.miss("MERGE INTO x_tasks t USING x_memories m ON t.tenant_id = ? AND m.tenant_id = ? AND t.id = m.id"
                + " WHEN MATCHED THEN DELETE", "x_")).isEqualTo("2 tenant table reference(s), 0 tenant predicate(s)");
        assertThat(TenantPredicate.miss("SELECT id FROM x_tasks WHERE tenant_id = ? AND id IN (TABLE x_memories)", "x_")).isEqualTo(oneOfTwo);
        // Schema statements stay exempt: the pgvector column is added at run time, binding no tenant.
        assertThat(TenantPredicate.touchesTenantTable("ALTER TABLE x_vectors ADD COLUMN IF NOT EXISTS embedding public.vector", "x_")).isFalse();
        assertThat(new Catalogue(Dialect.POSTGRESQL, "x_").render("pgvector.addColumn", "ALTER TABLE <p>vectors ADD COLUMN IF NOT EXISTS embedding"
                + " public.vector").jdbc()).isEqualTo("ALTER TABLE x_vectors ADD COLUMN IF NOT EXISTS embedding public.vector");
        assertThat(TenantPredicate.miss("SELECT 1 FROM x_tasks WHERE tenant_id = ? AND x IN (SELECT 1 FROM ONLY public.x_memories m"
                + " NATURAL JOIN x_assets)", "x_")).isEqualTo("3 tenant table reference(s), 1 tenant predicate(s)");
    }

    @Test
    void aCatalogueTakesOnlyTheTenantParameterAsTheTenant() {
        Catalogue c = new Catalogue(Dialect.POSTGRESQL, "x_");
        // :t is bound, but the row is matched on another parameter: an id passed as the tenant.
        assertThatThrownBy(() -> c.sql("bad.param", "SELECT id FROM <p>tasks WHERE tenant_id = :id AND :t IS NOT NULL"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("bad.param lacks the tenant predicate (1 tenant table reference(s), 0 tenant predicate(s)):"
                        + " SELECT id FROM <p>tasks WHERE tenant_id = :id AND :t IS NOT NULL");
        assertThatThrownBy(() -> c.sql("bad.insert", "INSERT INTO <p>tasks (tenant_id, id) VALUES (:id, :t)"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("bad.insert lacks the tenant predicate");
        assertThat(c.sql("ok.insert", "INSERT INTO <p>tasks (id, tenant_id) VALUES (:id, :t)").jdbc())
                .isEqualTo("INSERT INTO x_tasks (id, tenant_id) VALUES (?, ?)");
    }

    @Test
    void anAndChainUnderADepthZeroOrBindsNothing() {
        String none = "1 tenant table reference(s), 0 tenant predicate(s)";
        // AND binds tighter than OR: (tenant_id = ? AND id = ?) OR true reads every tenant's rows.
        assertThat(TenantPredicate.miss("SELECT id FROM x_tasks WHERE tenant_id = ? AND id = ? OR true", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT id FROM x_tasks WHERE id = ? OR kind = ? AND tenant_id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SELECT m.id FROM x_messages m JOIN x_conversations c ON c.tenant_id = ? AND c.id = m.conversation_id"
                + " OR c.id = ? WHERE m.tenant_id = ?", "x_")).isEqualTo("2 tenant table reference(s), 1 tenant predicate(s)");
        // left(...) and right(...) in an ON are calls, not joins: the ON goes on to its OR.
        assertThat(TenantPredicate.miss("SELECT m.id FROM x_messages m JOIN x_assets a ON a.tenant_id = ? AND left(a.name, 1) = ? OR true"
                + " WHERE m.tenant_id = ?", "x_")).isEqualTo("2 tenant table reference(s), 1 tenant predicate(s)");
        assertThat(TenantPredicate.miss("SELECT m.id FROM x_messages m JOIN x_assets a ON a.tenant_id = ? AND right(a.name, 1) = ? OR true"
                + " WHERE m.tenant_id = ?", "x_")).isEqualTo("2 tenant table reference(s), 1 tenant predicate(s)");
        assertThat(TenantPredicate.miss("SELECT m.id FROM x_messages m JOIN x_assets a ON a.tenant_id = ? AND left(a.name, 1) = ?"
                + " WHERE m.tenant_id = ?", "x_")).isNull();
        // An OR inside parentheses, a CASE or a subquery leaves the chain around it whole.
        assertThat(TenantPredicate.miss("SELECT id FROM x_tasks WHERE (id = ? OR id = ?) AND tenant_id = ?", "x_")).isNull();
        assertThat(TenantPredicate.miss("SELECT id FROM x_tasks WHERE CASE WHEN id = ? OR id = ? THEN 1 END = 1 AND tenant_id = ?", "x_")).isNull();
    }

    @Test
    void aPredicateBindsOnlyAReferenceOfItsOwnLevel() {
        String oneOfTwo = "2 tenant table reference(s), 1 tenant predicate(s)";
        // The outer table named inside a subquery: under NOT EXISTS, OR EXISTS, in a select list or a LEFT JOIN LATERAL
        // it filters none of the outer rows.
        assertThat(TenantPredicate.miss("SELECT m.id FROM x_messages m WHERE NOT EXISTS (SELECT 1 FROM x_conversations c"
                + " WHERE m.tenant_id = ? AND c.tenant_id = ? AND c.id = m.conversation_id)", "x_")).isEqualTo(oneOfTwo);
        assertThat(TenantPredicate.miss("SELECT c.id FROM x_conversations c WHERE c.id = ? OR EXISTS (SELECT 1 FROM x_messages m"
                + " WHERE m.tenant_id = ? AND c.tenant_id = m.tenant_id)", "x_")).isEqualTo(oneOfTwo);
        assertThat(TenantPredicate.miss("SELECT (SELECT count(*) FROM x_messages m WHERE m.tenant_id = ? AND c.tenant_id = ?) AS n"
                + " FROM x_conversations c", "x_")).isEqualTo(oneOfTwo);
        assertThat(TenantPredicate.miss("SELECT c.id FROM x_conversations c LEFT JOIN LATERAL (SELECT 1 FROM x_messages m"
                + " WHERE m.tenant_id = ? AND c.tenant_id = m.tenant_id) l ON true", "x_")).isEqualTo(oneOfTwo);
        assertThat(TenantPredicate.miss("UPDATE x_messages m SET role = (SELECT c.kind FROM x_conversations c WHERE m.tenant_id = ?"
                + " AND c.tenant_id = ?)", "x_")).isEqualTo(oneOfTwo);
        // A correlated tie still binds the inner reference to the bound outer one.
        assertThat(TenantPredicate.miss("SELECT c.id FROM x_conversations c WHERE c.tenant_id = ? AND NOT EXISTS (SELECT 1 FROM x_messages m"
                + " WHERE m.tenant_id = c.tenant_id AND m.conversation_id = c.id)", "x_")).isNull();
    }

    @Test
    void aSessionOrSchemaStatementExemptsOnlyItselfInABatch() {
        String none = "1 tenant table reference(s), 0 tenant predicate(s)";
        assertThat(TenantPredicate.miss("SET LOCAL statement_timeout = 0; DELETE FROM x_tasks WHERE id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.touchesTenantTable("ANALYZE; DELETE FROM x_tasks WHERE id = ?", "x_")).isTrue();
        assertThat(TenantPredicate.miss("ANALYZE; DELETE FROM x_tasks WHERE id = ?", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("SET LOCAL statement_timeout = 0; DELETE FROM x_tasks WHERE id = ? AND tenant_id = ?", "x_")).isNull();
        assertThat(TenantPredicate.miss("CREATE TRIGGER x_t AFTER DELETE ON x_tasks BEGIN DELETE FROM x_memories WHERE id = old.id;"
                + " DELETE FROM x_tasks WHERE id = old.id; END", "x_")).isNull();
    }

    @Test
    void anUpdateThatMovesItsRowToAnotherTenantBindsNothing() {
        String none = "1 tenant table reference(s), 0 tenant predicate(s)";
        // The row is this tenant's, but the assignment hands it to whichever tenant :other names.
        assertThat(TenantPredicate.miss("UPDATE x_tasks SET tenant_id = :other WHERE tenant_id = :t AND id = :id", "x_", ":t")).isEqualTo(none);
        assertThat(TenantPredicate.miss("UPDATE x_tasks t SET status = :s, tenant_id = 'acme' WHERE t.tenant_id = :t", "x_", ":t")).isEqualTo(none);
        assertThat(TenantPredicate.miss("UPDATE x_tasks SET (status, tenant_id) = (:s, :other) WHERE tenant_id = :t", "x_", ":t")).isEqualTo(none);
        assertThat(TenantPredicate.miss("INSERT INTO x_tasks (tenant_id, id) VALUES (:t, :id) ON CONFLICT (tenant_id, id)"
                + " DO UPDATE SET tenant_id = :other", "x_", ":t")).isEqualTo(none);
        assertThat(TenantPredicate.miss("UPDATE x_tasks SET tenant_id = :t, status = :s WHERE tenant_id = :t", "x_", ":t")).isNull();
    }

    @Test
    void anUpsertThatCanOverwriteAnotherTenantsRowBindsNothing() {
        String none = "1 tenant table reference(s), 0 tenant predicate(s)";
        // The conflicting row is found by the conflict target: without tenant_id in it, another tenant's row with this id is updated.
        assertThat(TenantPredicate.miss("INSERT INTO x_tasks (id, tenant_id, status) VALUES (?, ?, ?) ON CONFLICT (id)"
                + " DO UPDATE SET status = excluded.status", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("INSERT INTO x_tasks (id, tenant_id, status) VALUES (?, ?, ?) ON CONFLICT ON CONSTRAINT x_tasks_pkey"
                + " DO UPDATE SET status = excluded.status", "x_")).isEqualTo(none);
        // SQLite's REPLACE deletes the row holding any unique key first, whoever's it is.
        assertThat(TenantPredicate.miss("REPLACE INTO x_tasks (id, tenant_id) VALUES (?, ?)", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("INSERT OR REPLACE INTO x_tasks (id, tenant_id) VALUES (?, ?)", "x_")).isEqualTo(none);
        assertThat(TenantPredicate.miss("INSERT INTO x_tasks (id, tenant_id, status) VALUES (?, ?, ?) ON CONFLICT (tenant_id, id)"
                + " DO UPDATE SET status = excluded.status", "x_")).isNull();
        assertThat(TenantPredicate.miss("INSERT INTO x_tasks (id, tenant_id) VALUES (?, ?) ON CONFLICT (id) DO NOTHING", "x_")).isNull();
        assertThat(TenantPredicate.miss("INSERT OR IGNORE INTO x_tasks (id, tenant_id) VALUES (?, ?)", "x_")).isNull();
    }

    @Test
    void cursorsRoundTripAndForeignTextIsRefusedNamingCursor() {
        TenantId acme = new TenantId("acme");
        Cursor.Listing things = Cursor.listing(acme, "things");
        UUID id = UUID.fromString("0190f0f0-0000-7000-8000-000000000001");
        Instant at = Instant.parse("1969-12-31T23:59:59.999999Z");
        String cursor = Cursor.encode(things, at, id, "slug:with:colons", 42L);
        Cursor back = Cursor.decode(cursor, things, 4);
        assertThat(back.instant(0)).isEqualTo(at);
        assertThat(back.uuid(1)).isEqualTo(id);
        assertThat(back.string(2)).isEqualTo("slug:with:colons");
        assertThat(back.number(3)).isEqualTo(42L);
        // v3 escapes: any text round-trips, the separator and the escape character included.
        Cursor.Listing odd = Cursor.listing(acme, "th\u001fings", "a\u001fb");
        for (String text : new String[] {"a\u001fb", "\\", "\\s", "\\\u001f\\", "\u001f", ""}) {
            assertThat(Cursor.decode(Cursor.encode(odd, text), odd, 1).string(0)).as(text).isEqualTo(text);
        }
        String badEscape = java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("v3\u001f" + things + "\u001fa\\x").getBytes(UTF_8));
        assertThatThrownBy(() -> Cursor.decode(badEscape, things, 1)).isInstanceOf(InvalidInputException.class);
        // Cursors handed out before every listing was bound to its tenant: v1 (no name), v2
        // (unescaped) and v3 of the unbound name are refused once, like another tenant's.
        String v1 = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(("v1\u001f" + id).getBytes(UTF_8));
        String v2 = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(("v2\u001fthings\u001f" + id).getBytes(UTF_8));
        String unbound = java.util.Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("v3\u001fthings#" + digest("") + "\u001f" + id).getBytes(UTF_8));
        String otherListing = Cursor.encode(Cursor.listing(acme, "others"), at, id, "slug:with:colons", 42L);
        String otherTenant = Cursor.encode(Cursor.listing(new TenantId("globex"), "things"), at, id, "slug:with:colons", 42L);
        String otherFilter = Cursor.encode(Cursor.listing(acme, "things", "x"), at, id, "slug:with:colons", 42L);
        for (String bad : new String[] {"", "not base64!", Cursor.encode(things, at, id), otherListing, otherTenant, otherFilter,
                "djE", "djI", "djM", v1, v2, unbound, "x".repeat(Cursor.MAX_LENGTH + 1)}) {
            assertThatThrownBy(() -> Cursor.decode(bad, things, bad.equals(unbound) || bad.equals(v1) || bad.equals(v2) ? 1 : 4))
                    .as(bad).isInstanceOf(InvalidInputException.class)
                    .satisfies(e -> assertThat(((InvalidInputException) e).field()).isEqualTo("cursor"))
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("acme").doesNotContain("globex"));
        }
        assertThat(otherTenant).doesNotContain("acme").doesNotContain("globex");
        assertThatThrownBy(() -> Cursor.decode(Cursor.encode(things, "x", "y"), things, 2).uuid(0)).isInstanceOf(InvalidInputException.class);
        // A number reads back only as a page writes it (Long.toString): no sign, leading zero or other script's digits.
        for (String n : new String[] {"0", "12", "-12", Long.toString(Long.MIN_VALUE), Long.toString(Long.MAX_VALUE)}) {
            assertThat(Cursor.decode(Cursor.encode(things, n), things, 1).number(0)).as(n).isEqualTo(Long.parseLong(n));
        }
        for (String n : new String[] {"+12", "012", "-0", "00", "\u0661\u0662", "12 ", "", "9223372036854775808"}) {
            assertThatThrownBy(() -> Cursor.decode(Cursor.encode(things, n), things, 1).number(0)).as(n)
                    .isInstanceOf(InvalidInputException.class).hasMessage("cursor: is not a cursor returned by a previous page of this listing");
        }
        // Every key a page writes reads back: instants from Limits.MIN_INSTANT to MAX_INSTANT (before 1970 a negative
        // number of microseconds), and any UUID (nil and all ones included); a microsecond beyond either limit is refused.
        for (Instant t : new Instant[] {dev.atlas.Limits.MIN_INSTANT, dev.atlas.Limits.MAX_INSTANT, Instant.EPOCH,
                Instant.EPOCH.minusNanos(1_000), Instant.parse("1900-01-01T00:00:00.000001Z")}) {
            assertThat(Cursor.decode(Cursor.encode(things, t), things, 1).instant(0)).as(t.toString()).isEqualTo(t);
        }
        for (Instant t : new Instant[] {dev.atlas.Limits.MIN_INSTANT.minusNanos(1_000), dev.atlas.Limits.MAX_INSTANT.plusNanos(1_000)}) {
            assertThatThrownBy(() -> Cursor.decode(Cursor.encode(things, t), things, 1).instant(0)).as(t.toString())
                    .isInstanceOf(InvalidInputException.class).hasMessage("cursor: is not a cursor returned by a previous page of this listing");
        }
        for (UUID u : new UUID[] {new UUID(0, 0), new UUID(-1, -1), UUID.fromString("0190f0f0-0000-7000-8000-00000000abcd")}) {
            assertThat(Cursor.decode(Cursor.encode(things, u), things, 1).uuid(0)).isEqualTo(u);
        }
        assertThatThrownBy(() -> Cursor.decode(Cursor.encode(things, id.toString().toUpperCase(java.util.Locale.ROOT)), things, 1).uuid(0))
                .isInstanceOf(InvalidInputException.class).hasMessage("cursor: is not a cursor returned by a previous page of this listing");
        // The tenant is the first filter value, as memories, neighbours and text search bound it
        // before: their cursors handed out before still read.
        assertThat(Cursor.listing(acme, "memories", "user", null, List.of("b", "a")).toString())
                .isEqualTo("memories#" + digest("\u001facme\u001fuser\u001f\\0\u001f\\c\\ea\\eb"));
        assertThatThrownBy(() -> Sql.crossTenant(null).listing("things")).isInstanceOf(IllegalStateException.class);
    }

    /** The filter digest cursors carry: the first 9 bytes of SHA-256, base64url. */
    private static String digest(String raw) {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256").digest(raw.getBytes(UTF_8));
            return java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(d, 9));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
