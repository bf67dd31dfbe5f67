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
            logged = logs.text();
        }
        assertThat(logged).as("the capture works: the pool logs its configuration").contains("HikariConfig");
        assertThat(logged).doesNotContain(SECRET);
    }
}
