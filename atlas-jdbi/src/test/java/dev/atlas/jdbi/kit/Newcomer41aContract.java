package dev.atlas.jdbi.kit;

import dev.atlas.InvalidInputException;
import dev.atlas.Limits;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.Message;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.task.NewTask;
import dev.atlas.task.TaskQuery;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A new user of the batch calls (session 41): {@code appendAll} and {@code createAll} hold at most
 * {@link Limits#MAX_BATCH_LENGTH} characters, refused on the list before anything is written, and accepted up to it exactly.
 */
public abstract class Newcomer41aContract extends AtlasContract {
    /** One string shared by every message: the batch is large for Atlas, not for the test's heap. */
    private static final String MEGA = "x".repeat(Limits.MAX_CONTENT_LENGTH);
    /** {@code NewMessage}'s empty metadata as stored: {@code {}}. */
    private static final int EMPTY_METADATA = 2;

    protected Newcomer41aContract(TestDatabase database) {
        super(database);
    }

    private Conversation conversation(Tenant tenant) {
        return tenant.conversations().create(NewConversation.of(Owner.user("42"), "support"));
    }

    @Test
    @DisplayName("appendAll of 32 messages of Limits.MAX_CONTENT_LENGTH (each with its {} metadata) is over Limits.MAX_BATCH_LENGTH: an"
            + " InvalidInputException on messages naming messages[0..31] and the limit; nothing is stored")
    void appendAllOverTheBatchLengthIsRefusedBeforeAnyWrite() {
        Tenant acme = atlas.tenant("acme");
        Conversation c = conversation(acme);
        List<NewMessage> batch = Collections.nCopies(32, NewMessage.user(MEGA));

        Throwable t = catchThrowable(() -> acme.conversations().appendAll(c.id(), batch));

        assertThat(t).isInstanceOf(InvalidInputException.class).hasMessage("messages: messages[0..31] hold more than 33,554,432 characters"
                + " of content, metadata and failure reasons together (Limits.MAX_BATCH_LENGTH); split the list into smaller calls");
        assertThat(((InvalidInputException) t).field()).isEqualTo("messages");
        assertThat(acme.conversations().messages(c.id(), 0, 10)).isEmpty();
        assertThat(acme.conversations().require(c.id()).lastSequence()).isZero();
    }

    @Test
    @DisplayName("appendAll of exactly Limits.MAX_BATCH_LENGTH characters (content and {} metadata) is stored whole and reads back at"
            + " its lengths; one character more is refused on messages and stores nothing more")
    void appendAllUpToTheBatchLengthIsStored() {
        Tenant acme = atlas.tenant("acme");
        Conversation c = conversation(acme);
        List<NewMessage> batch = new ArrayList<>(Collections.nCopies(31, NewMessage.user(MEGA)));
        int rest = Limits.MAX_BATCH_LENGTH - 31 * Limits.MAX_CONTENT_LENGTH - 32 * EMPTY_METADATA;
        batch.add(NewMessage.assistant("y".repeat(rest + 1)));

        Throwable t = catchThrowable(() -> acme.conversations().appendAll(c.id(), batch));
        assertThat(t).isInstanceOf(InvalidInputException.class).hasMessageStartingWith("messages: messages[0..31] hold more than");

        batch.set(31, NewMessage.assistant("y".repeat(rest)));
        List<Message> stored = acme.conversations().appendAll(c.id(), batch);
        assertThat(stored).extracting(Message::sequence).containsExactlyElementsOf(rangeClosed(1, 32));
        assertThat(acme.conversations().require(c.id()).lastSequence()).isEqualTo(32);
        List<Message> read = acme.conversations().messages(c.id(), 30, 10);
        assertThat(read).extracting(Message::content).containsExactly(MEGA, batch.get(31).content());
    }

    @Test
    @DisplayName("metadata counts toward Limits.MAX_BATCH_LENGTH: 31 messages of Limits.MAX_CONTENT_LENGTH and then short messages each"
            + " with 200,000 characters of metadata are refused on messages at the sixth of those, messages[0..36]; nothing is stored")
    void appendAllCountsMetadata() {
        Tenant acme = atlas.tenant("acme");
        Conversation c = conversation(acme);
        List<NewMessage> batch = new ArrayList<>(Collections.nCopies(31, NewMessage.user(MEGA)));
        // 1,048,514 characters left; "hi" and {"note":"..."} take 200,013 each, so the sixth passes the limit.
        batch.addAll(Collections.nCopies(8, NewMessage.assistant("hi").metadata(Map.of("note", "m".repeat(200_000)))));

        Throwable t = catchThrowable(() -> acme.conversations().appendAll(c.id(), batch));

        assertThat(t).isInstanceOf(InvalidInputException.class).hasMessageStartingWith("messages: messages[0..36] hold more than 33,554,432");
        assertThat(acme.conversations().messages(c.id(), 0, 10)).isEmpty();
    }

    @Test
    @DisplayName("failure reasons count toward Limits.MAX_BATCH_LENGTH: 31 messages of Limits.MAX_CONTENT_LENGTH and then failed"
            + " messages \"hi\" with 65,536-character reasons are refused on messages at the sixteenth of those, messages[0..46]; nothing is stored")
    void appendAllCountsFailureReasons() {
        Tenant acme = atlas.tenant("acme");
        Conversation c = conversation(acme);
        List<NewMessage> batch = new ArrayList<>(Collections.nCopies(31, NewMessage.user(MEGA)));
        // 1,048,514 characters left; "hi", {} and the reason take 65,540 each, so the sixteenth passes the limit.
        batch.addAll(Collections.nCopies(20, NewMessage.assistant("hi").failed("r".repeat(Limits.MAX_REASON_LENGTH))));

        Throwable t = catchThrowable(() -> acme.conversations().appendAll(c.id(), batch));

        assertThat(t).isInstanceOf(InvalidInputException.class).hasMessageStartingWith("messages: messages[0..46] hold more than 33,554,432");
        assertThat(acme.conversations().messages(c.id(), 0, 10)).isEmpty();
    }

    /** A payload stored as exactly {@code length} characters: {"p":"..."} is 8 characters around the text. */
    private static Map<String, Object> payloadOf(int length) {
        return Map.of("p", "p".repeat(length - 8));
    }

    @Test
    @DisplayName("createAll: 129 tasks holding Limits.MAX_BATCH_LENGTH + 1 characters of payload are refused on tasks naming tasks[0..128],"
            + " nothing stored")
    void createAllIsBoundedByTheBatchLength() {
        Tenant acme = atlas.tenant("acme");
        // 127 payloads of Limits.MAX_METADATA_LENGTH, then two that make up one more: 33,554,433 characters in all.
        List<NewTask> batch = new ArrayList<>(Collections.nCopies(127, NewTask.of("mail", payloadOf(Limits.MAX_METADATA_LENGTH))));
        batch.add(NewTask.of("mail", payloadOf(Limits.MAX_METADATA_LENGTH / 2)));
        batch.add(NewTask.of("mail", payloadOf(Limits.MAX_METADATA_LENGTH / 2 + 1)));

        Throwable t = catchThrowable(() -> acme.tasks().createAll(batch));

        assertThat(t).isInstanceOf(InvalidInputException.class).hasMessage("tasks: tasks[0..128] hold more than 33,554,432 characters"
                + " of payload together (Limits.MAX_BATCH_LENGTH); split the list into smaller calls");
        assertThat(((InvalidInputException) t).field()).isEqualTo("tasks");
        // Exactly the limit is not written here: serializing 32 MB of payloads costs seconds a pass on each dialect, and the
        // messages' check, the same comparison, is pinned at exactly the limit by appendAllUpToTheBatchLengthIsStored.
        assertThat(acme.tasks().list(TaskQuery.all()).items()).isEmpty();
    }

    private static List<Long> rangeClosed(long from, long to) {
        List<Long> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(i);
        }
        return out;
    }
}
