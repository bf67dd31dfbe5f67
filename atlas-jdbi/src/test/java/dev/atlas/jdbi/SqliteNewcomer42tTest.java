package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.Newcomer42tContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

class SqliteNewcomer42tTest extends Newcomer42tContract {
    SqliteNewcomer42tTest() {
        super(new SqliteTestDatabase());
    }
}
