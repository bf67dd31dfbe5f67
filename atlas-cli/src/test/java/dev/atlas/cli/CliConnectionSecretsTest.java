package dev.atlas.cli;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** What the CLI says of a PostgreSQL --db it cannot use, and what it never prints of the URL's secrets. */
class CliConnectionSecretsTest {

    /**
     * A connect that does not complete within the URL's connectTimeout was only pgjdbc's "The connection attempt failed." (the
     * timeout in its cause). A listener whose accept queue is full and never drained stands for the server: Linux drops a
     * further SYN, so the connect is never answered.
     */
    @Test
    void aConnectThatTimesOutNamesConnectTimeout() throws Exception {
        try (java.net.ServerSocket full = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            java.util.List<java.net.Socket> queued = new java.util.ArrayList<>();
            try {
                while (true) {
                    java.net.Socket s = new java.net.Socket();
                    try {
                        s.connect(full.getLocalSocketAddress(), 2_000);
                        queued.add(s);
                    } catch (java.net.SocketTimeoutException queueFull) {
                        s.close();
                        break;
                    }
                    assertThat(queued).as("the accept queue fills").hasSizeLessThan(64);
                }
                String url = "jdbc:postgresql://127.0.0.1:" + full.getLocalPort() + "/atlas";
                // socketTimeout bounds the test should a connect get through after all (the line would then name socketTimeout).
                assertThat(Cli.run("--db", url + "?sslmode=disable&connectTimeout=1&socketTimeout=5", "info")).isEqualTo(new Cli.Result(1, "",
                        "atlas: cannot connect to PostgreSQL " + url + " (--db): The connection attempt failed: no connection within 1 s (connectTimeout)\n"));
            } finally {
                for (java.net.Socket s : queued) {
                    s.close();
                }
            }
        }
    }

    /**
     * A server that accepts and never answers, with no socketTimeout in the URL: pgjdbc ignores DriverManager's login timeout, so
     * the command waited forever. It gives up after 30 s, as the library's pool does.
     */
    @Test
    void aSilentServerWithoutSocketTimeoutIsGivenUpOn() throws Exception {
        // The wait itself is the CLI's default; the test shortens it only so it does not wait 30 s for the same outcome.
        assertThat(Database.LOGIN_TIMEOUT_SECONDS).isEqualTo(30);
        Database.loginTimeoutSeconds = 2;
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            String url = "jdbc:postgresql://127.0.0.1:" + silent.getLocalPort() + "/atlas";
            assertThat(Cli.run("--db", url + "?sslmode=disable", "info")).isEqualTo(new Cli.Result(1, "", "atlas: cannot connect to"
                    + " PostgreSQL " + url + " (--db): Connection attempt timed out.\n"));
        } finally {
            Database.loginTimeoutSeconds = Database.LOGIN_TIMEOUT_SECONDS;
        }
    }

    /** pgjdbc separates parameters with '&' only: a ';password=' would be read into the user's value, and logged with the URL. */
    @Test
    void aSecretAfterASemicolonIsRefusedWithoutItsValue() {
        for (String db : new String[] {"jdbc:postgresql://127.0.0.1:1/atlas?user=app;password=hunter2", "jdbc:postgresql://127.0.0.1:1/atlas;sslpassword=hunter2"}) {
            String name = db.contains(";password") ? "password" : "sslpassword";
            assertThat(Cli.run("--db", db, "info")).as(db).isEqualTo(new Cli.Result(2, "", "atlas: --db: pgjdbc separates a URL's parameters with '&' only: the "
                    + name + " parameter after a ';' would be read as part of what comes before it, and logged with the URL; put '&' before it (or '?'"
                    + " for the first parameter)\nTry 'atlas info --help' for more information.\n"));
        }
    }

    /** The opaque arguments pgjdbc hands a factory's constructor, and a password parameter whose name is percent-encoded. */
    @Test
    void factoryArgumentsAndAnEncodedPasswordNameAreNeverPrinted() {
        for (String query : new String[] {"sslfactoryarg=hunter2", "socketFactoryArg=hunter2", "pass%77ord=hunter2"}) {
            for (boolean verbose : new boolean[] {false, true}) {
                String db = "jdbc:postgresql://127.0.0.1:1/atlas/extra?" + query;
                Cli.Result r = verbose ? Cli.run("--verbose", "--db", db, "info") : Cli.run("--db", db, "info");
                assertThat(r.exitCode()).as(db).isEqualTo(1);
                assertThat(r.out() + r.err()).as(db).contains("127.0.0.1:1").doesNotContain("hunter2");
            }
        }
    }
}
