package dev.atlas.jdbi;

import dev.atlas.Atlas;
import dev.atlas.Owner;
import dev.atlas.conversation.NewConversation;
import dev.atlas.jdbi.kit.LogCapture;
import dev.atlas.jdbi.kit.LogLeakContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The log-leak contract on PostgreSQL, plus the one secret SQLite has no place for: a password. */
class PostgresLogLeakTest extends LogLeakContract {
    PostgresLogLeakTest() {
        super(new PostgresTestDatabase());
    }

    @Test
    @DisplayName("at TRACE, opening PostgreSQL with a password and and closing Atlas logs neither the password given to the builder nor one written in the URL")
    void jdbcPasswordIsNotLogged() {
        String url = atlas.config().jdbcUrl();
        String logged;
        try (LogCapture logs = LogCapture.start()) {
            try (Atlas a = Atlas.builder().jdbcUrl(url).credentials("postgres", "builderPw" + SECRET).build()) {
                a.tenant("acme").conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            }
            String withUserInfo = url.replace("jdbc:postgresql://", "jdbc:postgresql://postgres:userInfoPw" + SECRET + "@");
            try (Atlas a = Atlas.builder().jdbcUrl(withUserInfo).build()) {
                a.tenant("acme").conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            }
            String withParameter = url + (url.contains("?") ? "&" : "?") + "user=postgres&password=paramPw" + SECRET;
            try (Atlas a = Atlas.builder().jdbcUrl(withParameter).build()) {
                a.tenant("acme").conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            }
            // sslpassword= (the client key's password) is the other secret pgjdbc reads from a URL: taken out as well and handed
            // to the driver as a property. SeenProperties, the socket factory pgjdbc builds from its properties, tells that it arrives.
            String withSslPassword = url + (url.contains("?") ? "&" : "?") + "sslmode=disable&sslpassword=sslPw" + SECRET
                    + "&socketFactory=" + SeenProperties.class.getName();
            SeenProperties.SSL_PASSWORDS.clear();
            try (Atlas a = Atlas.builder().jdbcUrl(withSslPassword).build()) {
                a.tenant("acme").conversations().create(NewConversation.of(Owner.user("alice"), "support"));
            }
            assertThat(SeenProperties.SSL_PASSWORDS).as("every connection's driver properties hold the sslpassword").isNotEmpty()
                    .containsOnly("sslPw" + SECRET);
            // A connection the server refuses (a database that does not exist; the test server trusts every password):
            // pgjdbc logs the failed connection through java.util.logging.
            String missing = url.replaceFirst("/([^/?]+)(\\?|$)", "/noSuchDbXq$2");
            Throwable refused = org.assertj.core.api.Assertions.catchThrowable(
                    () -> Atlas.builder().jdbcUrl(missing).credentials("postgres", "refusedPw" + SECRET).build().close());
            logged = logs.text();
            assertThat(refused).isNotNull();
        }
        assertThat(logged).as("the capture works: the pool logs its configuration").contains("HikariConfig");
        assertThat(logged).as("the capture works: pgjdbc's java.util.logging is captured").contains("[jul] FINE org.postgresql.");
        // pgjdbc logs the URL it connects with at FINE ("Connecting with URL: ..."): the pool takes a password= parameter out
        // of the URL (as it does a user-info password) and hands it to the driver as the password, so no line quotes it.
        assertThat(logged).as("pgjdbc's connections are logged").contains("[jul] FINE org.postgresql.Driver - Connecting with URL: ");
        assertThat(logged).doesNotContain(SECRET);
    }

    @Test
    @DisplayName("at TRACE, the other secrets a PostgreSQL URL can carry (sslfactoryarg, socketFactoryArg, a password parameter named"
            + " in another case or percent-encoded) appear in no log line nor in Atlas's config, and the factory arguments still"
            + " reach the driver")
    void otherUrlSecretsAreNotLogged() {
        String url = atlas.config().jdbcUrl();
        String sep = url.contains("?") ? "&" : "?";
        String withArgs = url + sep + "sslmode=disable&sslfactoryarg=sslArg" + SECRET + "&socketFactoryArg=sockArg" + SECRET
                + "&socketFactory=" + SeenProperties.class.getName();
        String withOtherNames = url + sep + "PASSWORD=upperPw" + SECRET + "&pass%77ord=encodedPw" + SECRET;
        String logged;
        java.util.List<String> configs = new java.util.ArrayList<>();
        SeenProperties.FACTORY_ARGS.clear();
        try (LogCapture logs = LogCapture.start()) {
            for (String u : java.util.List.of(withArgs, withOtherNames)) {
                try (Atlas a = Atlas.builder().jdbcUrl(u).build()) {
                    a.tenant("acme").conversations().create(NewConversation.of(Owner.user("alice"), "support"));
                    configs.add(a.config().toString() + " " + a.config().jdbcUrl() + " " + a);
                }
            }
            logged = logs.text();
        }
        assertThat(SeenProperties.FACTORY_ARGS).as("every connection's driver properties hold both arguments").isNotEmpty()
                .containsOnly("sockArg" + SECRET + "|sslArg" + SECRET);
        assertThat(logged).as("pgjdbc's connections are logged").contains("[jul] FINE org.postgresql.Driver - Connecting with URL: ");
        assertThat(logged).doesNotContain(SECRET);
        assertThat(String.join("\n", configs)).doesNotContain(SECRET);
    }

