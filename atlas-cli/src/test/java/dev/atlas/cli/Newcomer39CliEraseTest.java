package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code atlas erase} as an operator runs it when a customer leaves (session 39): a dry run unless {@code --yes}, exact counts,
 * the other tenant untouched, a secret never printed, and exit codes 0, 1 and 2 as documented.
 */
class Newcomer39CliEraseTest {
    @TempDir
    Path dir;

    private Path db;
    private UUID acmeConversation;

    private void populate() {
        db = dir.resolve("erase.db");
        try (Atlas atlas = Atlas.sqlite(db)) {
            for (String id : new String[] {"acme", "globex"}) {
                Tenant t = atlas.tenant(id);
                Conversation c = t.conversations().create(NewConversation.of(Owner.user("42"), "support"));
                t.conversations().append(c.id(), NewMessage.user("hello from " + id));
                t.memories().add(dev.atlas.memory.NewMemory.fact(Owner.user("42"), "likes tea"));
                t.graph().upsertNode(dev.atlas.graph.NewGraphNode.of("node-" + id));
                if (id.equals("acme")) {
                    acmeConversation = c.id();
                }
            }
        }
    }

    private long rows(String tenant) throws Exception {
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db);
                var ps = c.prepareStatement("SELECT (SELECT COUNT(*) FROM atlas_conversations WHERE tenant_id = ?)"
                        + " + (SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = ?) + (SELECT COUNT(*) FROM atlas_memories WHERE tenant_id = ?)"
                        + " + (SELECT COUNT(*) FROM atlas_graph_nodes WHERE tenant_id = ?)")) {
            for (int i = 1; i <= 4; i++) {
                ps.setString(i, tenant);
            }
            try (var rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Test
    void allOfTenantIsADryRunUntilYes() throws Exception {
        populate();
        Cli.Result dry = Cli.run("--db", db.toString(), "--tenant", "acme", "erase", "--all-of-tenant");
        String counts = """
                  messages                       1
                  memories                       1
                  conversations                  1
                  graph_nodes                    1
                """;
        assertThat(dry).isEqualTo(new Cli.Result(0, "Dry run, nothing deleted: erasing everything of tenant acme would delete:\n"
                + counts.replace("  messages", "  message_events                 1\n  messages") + "Run it again with --yes to delete.\n", ""));
        assertThat(rows("acme")).isEqualTo(4);

        Cli.Result done = Cli.run("--db", db.toString(), "--tenant", "acme", "erase", "--all-of-tenant", "--yes");
        assertThat(done.exitCode()).isZero();
        assertThat(done.out()).isEqualTo(dry.out().replace("Dry run, nothing deleted: erasing everything of tenant acme would delete:",
                "Erased everything of tenant acme:").replace("Run it again with --yes to delete.\n", ""));
        assertThat(rows("acme")).isZero();
        assertThat(rows("globex")).isEqualTo(4);
        assertThat(Cli.run("--db", db.toString(), "--tenant", "acme", "erase", "--all-of-tenant", "--yes"))
                .isEqualTo(new Cli.Result(0, "Erased everything of tenant acme nothing\n", ""));
    }

    @Test
    void wrongCommandLinesExitTwoAndChangeNothing() throws Exception {
        populate();
        assertThat(Cli.run("--db", db.toString(), "erase", "--all-of-tenant", "--yes").err())
                .startsWith("atlas: --tenant: is required: an erase never falls back to the default tenant");
        assertThat(Cli.run("--db", db.toString(), "--tenant", "acme", "erase", "--yes").exitCode()).isEqualTo(2);
        Cli.Result both = Cli.run("--db", db.toString(), "--tenant", "acme", "erase", "--all-of-tenant", "--owner", "user:42", "--yes");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.err()).startsWith("atlas: give only one of them: --owner (or --owner-type and --owner-id), --conversation"
                + " or --all-of-tenant");
        assertThat(rows("acme")).isEqualTo(4);
    }

    @Test
    void anotherTenantsConversationIsNotFoundAndNoValueIsPrinted() throws Exception {
        populate();
        try (Atlas atlas = Atlas.sqlite(db)) {
            atlas.tenant("acme").memories().add(dev.atlas.memory.NewMemory.fact(Owner.user("42"), "s3cr3t-token"));
        }
        Cli.Result foreign = Cli.run("--db", db.toString(), "--tenant", "globex", "erase", "--conversation", acmeConversation.toString(), "--yes");
        assertThat(foreign.exitCode()).isEqualTo(1);
        assertThat(foreign.out()).isEmpty();
        assertThat(rows("acme")).isEqualTo(5);
        Cli.Result owner = Cli.run("--db", db.toString(), "--tenant", "acme", "erase", "--owner", "user:42", "--yes");
        assertThat(owner.exitCode()).isZero();
        assertThat(owner.out()).startsWith("Erased owner user:42 of tenant acme:\n").contains("  memories                       2\n")
                .doesNotContain("s3cr3t");
        assertThat(owner.err()).doesNotContain("s3cr3t");
        assertThat(rows("acme")).isEqualTo(1); // the graph node: it has no owner
        assertThat(Files.exists(db)).isTrue();
    }
}
