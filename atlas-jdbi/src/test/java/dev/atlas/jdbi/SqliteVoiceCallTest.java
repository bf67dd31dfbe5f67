package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.VoiceCallContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteVoiceCallTest extends VoiceCallContract {
    SqliteVoiceCallTest() {
        super(new SqliteTestDatabase());
    }
}
