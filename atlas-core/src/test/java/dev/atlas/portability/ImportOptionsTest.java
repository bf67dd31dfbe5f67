package dev.atlas.portability;

import dev.atlas.InvalidInputException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImportOptionsTest {
    @Test
    void defaultsResealNothing() {
        assertThat(ImportOptions.defaults().credentialsFrom()).isNull();
        assertThat(ImportOptions.defaults().resealCredentialsFrom("acme")).isEqualTo(new ImportOptions("acme"));
    }

    @Test
    void sourceTenantIsATenantId() {
        for (String bad : new String[] {null, "", " ", "a\u0000b", "t".repeat(dev.atlas.Limits.MAX_TENANT_LENGTH + 1)}) {
            assertThatThrownBy(() -> ImportOptions.defaults().resealCredentialsFrom(bad)).as(String.valueOf(bad))
                    .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("sourceTenant"));
        }
        assertThatThrownBy(() -> new ImportOptions(" "))
                .isInstanceOfSatisfying(InvalidInputException.class, e -> assertThat(e.field()).isEqualTo("credentialsFrom"));
    }
}
