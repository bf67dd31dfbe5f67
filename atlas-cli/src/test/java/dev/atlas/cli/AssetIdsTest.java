package dev.atlas.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The asset ids atlas import checks the bytes of, picked out of the lines as they pass: only {@code row.id} of an asset
 * record, wherever it stands in the row, never an "id" inside a value, a nested object or another record.
 */
class AssetIdsTest {
    private static final String A = "0190f000-0000-7000-8000-000000000001";
    private static final String B = "0190f000-0000-7000-8000-000000000002";

    private static java.util.Set<UUID> ids(String lines) throws Exception {
        PortabilityCommands.AssetRows rows = new PortabilityCommands.AssetRows(new ByteArrayInputStream(lines.getBytes(StandardCharsets.UTF_8)));
        rows.readAllBytes();
        return rows.ids();
    }

    @Test
    void theRowsIdIsFoundAfterNestedValuesAndStringsThatLookLikeJson() throws Exception {
        assertThat(ids("{\"type\":\"asset\",\"row\":{\"metadata\":{\"id\":\"" + B + "\",\"a\":[[{\"id\":\"" + B + "\"}]]},"
                + "\"description\":\"}}]],\\\"id\\\":\\\"" + B + "\\\"{{\",\"id\":\"" + A + "\",\"size_bytes\":3}}\n"))
                .containsExactly(UUID.fromString(A));
    }

    @Test
    void anIdOutsideTheRowOrOfAnotherRecordIsNoAssetsId() throws Exception {
        assertThat(ids("{\"type\":\"asset\",\"id\":\"" + B + "\",\"row\":{\"id\":\"" + A + "\"}}\n"
                + "{\"type\":\"message\",\"row\":{\"id\":\"" + B + "\"}}\n")).containsExactly(UUID.fromString(A));
    }

    @Test
    void aLastLineWithoutItsNewlineAndAnIdThatIsNoUuidAreHandled() throws Exception {
        assertThat(ids("{\"type\":\"asset\",\"row\":{\"id\":\"not-a-uuid-at-all-but-long-enough-to-overflow\"}}\n"
                + "{\"type\":\"asset\",\"row\":{\"id\":\"" + A + "\"}}")).containsExactly(UUID.fromString(A));
    }
    /**
     * The same records as any JSON tool may write them, all of which atlas import reads: escaped names and values, space
     * after ':' and ',' (Python's json.dumps), keys sorted so "row" comes before "type" (jq -S), space before the record.
     * Each asset went unchecked, silently, as the scan knew only the bytes export writes.
     */
    @Test
    void anAssetRecordAsOtherJsonToolsWriteItIsFound() throws Exception {
        assertThat(ids("{\"type\":\"asset\",\"row\":{\"\\u0069d\":\"" + A + "\"}}\n")).as("escaped name").containsExactly(UUID.fromString(A));
        assertThat(ids("{\"type\":\"asset\",\"row\":{\"id\":\"\\u0030" + A.substring(1) + "\"}}\n")).as("escaped value")
                .containsExactly(UUID.fromString(A));
        assertThat(ids("{\"type\":\"\\u0061sset\",\"row\":{\"id\":\"" + A + "\"}}\n")).as("escaped type").containsExactly(UUID.fromString(A));
        assertThat(ids("{\"type\": \"asset\", \"row\": {\"id\": \"" + A + "\", \"size_bytes\": 3}}\n")).as("spaced")
                .containsExactly(UUID.fromString(A));
        assertThat(ids("{\"row\":{\"id\":\"" + A + "\",\"metadata\":{\"type\":\"x\"}},\"type\":\"asset\"}\n"
                + "{\"row\":{\"id\":\"" + B + "\"},\"type\":\"message\"}\n")).as("sorted").containsExactly(UUID.fromString(A));
        assertThat(ids(" \t{\"type\":\"asset\",\"row\":{\"id\":\"" + A + "\"}}\r\n")).as("blank around").containsExactly(UUID.fromString(A));
    }

    /** A record whose type is not asset, or a line that is no record, yields no id, however its row reads. */
    @Test
    void otherRecordsAndNoRecordsYieldNone() throws Exception {
        assertThat(ids("{\"type\":\"assets\",\"row\":{\"id\":\"" + A + "\"}}\n"
                + "{\"type\":\"asset\\u0000\",\"row\":{\"id\":\"" + A + "\"}}\n"
                + "[{\"type\":\"asset\",\"row\":{\"id\":\"" + A + "\"}}]\n"
                + "{\"x\":{\"type\":\"asset\",\"row\":{\"id\":\"" + A + "\"}}}\n"
                + "\"{\\\"type\\\":\\\"asset\\\",\\\"row\\\":{\\\"id\\\":\\\"" + A + "\\\"}}\"\n")).isEmpty();
    }
}
