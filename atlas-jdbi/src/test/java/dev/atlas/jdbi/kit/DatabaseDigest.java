package dev.atlas.jdbi.kit;

import javax.sql.DataSource;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** A hash of every row of every Atlas table: equal digests mean an unchanged database. */
public final class DatabaseDigest {
    private DatabaseDigest() {}

    public static String of(DataSource ds, String prefix) {
        try (Connection c = ds.getConnection()) {
            return of(c, prefix);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The digest read through an open connection (cheaper when taken many times). */
    public static String of(Connection c, String prefix) {
        return of(c, tables(c, prefix));
    }

    /** The tables {@link #of(Connection, String)} hashes: those of the prefix but the migration history, sorted. */
    public static List<String> tables(Connection c, String prefix) {
        try {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = c.getMetaData().getTables(null, null, prefix + "%", new String[] {"TABLE"})) {
                while (rs.next()) {
                    String t = rs.getString("TABLE_NAME");
                    if (!t.endsWith("schema_history")) {
                        tables.add(t);
                    }
                }
            }
            tables.sort(null);
            return tables;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The digest of these tables (from {@link #tables}): for a caller that takes many digests of one
     * schema, reading the table list once (on PostgreSQL that catalog query costs more than the rows).
     */
    public static String of(Connection c, List<String> tables) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String t : tables) {
                md.update(t.getBytes(StandardCharsets.UTF_8));
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM " + t + " ORDER BY 1, 2")) {
                    int n = rs.getMetaData().getColumnCount();
                    while (rs.next()) {
                        for (int i = 1; i <= n; i++) {
                            md.update(String.valueOf(rs.getString(i)).getBytes(StandardCharsets.UTF_8));
                            md.update((byte) 0);
                        }
                    }
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (SQLException | NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
