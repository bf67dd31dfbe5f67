package dev.atlas.jdbi.kit;

import dev.atlas.InvalidInputException;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import dev.atlas.portability.ExportScope;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * An operator restoring exports through the public portability API: a file a newer Atlas wrote, holding an enum value
 * (a message role or status) this atlas does not know, is refused as a newer row type or column is, with the upgrade
 * hint, and nothing of it is imported.
 */
public abstract class Newcomer35OpsContract extends AtlasContract {
    protected Newcomer35OpsContract(TestDatabase database) {
        super(database);
    }

    private String export(Tenant t) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        t.portability().exportTo(out, ExportScope.tenant());
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The file as a newer Atlas, one migration ahead, would head it. */
    private static String fromANewerSchema(String file) {
        Matcher m = Pattern.compile("\\A\\{\"type\":\"atlas-export\",\"version\":2,\"schema\":(\\d+)}\n").matcher(file);
        assertThat(m.find()).as(file).isTrue();
        long schema = Long.parseLong(m.group(1));
        return "{\"type\":\"atlas-export\",\"version\":2,\"schema\":" + (schema + 1) + "}\n" + file.substring(m.end());
    }

    /** What the refusal of a newer schema's value adds, for a database at {@code schema}. */
    private static String upgrade(long schema) {
        return ": the file was written by a newer Atlas (schema " + (schema + 1) + "); this database is at schema " + schema
                + ": upgrade atlas to import it";
    }

    private static long schemaOf(String file) {
        Matcher m = Pattern.compile("\"schema\":(\\d+)").matcher(file);
        assertThat(m.find()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static int lineOf(String file, String needle) {
        String[] lines = file.split("\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].contains(needle)) {
                return i + 1;
            }
        }
        throw new AssertionError("no line holds " + needle);
    }

    @Test
    @DisplayName("a message role of a newer schema is refused naming message.role, with the upgrade hint, nothing imported")
    void aRoleOfANewerSchemaSaysToUpgrade() {
        Tenant acme = atlas.tenant("acme");
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        acme.conversations().append(c.id(), NewMessage.user("hi"));
        String file = export(acme);
        long schema = schemaOf(file);
        String newer = fromANewerSchema(file).replace("\"role\":\"user\"", "\"role\":\"developer\"");
        int at = lineOf(newer, "\"role\":\"developer\"");

        Tenant globex = atlas.tenant("globex");
        Throwable t = catchThrowable(() -> globex.portability().importFrom(new ByteArrayInputStream(newer.getBytes(StandardCharsets.UTF_8))));
        assertThat(t).isExactlyInstanceOf(InvalidInputException.class);
        assertThat(((InvalidInputException) t).field()).isEqualTo("line " + at + ": message.role");
        assertThat(t.getMessage()).isEqualTo("line " + at + ": message.role: 'developer' is not one of [system, user, assistant, tool]"
                + upgrade(schema));
        assertThat(export(globex)).doesNotContain("\"type\":\"conversation\"").doesNotContain("\"type\":\"message\"");
    }

    @Test
    @DisplayName("a message status of a newer schema is refused naming message.status, with the upgrade hint, nothing imported")
    void aStatusOfANewerSchemaSaysToUpgrade() {
        Tenant acme = atlas.tenant("acme");
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        acme.conversations().append(c.id(), NewMessage.user("hi"));
        String file = export(acme);
        long schema = schemaOf(file);
        String newer = fromANewerSchema(file).replace("\"status\":\"delivered\"", "\"status\":\"redacted\"");
        int at = lineOf(newer, "\"status\":\"redacted\"");

        Tenant globex = atlas.tenant("globex");
        Throwable t = catchThrowable(() -> globex.portability().importFrom(new ByteArrayInputStream(newer.getBytes(StandardCharsets.UTF_8))));
        assertThat(t).isExactlyInstanceOf(InvalidInputException.class);
        assertThat(((InvalidInputException) t).field()).isEqualTo("line " + at + ": message.status");
        assertThat(t.getMessage()).isEqualTo("line " + at + ": message.status: 'redacted' is not one of [queued, processing, delivered, failed]"
                + upgrade(schema));
        assertThat(export(globex)).doesNotContain("\"type\":\"conversation\"").doesNotContain("\"type\":\"message\"");
    }

    @Test
    @DisplayName("an unknown role in a file of this schema stays a plain refusal, without the upgrade hint")
    void anUnknownRoleOfThisSchemaIsOnlyUnknown() {
        Tenant acme = atlas.tenant("acme");
        Conversation c = acme.conversations().create(NewConversation.of(Owner.user("42"), "support"));
        acme.conversations().append(c.id(), NewMessage.user("hi"));
        String file = export(acme).replace("\"role\":\"user\"", "\"role\":\"developer\"");
        Throwable t = catchThrowable(() -> atlas.tenant("globex").portability()
                .importFrom(new ByteArrayInputStream(file.getBytes(StandardCharsets.UTF_8))));
        assertThat(t).isExactlyInstanceOf(InvalidInputException.class);
        assertThat(t.getMessage()).isEqualTo("line " + lineOf(file, "\"role\":\"developer\"")
                + ": message.role: 'developer' is not one of [system, user, assistant, tool]");
    }
}
