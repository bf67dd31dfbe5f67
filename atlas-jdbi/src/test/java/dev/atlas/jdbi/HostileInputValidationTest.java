package dev.atlas.jdbi;

import dev.atlas.jdbi.kit.HostileInputContract;
import dev.atlas.jdbi.kit.SqliteTestDatabase;

/**
 * The hostile corpus's validation-only refusals (issue 14): every generated case refused with an
 * {@link dev.atlas.InvalidInputException} before any SQL, run once rather than per dialect, each
 * proven to have run no statement (the per-dialect suites run the rest of the corpus).
 */
class HostileInputValidationTest extends HostileInputContract {
    HostileInputValidationTest() {
        super(new SqliteTestDatabase());
    }

    @Override
    protected boolean runs(Case k) {
        return refusedBeforeSql(k);
    }
}
