package dev.atlas.migrations;

import dev.atlas.StorageException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.logging.Logger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class DetectRedactionTest {

    /** A data source opening connections through DriverManager, as simple pools and Spring's DriverManagerDataSource do. */
    private record DriverManagerDataSource(String url) implements DataSource {
        @Override public Connection getConnection() throws SQLException { return DriverManager.getConnection(url); }
        @Override public Connection getConnection(String u, String p) throws SQLException { return DriverManager.getConnection(url, u, p); }
        @Override public PrintWriter getLogWriter() { return null; }
        @Override public void setLogWriter(PrintWriter out) {}
        @Override public void setLoginTimeout(int seconds) {}
        @Override public int getLoginTimeout() { return 0; }
        @Override public Logger getParentLogger() { return Logger.getGlobal(); }
        @Override public <T> T unwrap(Class<T> iface) throws SQLException { throw new SQLException("not a wrapper"); }
        @Override public boolean isWrapperFor(Class<?> iface) { return false; }
    }

    @Test
    @DisplayName("a driver message quoting the URL reaches neither the exception's message, toString nor its causes")
    void detectMasksTheUrlSecrets() {
        // No PostgreSQL driver here: DriverManager fails with "No suitable driver found for <url>".
        DataSource ds = new DriverManagerDataSource(
                "jdbc:postgresql://bob:s3cretUser@localhost:1/app?user=bob&password=hunter2: x&sslpassword=k3y");
        StorageException e = catchThrowableOfType(() -> AtlasMigrations.Dialect.detect(ds), StorageException.class);

        assertThat(e.getMessage()).contains("jdbc:postgresql://bob:****@localhost:1/app?user=bob&password=****");
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        for (String shown : new String[] {e.getMessage(), e.toString(), trace.toString()}) {
            assertThat(shown).doesNotContain("hunter2").doesNotContain("s3cretUser").doesNotContain("k3y");
        }
        // A raw '#', '/', '?' or '@' in the user-info password (not percent-encoded) is the password's, up to the last '@'.
        for (String c : new String[] {"#", "/", "?", "@"}) {
            StorageException raw = catchThrowableOfType(() -> AtlasMigrations.Dialect.detect(
                    new DriverManagerDataSource("jdbc:postgresql://bob:hun" + c + "ter2@localhost:1/app")), StorageException.class);
            assertThat(raw.getMessage()).as(c).isEqualTo(
                    "could not connect to detect the database: No suitable driver found for jdbc:postgresql://bob:****@localhost:1/app");
            StringWriter rawTrace = new StringWriter();
            raw.printStackTrace(new PrintWriter(rawTrace));
            assertThat(rawTrace.toString()).as(c).doesNotContain("hun").doesNotContain("ter2");
        }
    }
}