    @Test
    @DisplayName("a secret parameter written after ';' in a PostgreSQL URL (pgjdbc separates parameters with '&' only, so it would"
            + " be read into the value before it and logged with the URL) fails build() with a ConfigurationException naming"
            + " jdbcUrl and the parameter, never its value, before any connection")
    void secretAfterSemicolonIsRefused() {
        String url = atlas.config().jdbcUrl();
        for (String u : java.util.List.of(url + (url.contains("?") ? "&" : "?") + "user=postgres;password=semiPw" + SECRET,
                url.replaceFirst("\\?.*$", "") + ";password=semiPw" + SECRET)) {
            Throwable thrown;
            String logged;
            try (LogCapture logs = LogCapture.start()) {
                thrown = org.assertj.core.api.Assertions.catchThrowable(() -> Atlas.builder().jdbcUrl(u).build().close());
                logged = logs.text();
            }
            assertThat(thrown).as(u).isInstanceOf(dev.atlas.ConfigurationException.class)
                    .hasMessage("jdbcUrl: pgjdbc separates a URL's parameters with '&' only: the password parameter after a ';' would"
                            + " be read as part of what comes before it, and logged with the URL; put '&' before it (or '?' for the first parameter)");
            java.io.StringWriter trace = new java.io.StringWriter();
            thrown.printStackTrace(new java.io.PrintWriter(trace));
            assertThat(trace.toString()).doesNotContain(SECRET);
            // Not "no Connecting with URL line": the contract's own pool may open a connection meanwhile.
            assertThat(logged).as(u).doesNotContain(SECRET).doesNotContain("semiPw");
        }
    }

    @Test
    @DisplayName("a secret parameter whose value pgjdbc cannot percent-decode (a bare '%') fails build() with a ConfigurationException"
            + " naming jdbcUrl and the parameter, never its value, before pgjdbc logs the value or HikariCP the URL")
    void secretNotPercentEncodedIsRefused() {
        String url = atlas.config().jdbcUrl();
        String sep = url.contains("?") ? "&" : "?";
        for (String name : java.util.List.of("password", "sslpassword", "socketFactoryArg")) {
            String u = url + sep + "user=postgres&" + name + "=50%off" + SECRET;
            Throwable thrown;
            String logged;
            try (LogCapture logs = LogCapture.start()) {
                thrown = org.assertj.core.api.Assertions.catchThrowable(() -> Atlas.builder().jdbcUrl(u).build().close());
                logged = logs.text();
            }
            assertThat(thrown).as(u).isInstanceOf(dev.atlas.ConfigurationException.class)
                    .hasMessage("jdbcUrl: the " + name + " parameter's value holds a '%' not followed by two hex digits, which pgjdbc"
                            + " cannot decode (it refuses the URL, logging the value); write a '%' as %25");
            // Not "no Connecting with URL line": the contract's own pool may open a connection meanwhile.
            assertThat(logged).as(u).doesNotContain(SECRET).doesNotContain("50%off");
        }
    }

