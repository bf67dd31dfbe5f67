package dev.atlas.jdbi;

import dev.atlas.assistant.Assistant;
import dev.atlas.assistant.AssistantQuery;
import dev.atlas.assistant.AssistantSpec;
import dev.atlas.assistant.AssistantStore;
import dev.atlas.assistant.NewRevision;
import dev.atlas.assistant.Settings;
import dev.atlas.assistant.SettingsStore;
import dev.atlas.jdbi.kit.RefusedBeforeSql;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.Collections;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Assistants and settings: bad input is refused naming the field, with no SQL run (moved from AssistantStoreContract and SettingsStoreContract). */
class AssistantInputValidationTest extends RefusedBeforeSql {
    private AssistantStore store;
    private SettingsStore settings;

    @BeforeEach
    void stores() {
        dev.atlas.Tenant tenant = freshTenant();
        store = tenant.assistants();
        settings = tenant.settings();
    }

    private Assistant bot() {
        return store.create(AssistantSpec.of("support-bot", "Support bot"));
    }

    @Test
    @DisplayName("invalid definitions are rejected naming the field, and nothing is written")
    void badInput() {
        refused("slug", () -> store.create(AssistantSpec.of("Support", "x")));
        refused("slug", () -> store.create(AssistantSpec.of("has space", "x")));
        refused("slug", () -> store.create(AssistantSpec.of("-leading", "x")));
        refused("slug", () -> store.create(AssistantSpec.of("a".repeat(101), "x")));
        refused("slug", () -> store.create(AssistantSpec.of("x'; DROP TABLE atlas_assistants; --", "x")));
        refused("slug", () -> store.create(AssistantSpec.of("", "x")));
        refused("name", () -> store.create(AssistantSpec.of("ok", " ")));
        refused("name", () -> store.create(AssistantSpec.of("ok", "a\u0000b")));
        refused("temperature", () -> AssistantSpec.of("ok", "x").temperature(new BigDecimal("2.01")));
        refused("temperature", () -> AssistantSpec.of("ok", "x").temperature(new BigDecimal("-0.01")));
        refused("temperature", () -> AssistantSpec.of("ok", "x").temperature(new BigDecimal("0.123")));
        refused("topP", () -> AssistantSpec.of("ok", "x").topP(new BigDecimal("1.01")));
        // Extreme exponents have no plain form worth writing out (1e2147483647's would not even allocate): refused, briefly.
        for (String extreme : List.of("1e2147483647", "1e-2147483647", "-1e999999", "1e-999999")) {
            assertThat(refused("temperature", () -> AssistantSpec.of("ok", "x").temperature(new BigDecimal(extreme))).getMessage())
                    .hasSizeLessThan(300);
            assertThat(refused("topP", () -> AssistantSpec.of("ok", "x").topP(new BigDecimal(extreme))).getMessage()).hasSizeLessThan(300);
        }
        refused("maxOutputTokens", () -> AssistantSpec.of("ok", "x").maxOutputTokens(0));
        refused("maxOutputTokens", () -> AssistantSpec.of("ok", "x").maxOutputTokens(-5));
        refused("tools", () -> AssistantSpec.of("ok", "x").tools(List.of("a", "a")));
        refused("tools", () -> AssistantSpec.of("ok", "x").tools(Collections.singletonList(null)));
        refused("tools", () -> AssistantSpec.of("ok", "x").tools(List.of("\uD800")));
        refused("metadata", () -> store.create(AssistantSpec.of("ok", "x").metadata(Map.of("self", new Object() {
            @SuppressWarnings("unused")
            public Object getSelf() {
                return this;
            }
        }))));
        refused("spec", () -> store.create(null));
        assertThat(store.list(100, null).items()).isEmpty();
    }

    @Test
    @DisplayName("bad assistant queries are refused naming the field")
    void listQueryBadInput() {
        refused("query", () -> store.list(null));
        refused("owner", () -> AssistantQuery.forOwner(null));
        refused("visibleTo", () -> AssistantQuery.visibleTo(null));
        refused("limit", () -> AssistantQuery.all().limit(0));
        refused("limit", () -> AssistantQuery.all().limit(1001));
        refused("cursor", () -> AssistantQuery.all().after("x".repeat(201)));
        refused("cursor", () -> store.list(AssistantQuery.all().after("not-a-cursor")));
    }

    @Test
    @DisplayName("invalid revisions are rejected naming the field, and no number is used up")
    void badRevision() {
        Assistant a = bot();
        refused("systemPrompt", () -> store.publish(a.id(), NewRevision.of(null, Map.of())));
        refused("systemPrompt", () -> store.publish(a.id(), NewRevision.of("a\u0000", Map.of())));
        refused("systemPrompt", () -> store.publish(a.id(), NewRevision.of("x".repeat((1 << 20) + 1), Map.of())));
        refused("settings", () -> store.publish(a.id(), NewRevision.of("ok", Map.of("k", "\\u0000 is fine but \u0000 is not"))));
        refused("label", () -> store.publish(a.id(), NewRevision.of("ok", Map.of()).label(" ")));
        refused("assistantId", () -> store.publish(null, NewRevision.of("ok", Map.of())));
        refused("number", () -> store.getRevision(a.id(), 0));
        assertThat(store.publish(a.id(), NewRevision.of("ok", Map.of())).number()).isEqualTo(1);
    }

    @Test
    @DisplayName("bad settings input is refused naming the field, and nothing is written")
    void badSettingsInput() {
        Settings s = settings.create("ok", "Ok", null);
        refused("slug", () -> settings.create("Bad Slug", "x", null));
        refused("slug", () -> settings.create(null, "x", null));
        refused("name", () -> settings.create("fine", " ", null));
        refused("name", () -> settings.create("fine", "x".repeat(501), null));
        refused("values", () -> settings.publish(s.id(), Map.of("v", "\u0000"), null, null));
        refused("label", () -> settings.publish(s.id(), Map.of(), " ", null));
        refused("settingsId", () -> settings.publish(null, Map.of(), null, null));
        refused("number", () -> settings.getRevision(s.id(), 0));
        refused("toNumber", () -> settings.rollback(s.id(), 0, null));
        refused("limit", () -> settings.list(null, 0, null));
        refused("limit", () -> settings.list(null, 1001, null));
        refused("cursor", () -> settings.list(null, 10, "not-a-cursor"));
        // A caller-built document missing what a read one always has is bad input, not a stale or missing document.
        refused("expected", () -> settings.rename(new Settings(null, s.tenantId(), s.slug(), s.name(), null, null, 0, 0, s.createdAt(),
                s.updatedAt()), "fine", "Fine"));
        refused("expected", () -> settings.rename(new Settings(s.id(), s.tenantId(), null, s.name(), null, null, 0, 0, s.createdAt(),
                s.updatedAt()), "fine", "Fine"));
        refused("expected", () -> settings.rename(new Settings(s.id(), s.tenantId(), s.slug(), null, null, null, 0, 0, s.createdAt(),
                s.updatedAt()), "fine", "Fine"));
        assertThat(settings.getBySlug("fine")).isEmpty();
        assertThat(settings.get(s.id()).orElseThrow().lastRevisionNumber()).isZero();
    }
}
