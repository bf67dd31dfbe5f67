package dev.atlas.cli;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.Tenant;
import dev.atlas.conversation.Conversation;
import dev.atlas.conversation.NewConversation;
import dev.atlas.conversation.NewMessage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code atlas erase --all-of-tenant} on PostgreSQL (session 39): the same output as on SQLite, a dry run that changes nothing,
 * every row of the tenant gone after {@code --yes}, the other tenant's rows untouched. One database for the class.
 */
class Newcomer39CliErasePostgresTest {
    private static String url;

    @BeforeAll
    static void populate() {
        SharedPostgres.server();
        url = SharedPostgres.createDatabase("atlas_cli_erase39");
        try (Atlas atlas = Atlas.builder().jdbcUrl(url).credentials("postgres", "postgres").build()) {
            for (String id : new String[] {"acme", "globex"}) {
                Tenant t = atlas.tenant(id);
                Conversation c = t.conversations().create(NewConversation.of(Owner.user("42"), "support"));
                t.conversations().append(c.id(), NewMessage.user("hello from " + id));
                t.memories().add(dev.atlas.memory.NewMemory.fact(Owner.user("42"), "likes tea"));
                t.graph().upsertNode(dev.atlas.graph.NewGraphNode.of("node-" + id));
            }
        }
    }

    private static Cli.Result atlas(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--db";
        all[1] = url;
        all[2] = "--user";
        all[3] = "postgres";
        System.arraycopy(args, 0, all, 4, args.length);
        return Cli.run(Map.of("ATLAS_DB_PASSWORD", "postgres"), all);
    }

    private static long rows(String tenant) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "postgres", "postgres");
                PreparedStatement ps = c.prepareStatement("SELECT (SELECT COUNT(*) FROM atlas_conversations WHERE tenant_id = ?)"
                        + " + (SELECT COUNT(*) FROM atlas_messages WHERE tenant_id = ?) + (SELECT COUNT(*) FROM atlas_message_events WHERE tenant_id = ?)"
                        + " + (SELECT COUNT(*) FROM atlas_memories WHERE tenant_id = ?) + (SELECT COUNT(*) FROM atlas_graph_nodes WHERE tenant_id = ?)")) {
            for (int i = 1; i <= 5; i++) {
                ps.setString(i, tenant);
            }
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    @Test
    void allOfTenantIsADryRunUntilYesAndTakesOnlyItsTenant() throws Exception {
        String counts = """
                  message_events                 1
                  messages                       1
                  memories                       1
                  conversations                  1
                  graph_nodes                    1
                """;
        Cli.Result dry = atlas("--tenant", "acme", "erase", "--all-of-tenant");
        assertThat(dry).isEqualTo(new Cli.Result(0, "Dry run, nothing deleted: erasing everything of tenant acme would delete:\n" + counts
                + "Run it again with --yes to delete.\n", ""));
        assertThat(rows("acme")).isEqualTo(5);

        assertThat(atlas("--tenant", "acme", "erase", "--all-of-tenant", "--yes"))
                .isEqualTo(new Cli.Result(0, "Erased everything of tenant acme:\n" + counts, ""));
        assertThat(rows("acme")).isZero();
        assertThat(rows("globex")).isEqualTo(5);
        assertThat(atlas("--tenant", "acme", "erase", "--all-of-tenant", "--yes"))
                .isEqualTo(new Cli.Result(0, "Erased everything of tenant acme nothing\n", ""));
        assertThat(atlas("erase", "--all-of-tenant", "--yes").exitCode()).isEqualTo(2);
        assertThat(rows("globex")).isEqualTo(5);
    }
}
