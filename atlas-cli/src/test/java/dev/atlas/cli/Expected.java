package dev.atlas.cli;

import java.util.Map;

/**
 * What the commands print for the {@link Fixture} data, the same on SQLite and PostgreSQL. Ids
 * are written {@code {name}} and filled in from the fixture that wrote them.
 */
final class Expected {
    private Expected() {}

    static final String SUPPORT_TRANSCRIPT = """
            Conversation {support}: Where is order 1234?
              user conversation of user:42, agent support, open, created 2026-03-02T09:00:00Z, 3 messages

            #1 user  2026-03-02T09:00:01Z
               Where is order 1234?

            #2 assistant  2026-03-02T09:00:02Z  [retry branch 1 of 2, replaced by #3]  execution {firstExecution}
               Sorry, I can't find that order.

            #3 assistant  2026-03-02T09:00:10Z  [retry branch 2 of 2, active]  execution {retryExecution}
               tool lookup_order {"order":1234} -> {"status":"shipped"} (completed)
                 tool thread {toolThread} (1 message)
               Order 1234 shipped this morning.
               attached: route-1234.png (image/png, 70 bytes, asset {asset})
            """;

    static final String RETRY_EXECUTION = """
            Execution {retryExecution}: text openai/gpt-test, completed
              agent support, conversation {support}
              started 2026-03-02T09:00:10Z, took 800 ms, 250 in / 50 out tokens, cost 0.0009
              step 1  tool_calls  completed  at +50 ms  took 300 ms  100 in / 10 out tokens
                tool call 0 lookup_order (local)  completed  at +150 ms  took 150 ms
                  arguments: {"order":1234}
                  result:    {"status":"shipped"}
              step 2  stop  completed  at +360 ms  took 400 ms  150 in / 40 out tokens
            """;

    static final String EXECUTIONS_LIST = """
            ID                                    CREATED               TYPE        MODEL            STATUS     DURATION  INPUT  OUTPUT     COST
            {miniExecution}  2026-03-03T09:00:00Z  structured  openai/gpt-mini  completed    200 ms  1,000     500   0.0003
            {retryExecution}  2026-03-02T09:00:10Z  text        openai/gpt-test  completed    800 ms    250      50   0.0009
            {firstExecution}  2026-03-02T09:00:02Z  text        openai/gpt-test  completed    450 ms     20       5  0.00008
            """;

    /** Every tenant (globex has no executions). */
    static final String USAGE_BY_MODEL = """
            MODEL            CALLS  FAILED  INPUT  OUTPUT  REASONING  CACHED  CACHE WRITE     COST
            openai/gpt-mini      1       0  1,000     500          0       0            0   0.0003
            openai/gpt-test      2       0    270      55          0       0            0  0.00098
            total                3       0  1,270     555          0       0            0  0.00128
            """;

    static final String USAGE_BY_DAY_CSV = """
            day,executions,failures,input_tokens,output_tokens,reasoning_tokens,cached_tokens,cache_write_tokens,cost
            2026-03-02,2,0,270,55,0,0,0,0.00098
            2026-03-03,1,0,1000,500,0,0,0,0.0003
            """;

    static final String RETENTION_DRY_RUN = """
            Tenant acme (dry run, nothing changed): would change
              conversations.archived           3
            Tenant globex (dry run, nothing changed): would change
              conversations.archived           1
            """;

    /** The text with every {@code {name}} replaced by the fixture's id of that name. */
    static String of(String text, Fixture f) {
        Map<String, Object> ids = Map.ofEntries(Map.entry("support", f.support), Map.entry("hostile", f.hostile),
                Map.entry("toolThread", f.toolThread), Map.entry("firstExecution", f.firstExecution),
                Map.entry("retryExecution", f.retryExecution), Map.entry("miniExecution", f.miniExecution),
                Map.entry("asset", f.asset), Map.entry("toolCall", f.toolCall));
        String out = text;
        for (Map.Entry<String, Object> e : ids.entrySet()) {
            out = out.replace("{" + e.getKey() + "}", e.getValue().toString());
        }
        return out;
    }
}
