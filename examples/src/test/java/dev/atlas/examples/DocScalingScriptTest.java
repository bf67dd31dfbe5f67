package dev.atlas.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.atlas.migrations.AtlasMigrations;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * docs/scaling.md's Citus script, checked against the catalog of a freshly migrated PostgreSQL
 * database: it makes every table without tenant_id a reference table and distributes every table
 * with it, each after the tables its foreign keys reference (but for the key it sets aside first).
 */
class DocScalingScriptTest {

    private static final Pattern CALL = Pattern.compile("create_(reference|distributed)_table\\('atlas_(\\w+)'");
    private static final Pattern DROPPED = Pattern.compile("ALTER TABLE atlas_(\\w+) DROP CONSTRAINT (\\w+);");

    @Test
    @DisplayName("docs/scaling.md distributes every Atlas table of the current schema, in an order Citus accepts")
    void scriptCoversEveryTableInOrder() throws Exception {
        String doc = Files.readString(repositoryRoot().resolve("docs/scaling.md"), StandardCharsets.UTF_8);
        List<String> distributed = new ArrayList<>();
        Set<String> reference = new TreeSet<>();
        Matcher call = CALL.matcher(doc);
        while (call.find()) {
            (call.group(1).equals("reference") ? reference : distributed).add(call.group(2));
        }
        Set<String> setAside = new TreeSet<>();
        Matcher dropped = DROPPED.matcher(doc);
        while (dropped.find()) {
            setAside.add(dropped.group(2));
        }

        // A database of its own on the module's shared server: its catalogue holds Atlas's tables alone.
        SharedPostgres.createDatabase("atlas_scaling");
        DataSource database = SharedPostgres.server().getDatabase("postgres", "atlas_scaling");
        AtlasMigrations.of(database).migrate();
        Set<String> tenantTables = new TreeSet<>();
        Set<String> otherTables = new TreeSet<>();
        List<String[]> foreignKeys = new ArrayList<>();   // {constraint, table, referenced}
        try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("SELECT t.table_name, EXISTS (SELECT 1 FROM information_schema.columns k"
                    + " WHERE k.table_schema = t.table_schema AND k.table_name = t.table_name AND k.column_name = 'tenant_id')"
                    + " FROM information_schema.tables t WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
                    + " AND t.table_name LIKE 'atlas\\_%'")) {
                while (rs.next()) {
                    (rs.getBoolean(2) ? tenantTables : otherTables).add(rs.getString(1).substring("atlas_".length()));
                }
            }
            try (ResultSet rs = s.executeQuery("SELECT conname, conrelid::regclass::text, confrelid::regclass::text"
                    + " FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text LIKE 'atlas\\_%'")) {
                while (rs.next()) {
                    foreignKeys.add(new String[] {rs.getString(1), rs.getString(2).substring("atlas_".length()),
                            rs.getString(3).substring("atlas_".length())});
                }
            }
        }
        assertThat(reference).as("reference tables in docs/scaling.md").isEqualTo(otherTables);
        assertThat(new TreeSet<>(distributed)).as("distributed tables in docs/scaling.md").isEqualTo(tenantTables);
        assertThat(distributed).as("each table distributed once").doesNotHaveDuplicates();
        assertThat(foreignKeys.stream().map(fk -> fk[0]).toList()).as("keys docs/scaling.md sets aside").containsAll(setAside);
        for (String name : setAside) {
            assertThat(doc).as("docs/scaling.md adds %s back", name).contains(" ADD CONSTRAINT " + name + "\n");
        }
        List<String> outOfOrder = new ArrayList<>();
        for (String[] fk : foreignKeys) {
            if (!fk[1].equals(fk[2]) && !setAside.contains(fk[0]) && !reference.contains(fk[2])
                    && distributed.indexOf(fk[2]) > distributed.indexOf(fk[1])) {
                outOfOrder.add(fk[1] + " before " + fk[2] + " (" + fk[0] + ")");
            }
        }
        assertThat(outOfOrder).as("tables distributed before a table they reference").isEmpty();
    }

    private static Path repositoryRoot() {
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("README.md")) && Files.isDirectory(dir.resolve("docs"))) {
                return dir;
            }
        }
        throw new AssertionError("no README.md with docs/ above " + System.getProperty("user.dir"));
    }
}
