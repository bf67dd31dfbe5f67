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
}
