package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.RefusedBeforeSql;
import dev.atlas.voice.VoiceCallQuery;
import dev.atlas.voice.VoiceCallStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Voice calls: bad listing queries are refused naming the field, with no SQL run (moved from VoiceCallContract). */
class VoiceCallInputValidationTest extends RefusedBeforeSql {
    @Test
    @DisplayName("bad voice-call queries are refused naming the field")
    void listBadInput() {
        VoiceCallStore calls = freshTenant().voiceCalls();
        refused("query", () -> calls.list(null));
        refused("status", () -> VoiceCallQuery.withStatus(null));
        refused("limit", () -> VoiceCallQuery.all().limit(0));
        refused("limit", () -> VoiceCallQuery.all().limit(1001));
        refused("agent", () -> VoiceCallQuery.all().agent(" "));
        refused("cursor", () -> VoiceCallQuery.all().after("x".repeat(201)));
        refused("cursor", () -> calls.list(VoiceCallQuery.all().after("not-a-cursor")));
    }
}
