package dev.atlas.jdbi.newcomer;

import dev.atlas.Atlas;
import dev.atlas.InvalidInputException;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import dev.atlas.Page;
import dev.atlas.Tenant;
import dev.atlas.asset.Asset;
import dev.atlas.asset.AssetStore;
import dev.atlas.asset.AssetType;
import dev.atlas.asset.AttachedAsset;
import dev.atlas.asset.NewAsset;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.ConversationEventQuery;
import dev.atlas.conversation.ConversationStore;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.MessageEvent;
import dev.atlas.conversation.MessageEventType;
import dev.atlas.conversation.MessageStatus;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.graph.Direction;
import dev.atlas.graph.NewGraphEdge;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.TestDatabase;
import dev.atlas.memory.Memory;
import dev.atlas.memory.MemoryQuery;
import dev.atlas.memory.NewMemory;
import dev.atlas.search.SearchHit;
import dev.atlas.search.TextQuery;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.BiFunction;
import javax.sql.DataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A new user of this session's additions, reading only the docs (README "Conversations and
 * messages" and "Spring Boot", docs/api.md "Additions to the frozen API", docs/reliability.md,
 * docs/memory-and-search.md) and the Javadoc: an audit screen paging a conversation's trail with
 * filters, an attachments gallery paging a message's attachments, and a service that reads
 * memories, the graph, search, the trail and the gallery inside its own JDBC transaction, joined
 * the way the README says (a DataSource handing out the transaction's connection).
 */
public abstract class Newcomer14Contract extends AtlasContract {
    private static final Owner ALICE = Owner.user("alice");

    protected Newcomer14Contract(TestDatabase database) {
        super(database);
    }

    /** Every page of the screen, as a user clicks "next": the pages' items, one list per page. */
    private static <T> List<List<T>> pages(BiFunction<String, Integer, Page<T>> read) {
        List<List<T>> out = new ArrayList<>();
        String cursor = null;
        do {
            Page<T> p = read.apply(cursor, out.size());
            out.add(p.items());
            cursor = p.nextCursor().orElse(null);
        } while (cursor != null);
        return out;
    }

    private static InvalidInputException refused(String field, Runnable call) {
        Throwable x = catchThrowable(call::run);
        assertThat(x).as("refused on " + field).isInstanceOf(InvalidInputException.class);
        assertThat(((InvalidInputException) x).field()).isEqualTo(field);
        return (InvalidInputException) x;
    }

    private static String notFound(Runnable call) {
        Throwable x = catchThrowable(call::run);
        assertThat(x).isExactlyInstanceOf(NotFoundException.class);
        NotFoundException n = (NotFoundException) x;
        return n.field() + "|" + n.entity() + "|" + n.getMessage();
    }

    @Test
    @DisplayName("an audit screen of a conversation: status and metadata changes, edits, deletes, restores and feedback events of"
            + " every message in one trail (a tool thread's messages in their own), filtered by type and [from, to) in both orders,"
            + " the last page carries no cursor when a page ends exactly at the end; a conversation deleted between pages is not"
            + " found on the next page and its cursor pages on once it is restored; a gallery's cursor is refused naming cursor")
    void auditScreen() {
        ConversationStore conv = atlas.tenant("acme").conversations();
        Conversation c = conv.create(NewConversation.of(ALICE, "support"));
        Conversation elsewhere = conv.create(NewConversation.of(ALICE, "support"));
        Instant t0 = clock.instant();
        Message q = conv.append(c.id(), NewMessage.user("Where is order 1234?"));
        Message a = conv.append(c.id(), NewMessage.assistant("It shipped").parent(q.id()).status(MessageStatus.PROCESSING));
        conv.append(elsewhere.id(), NewMessage.user("another conversation"));
        conv.recordEvent(conv.append(elsewhere.id(), NewMessage.assistant("no")).id(), MessageEventType.app("feedback.thumbs_down"), Map.of());
        Conversation thread = conv.create(NewConversation.of(ALICE, "support").parent(c.id(), null));
        conv.append(thread.id(), NewMessage.user("a tool thread's message"));
        clock.advanceMicros(10);
        Instant t1 = clock.instant();
        conv.edit(q.id(), "Where is order 1235?");
        clock.advanceMicros(10);
        Instant t2 = clock.instant();
        conv.recordEvent(a.id(), MessageEventType.app("feedback.thumbs_down"), Map.of("reason", "wrong order"));
        clock.advanceMicros(10);
        conv.deleteMessage(a.id());
        clock.advanceMicros(10);
        conv.restoreMessage(a.id());
        clock.advanceMicros(10);
        Instant t5 = clock.instant();
        conv.updateMessageMetadata(a.id(), Map.of("reviewed", true));
        clock.advanceMicros(10);
        conv.updateStatus(a.id(), MessageStatus.DELIVERED, null);
        clock.advanceMicros(10);
        conv.recordEvent(q.id(), MessageEventType.app("feedback.thumbs_up"), Map.of());

        ConversationEventQuery trail = ConversationEventQuery.forConversation(c.id());
        List<MessageEvent> all = conv.events(trail).items();
        assertThat(all).extracting(e -> e.type() + " " + (e.messageId().equals(q.id()) ? "q" : e.messageId().equals(a.id()) ? "a" : "?"))
                .containsExactly("created q", "created a", "edited q", "app.feedback.thumbs_down a", "deleted a", "restored a",
                        "metadata_updated a", "status_changed a", "app.feedback.thumbs_up q");
        assertThat(all).extracting(MessageEvent::details).containsExactly(
                Map.of("role", "user", "status", "delivered", "sequence", 1),
                Map.of("role", "assistant", "status", "processing", "sequence", 2),
                Map.of("original", true, "previousContent", "Where is order 1234?"),
                Map.of("reason", "wrong order"), Map.of(), Map.of("active", true), Map.of("previousMetadata", Map.of()),
                Map.of("from", "processing", "to", "delivered"), Map.of());
        assertThat(all).extracting(MessageEvent::conversationId).containsOnly(c.id());
        assertThat(all.get(0).createdAt()).isEqualTo(t0);
        // The tool thread's message is in the thread's own trail only.
        assertThat(conv.events(ConversationEventQuery.forConversation(thread.id())).items()).extracting(e -> e.type().toString())
                .containsExactly("created");

        // The screen: deletes, restores and feedback, newest first, two a page; four events end exactly on page two.
        ConversationEventQuery screen = trail.types(MessageEventType.DELETED, MessageEventType.RESTORED,
                MessageEventType.app("feedback.thumbs_down"), MessageEventType.app("feedback.thumbs_up")).newestFirst().limit(2);
        List<List<MessageEvent>> shown = pages((cursor, n) -> conv.events(screen.after(cursor)));
        assertThat(shown).hasSize(2);
        assertThat(shown.get(0)).containsExactly(all.get(8), all.get(5));
        assertThat(shown.get(1)).containsExactly(all.get(4), all.get(3));
        // A window [t2, t5) oldest first, one a page: the thumbs-down, the delete and the restore, not the metadata change at t5.
        assertThat(pages((cursor, n) -> conv.events(trail.from(t2).to(t5).limit(1).after(cursor))))
                .containsExactly(List.of(all.get(3)), List.of(all.get(4)), List.of(all.get(5)));
        // [t1, t2) is the edit alone; status and metadata changes filter like Atlas's other types.
        assertThat(conv.events(trail.from(t1).to(t2)).items()).containsExactly(all.get(2));
        assertThat(conv.events(trail.types(MessageEventType.STATUS_CHANGED, MessageEventType.METADATA_UPDATED).newestFirst()).items())
                .containsExactly(all.get(7), all.get(6));

        // The conversation deleted between two pages: the next page is not found; restored, the same cursor pages on.
        Page<MessageEvent> first = conv.events(screen);
        String next = first.nextCursor().orElseThrow();
        conv.delete(c.id());
        // A direct look-up's NotFoundException names no field (NotFoundException#field), as for an id that exists nowhere.
        assertThat(notFound(() -> conv.events(screen.after(next)))).isEqualTo("Optional.empty|conversation|conversation " + c.id() + " not found");
        conv.restore(c.id());
        assertThat(conv.events(screen.after(next)).items()).containsExactly(all.get(4), all.get(3));

        // A cursor of the message's gallery (or of its own trail) is not a cursor of the conversation's trail, and back.
        AssetStore assets = atlas.tenant("acme").assets();
        for (int i = 0; i < 2; i++) {
            assets.attach(q.id(), assets.create(NewAsset.of(AssetType.IMAGE, "p" + i + ".png", "image/png"), new byte[] {(byte) i}).id(), Map.of());
        }
        String galleryCursor = assets.forMessage(q.id(), 1, null).nextCursor().orElseThrow();
        refused("cursor", () -> conv.events(screen.after(galleryCursor)));
        refused("cursor", () -> conv.events(trail.after(galleryCursor)));
        refused("cursor", () -> assets.forMessage(q.id(), 1, next));
        refused("cursor", () -> atlas.tenant("acme").search().text(TextQuery.messages("order"), next));
    }

    @Test
    @DisplayName("an attachments gallery: a message's attachments in attachment order with their own metadata (parts and uploads),"
            + " pages of 2 ending with no cursor exactly at the end; a message deleted between pages is not found on the next page"
            + " and pages on from the same cursor once restored; another tenant's message id with a cursor of ours fails exactly"
            + " as an id that exists nowhere")
    void attachmentsGallery() {
        Tenant acme = atlas.tenant("acme");
        ConversationStore conv = acme.conversations();
        AssetStore assets = acme.assets();
        Conversation c = conv.create(NewConversation.of(ALICE, "support"));
        Message m = conv.append(c.id(), NewMessage.assistant("four charts"));
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            Asset asset = assets.create(NewAsset.of(AssetType.IMAGE, "chart" + i + ".png", "image/png"),
                    ("chart " + i).getBytes(StandardCharsets.UTF_8));
            ids.add(asset.id());
            if (i % 2 == 0) {
                assets.attachPart(m.id(), asset.id());
            } else {
                assets.attach(m.id(), asset.id(), Map.of("caption", "chart " + i));
            }
            clock.advanceMicros(10);
        }
        List<List<AttachedAsset>> shown = pages((cursor, n) -> assets.forMessage(m.id(), 2, cursor));
        assertThat(shown).hasSize(2);
        assertThat(shown.stream().flatMap(List::stream).toList()).isEqualTo(assets.forMessage(m.id()));
        assertThat(shown.stream().flatMap(List::stream)).extracting(x -> x.asset().id()).containsExactlyElementsOf(ids);
        assertThat(shown.stream().flatMap(List::stream)).extracting(AttachedAsset::attachmentMetadata).containsExactly(
                Map.of(AttachedAsset.PART, true), Map.of("caption", "chart 1"), Map.of(AttachedAsset.PART, true), Map.of("caption", "chart 3"));
        assertThat(shown.stream().flatMap(List::stream)).extracting(AttachedAsset::messageId).containsOnly(m.id());

        // The message deleted between pages (not its conversation): not found on the next page; restored, the cursor pages on.
        Page<AttachedAsset> first = assets.forMessage(m.id(), 2, null);
        String next = first.nextCursor().orElseThrow();
        conv.deleteMessage(m.id());
        assertThat(notFound(() -> assets.forMessage(m.id(), 2, next))).isEqualTo(notFound(() -> assets.forMessage(m.id())));
        assertThat(notFound(() -> assets.forMessage(m.id(), 2, next))).endsWith("|message " + m.id() + " not found");
        conv.restoreMessage(m.id());
        assertThat(assets.forMessage(m.id(), 2, next).items()).isEqualTo(shown.get(1));

        // Another tenant's message id, or one that exists nowhere, with a cursor of ours: the same failure, worded alike.
        ConversationStore theirs = atlas.tenant("globex").conversations();
        Message their = theirs.append(theirs.create(NewConversation.of(ALICE, "support")).id(), NewMessage.assistant("theirs"));
        atlas.tenant("globex").assets().attach(their.id(), atlas.tenant("globex").assets()
                .create(NewAsset.of(AssetType.IMAGE, "t.png", "image/png"), new byte[] {1}).id(), Map.of());
        UUID nowhere = UUID.randomUUID();
        Throwable foreign = catchThrowable(() -> assets.forMessage(their.id(), 2, null));
        Throwable unknown = catchThrowable(() -> assets.forMessage(nowhere, 2, null));
        assertThat(foreign).isExactlyInstanceOf(NotFoundException.class).hasMessage("message " + their.id() + " not found");
        assertThat(unknown).isExactlyInstanceOf(NotFoundException.class).hasMessage("message " + nowhere + " not found");
        // With a cursor of our message's listing, the cursor is refused first, whether or not the id exists here.
        assertThat(refused("cursor", () -> assets.forMessage(their.id(), 2, next)).getMessage())
                .isEqualTo(refused("cursor", () -> assets.forMessage(nowhere, 2, next)).getMessage());
        // Newcomer mistakes: each is refused naming the field.
        refused("limit", () -> assets.forMessage(m.id(), 0, null));
        refused("messageId", () -> assets.forMessage(null, 2, next));
        refused("cursor", () -> assets.forMessage(m.id(), 2, ""));
        refused("cursor", () -> assets.forMessage(m.id(), 2, next.substring(1)));
    }

    /**
     * What an application's transaction manager does (Spring's TransactionAwareDataSourceProxy over
     * a pool in auto-commit mode): inside {@link #rolledBack} every {@code getConnection()}
     * hands out the transaction's connection, whose {@code close()} is left to the manager.
     */
    private static final class TransactionalDataSource {
        private final DataSource pool;
        private final ThreadLocal<Connection> bound = new ThreadLocal<>();
        private final DataSource proxy;

        TransactionalDataSource(DataSource pool) {
            this.pool = pool;
            this.proxy = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
                    (p, method, args) -> {
                        Connection tx = bound.get();
                        if (tx != null && method.getName().equals("getConnection")) {
                            return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                                    (p2, m, a) -> m.getName().equals("close") ? null : invoke(m, tx, a));
                        }
                        return invoke(method, pool, args);
                    });
        }

        /** {@code work} inside one transaction on one connection, rolled back after it (as a failed {@code @Transactional} method is). */
        <T> T rolledBack(Callable<T> work) throws Exception {
            try (Connection tx = pool.getConnection()) {
                tx.setAutoCommit(false);
                bound.set(tx);
                try {
                    return work.call();
                } finally {
                    bound.remove();
                    tx.rollback();
                    tx.setAutoCommit(true);
                }
            }
        }

        private static Object invoke(java.lang.reflect.Method m, Object target, Object[] args) throws Throwable {
            try {
                return m.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }
    }

    @Test
    @DisplayName("a service's own JDBC transaction that Atlas joins (README): memories' get and list, paged text search, the graph,"
            + " the conversation's trail and the gallery all read the transaction's own uncommitted writes, which another connection"
            + " does not see; refused reads (unknown ids, a bad cursor) leave it usable; a rollback takes every Atlas write back")
    void serviceReadsInsideItsOwnTransaction() throws Exception {
        Tenant outside = atlas.tenant("acme");
        Memory known = outside.memories().create(NewMemory.fact(ALICE, "ships to the lyon warehouse"));
        Conversation c = outside.conversations().create(NewConversation.of(ALICE, "support"));
        Message m = outside.conversations().append(c.id(), NewMessage.assistant("your invoice"));
        Asset invoice = outside.assets().create(NewAsset.of(AssetType.DOCUMENT, "invoice.pdf", "application/pdf"), new byte[] {1, 2});
        TransactionalDataSource txs = new TransactionalDataSource(database.dataSource());
        Atlas joined = reopen(b -> configure(b.dataSource(txs.proxy)).migrate(false));
        Tenant app = joined.tenant("acme");
        TextQuery lyon = TextQuery.memories("lyon").limit(1);
        UUID[] written = txs.rolledBack(() -> {
            Memory mine = app.memories().create(NewMemory.fact(ALICE, "lives in lyon").tags("home"));
            assertThat(app.memories().get(mine.id())).contains(mine);
            assertThat(app.memories().list(MemoryQuery.forOwner(ALICE).tag("home")).items()).containsExactly(mine);
            Page<SearchHit> p1 = app.search().text(lyon, null);
            Page<SearchHit> p2 = app.search().text(lyon, p1.nextCursor().orElseThrow());
            assertThat(List.of(p1.items().get(0).id(), p2.items().get(0).id())).containsExactlyInAnyOrder(mine.id(), known.id());
            assertThat(p2.hasMore()).isFalse();
            app.graph().upsertNode(NewGraphNode.of("alice"));
            app.graph().upsertNode(NewGraphNode.of("lyon"));
            app.graph().upsertEdge(NewGraphEdge.of("alice", "lives_in", "lyon"));
            assertThat(app.graph().neighbours("alice", Direction.OUTGOING, null)).extracting(n -> n.node().key()).containsExactly("lyon");
            MessageEvent thumbs = app.conversations().recordEvent(m.id(), MessageEventType.app("feedback.thumbs_up"), Map.of());
            assertThat(app.conversations().events(ConversationEventQuery.forConversation(c.id()).newestFirst().limit(1)).items())
                    .containsExactly(thumbs);
            app.assets().attach(m.id(), invoice.id(), Map.of("kind", "invoice"));
            assertThat(app.assets().forMessage(m.id(), 1, null).items()).extracting(x -> x.asset().id()).containsExactly(invoice.id());
            // Another connection sees none of it while it is open.
            assertThat(outside.memories().get(mine.id())).isEmpty();
            assertThat(outside.search().text(TextQuery.memories("lyon"))).extracting(SearchHit::id).containsExactly(known.id());
            // Refused reads leave the transaction usable.
            notFound(() -> app.memories().require(UUID.randomUUID()));
            notFound(() -> app.graph().neighbours("ghost", Direction.OUTGOING, null));
            notFound(() -> app.conversations().events(ConversationEventQuery.forConversation(UUID.randomUUID())));
            refused("cursor", () -> app.search().text(lyon, "not-a-cursor"));
            refused("cursor", () -> app.assets().forMessage(m.id(), 1, "not-a-cursor"));
            Memory after = app.memories().create(NewMemory.fact(ALICE, "after the refusals"));
            assertThat(app.assets().forMessage(m.id(), 10, null).items()).extracting(AttachedAsset::attachmentMetadata)
                    .containsExactly(Map.of("kind", "invoice"));
            return new UUID[] {mine.id(), after.id(), thumbs.id()};
        });
        // The rollback took every Atlas write back: memories, graph, the event and the attachment.
        assertThat(outside.memories().get(written[0])).isEmpty();
        assertThat(outside.memories().get(written[1])).isEmpty();
        assertThat(outside.graph().getNode("alice")).isEmpty();
        assertThat(outside.search().text(TextQuery.memories("lyon"))).extracting(SearchHit::id).containsExactly(known.id());
        assertThat(outside.conversations().events(ConversationEventQuery.forConversation(c.id())).items()).extracting(MessageEvent::id)
                .doesNotContain(written[2]).hasSize(1);
        assertThat(outside.assets().forMessage(m.id(), 10, null).items()).isEmpty();
    }
}
