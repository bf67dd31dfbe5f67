package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.VoiceCallContract;
import dev.atlas.jdbi.kit.PostgresTestDatabase;

class PostgresVoiceCallTest extends VoiceCallContract {
    PostgresVoiceCallTest() {
        super(new PostgresTestDatabase());
    }
}
