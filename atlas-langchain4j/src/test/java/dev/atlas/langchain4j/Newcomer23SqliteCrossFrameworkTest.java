package dev.atlas.langchain4j;

import dev.atlas.jdbi.kit.SqliteTestDatabase;

class Newcomer23SqliteCrossFrameworkTest extends Newcomer23CrossFrameworkContract {
    Newcomer23SqliteCrossFrameworkTest() {
        super(new SqliteTestDatabase());
    }

    @org.junit.jupiter.api.Test
    @org.junit.jupiter.api.DisplayName("both services record their calls with AtlasTelemetry (each its own SDK, as two JVMs) on one conversation id under two tenants:"
            + " one CLIENT span per model call under the request's span, tool spans under their call's, every span naming its own tenant and"
            + " that tenant's conversation; the Spring AI model is sent the LangChain4j service's tool round as a tool round"
            + " (SQLite only: no database behaviour)")
    @Override
    protected void bothServicesTraceTheirCallsPerTenant() throws Exception {
        super.bothServicesTraceTheirCallsPerTenant();
    }
}