    @Test
    @DisplayName("a '#' in a URL's password is the password's (pgjdbc reads no fragment): neither Atlas's config nor a failed"
            + " open's message shows what follows it")
    void aPasswordHoldingAHashIsMaskedWhole() {
        String url = atlas.config().jdbcUrl();
        String sep = url.contains("?") ? "&" : "?";
        try (Atlas a = Atlas.builder().jdbcUrl(url + sep + "user=postgres&password=pw%23" + "x#" + SECRET).build()) {
            assertThat(a.config().jdbcUrl() + " " + a.config()).doesNotContain(SECRET);
        }
        String missing = url.replaceFirst("/([^/?]+)(\\?|$)", "/noSuchDbXq$2");
        Throwable refused = org.assertj.core.api.Assertions.catchThrowable(() -> Atlas.builder()
                .jdbcUrl(missing + (missing.contains("?") ? "&" : "?") + "user=postgres&sslpassword=k#" + SECRET).build().close());
        assertThat(refused).isInstanceOf(dev.atlas.ConfigurationException.class).hasMessageContaining("noSuchDbXq");
        java.io.StringWriter trace = new java.io.StringWriter();
        refused.printStackTrace(new java.io.PrintWriter(trace));
        assertThat(trace.toString()).doesNotContain(SECRET);
    }

    @Test
    @DisplayName("at TRACE, opening Atlas on an application's HikariCP pool of one connection (copied for the migration) logs"
            + " through HikariCP none of the secrets the application gave its pool (a data source property, a URL's factory argument), and the"
            + " copy's connections still carry them")
    void anApplicationsOnePoolIsNotReLogged() {
        String url = atlas.config().jdbcUrl();
        com.zaxxer.hikari.HikariConfig hc = new com.zaxxer.hikari.HikariConfig();
        hc.setPoolName("app");
        hc.setMaximumPoolSize(1);
        hc.setJdbcUrl(url + (url.contains("?") ? "&" : "?") + "sslmode=disable&socketFactoryArg=appArg" + SECRET
                + "&socketFactory=" + SeenProperties.class.getName());
        hc.setUsername("postgres");
        hc.addDataSourceProperty("sslpassword", "appSslPw" + SECRET);
        String logged;
        try (com.zaxxer.hikari.HikariDataSource app = new com.zaxxer.hikari.HikariDataSource(hc)) {
            SeenProperties.FACTORY_ARGS.clear();
            SeenProperties.SSL_PASSWORDS.clear();
            try (LogCapture logs = LogCapture.start()) {
                try (Atlas a = Atlas.builder().dataSource(app).build()) {
                    a.tenant("acme").conversations().create(NewConversation.of(Owner.user("alice"), "support"));
                }
                logged = logs.text();
            }
        }
        // pgjdbc's "Connecting with URL" is the application's URL, logged for its every connection: the application's to keep
        // clean. HikariCP's lines are the copy's own: its configuration and the driver it loads.
        String hikari = logged.lines().filter(line -> line.contains("com.zaxxer.hikari")).collect(java.util.stream.Collectors.joining("\n"));
        assertThat(hikari).as("the capture works: the copy's configuration is logged").contains("app-migrations");
        assertThat(hikari).doesNotContain(SECRET);
        assertThat(SeenProperties.FACTORY_ARGS).as("the copy's connections are the application pool's").isNotEmpty()
                .containsOnly("appArg" + SECRET + "|null");
        assertThat(SeenProperties.SSL_PASSWORDS).containsOnly("appSslPw" + SECRET);
    }

    /** A socket factory pgjdbc builds with the connection's properties (its Properties constructor): records their sslpassword. */
    public static final class SeenProperties extends javax.net.SocketFactory {
        static final java.util.Queue<String> SSL_PASSWORDS = new java.util.concurrent.ConcurrentLinkedQueue<>();
        static final java.util.Queue<String> FACTORY_ARGS = new java.util.concurrent.ConcurrentLinkedQueue<>();

        public SeenProperties(java.util.Properties info) {
            SSL_PASSWORDS.add(String.valueOf(info.getProperty("sslpassword")));
            FACTORY_ARGS.add(info.getProperty("socketFactoryArg") + "|" + info.getProperty("sslfactoryarg"));
        }

        @Override
        public java.net.Socket createSocket() throws java.io.IOException {
            return javax.net.SocketFactory.getDefault().createSocket();
        }

        @Override
        public java.net.Socket createSocket(String host, int port) throws java.io.IOException {
            return javax.net.SocketFactory.getDefault().createSocket(host, port);
        }

        @Override
        public java.net.Socket createSocket(String host, int port, java.net.InetAddress local, int localPort) throws java.io.IOException {
            return javax.net.SocketFactory.getDefault().createSocket(host, port, local, localPort);
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress host, int port) throws java.io.IOException {
            return javax.net.SocketFactory.getDefault().createSocket(host, port);
        }

        @Override
        public java.net.Socket createSocket(java.net.InetAddress host, int port, java.net.InetAddress local, int localPort)
                throws java.io.IOException {
            return javax.net.SocketFactory.getDefault().createSocket(host, port, local, localPort);
        }
    }
}
