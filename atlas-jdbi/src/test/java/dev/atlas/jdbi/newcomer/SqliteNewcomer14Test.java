package dev.atlas.jdbi.newcomer;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer14Test extends Newcomer14Contract {
    SqliteNewcomer14Test() {
        super(new SqliteTestDatabase());
    }
}
