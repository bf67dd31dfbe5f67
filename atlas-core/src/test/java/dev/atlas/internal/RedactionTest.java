package dev.atlas.internal;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class RedactionTest {

    @Test
    void masksOnlyTheParameterValueNotTheTextAfterTheUrl() {
        assertThat(Redaction.url("could not open jdbc:postgresql://db/app?user=a&password=hunter2: Failed to connect"))
                .isEqualTo("could not open jdbc:postgresql://db/app?user=a&password=****: Failed to connect");
        assertThat(Redaction.url("url jdbc:postgresql://db/app?password=hunter2, retrying"))
                .isEqualTo("url jdbc:postgresql://db/app?password=****, retrying");
        assertThat(Redaction.url("url 'jdbc:postgresql://db/app?password=hunter2' refused"))
                .isEqualTo("url 'jdbc:postgresql://db/app?password=****' refused");
        assertThat(Redaction.url("(jdbc:postgresql://db/app?password=hunter2)"))
                .isEqualTo("(jdbc:postgresql://db/app?password=****)");
    }

    @Test
    void masksTheWholeValueInsideAUrl() {
        assertThat(Redaction.url("jdbc:postgresql://db/app?password=a:b.&sslmode=require"))
                .isEqualTo("jdbc:postgresql://db/app?password=****&sslmode=require");
        assertThat(Redaction.url("jdbc:postgresql://db/app?password=a:b."))
                .isEqualTo("jdbc:postgresql://db/app?password=****");
        assertThat(Redaction.url("jdbc:postgresql://bob:s3cret@db/app: Failed"))
                .isEqualTo("jdbc:postgresql://bob:****@db/app: Failed");
        assertThat(Redaction.secretsOf("jdbc:postgresql://db/app?password=hunter2: Failed")).isEqualTo(List.of("hunter2"));
    }

    @Test
    void masksAPasswordsOwnClosingBracketUnlessTheTextAroundOpenedIt() {
        assertThat(Redaction.url("jdbc:postgresql://db/app?user=a&password=hunter2)"))
                .isEqualTo("jdbc:postgresql://db/app?user=a&password=****");
        assertThat(Redaction.url("could not open jdbc:sqlserver://db;user=sa;password=p4ss): Failed to connect"))
                .isEqualTo("could not open jdbc:sqlserver://db;user=sa;password=****: Failed to connect");
        assertThat(Redaction.url("url jdbc:postgresql://db/app?password=pa(ss) refused"))
                .isEqualTo("url jdbc:postgresql://db/app?password=**** refused");
        assertThat(Redaction.url("jdbc:postgresql://db/app?password=x]'"))
                .isEqualTo("jdbc:postgresql://db/app?password=****");
        assertThat(Redaction.secretsOf("jdbc:postgresql://db/app?password=hunter2)")).isEqualTo(List.of("hunter2)"));
        // The text's own brackets and quotes stay, also after a bracket inside the password.
        assertThat(Redaction.url("(see jdbc:postgresql://db/app?password=hun)ter2)"))
                .isEqualTo("(see jdbc:postgresql://db/app?password=****)");
        assertThat(Redaction.url("[url 'jdbc:postgresql://db/app?password=x)']"))
                .isEqualTo("[url 'jdbc:postgresql://db/app?password=****']");
    }
}
