package dev.atlas.task;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A claim id is the lease's token: whoever has it can complete, fail or release the task. A worker
 * logging its claim (or the task it holds) must not put the token into logs, as a {@code Secret} does not.
 */
class ClaimIdNotPrintedTest {
    private static final UUID CLAIM = UUID.fromString("0190f0e0-1111-7222-8333-444455556666");
    private static final Instant AT = Instant.parse("2026-01-02T03:04:05Z");

    private static Task running() {
        return new Task(UUID.fromString("0190f0e0-0000-7000-8000-000000000001"), "acme", "mail", Map.of("to", "a@b"), null, null, null,
                TaskStatus.RUNNING, 1, 3, Map.of(), null, AT, CLAIM, AT.plusSeconds(30), AT, AT, AT, null);
    }

    @Test
    @DisplayName("ClaimedTask.toString() shows the task, the lease's expiry and duration and 'claimId=****', never the claim id")
    void claimedTaskHidesItsClaimId() {
        ClaimedTask claim = new ClaimedTask(running(), CLAIM, AT.plusSeconds(30), Duration.ofSeconds(30));

        String printed = claim.toString();

        assertThat(printed).doesNotContain(CLAIM.toString())
                .startsWith("ClaimedTask[task=Task[id=0190f0e0-0000-7000-8000-000000000001, tenantId=acme, kind=mail,")
                .endsWith(", claimId=****, leaseExpiresAt=2026-01-02T03:04:35Z, leaseDuration=PT30S]");
        assertThat(claim.claimId()).isEqualTo(CLAIM);
    }

    @Test
    @DisplayName("Task.toString() of a running task shows 'claimId=****', of one no worker holds 'claimId=null'; claimId() returns it")
    void taskHidesItsClaimId() {
        Task task = running();

        assertThat(task.toString()).doesNotContain(CLAIM.toString()).contains(", claimId=****, leaseExpiresAt=2026-01-02T03:04:35Z,");
        assertThat(task.claimId()).isEqualTo(CLAIM);
        Task pending = new Task(task.id(), "acme", "mail", Map.of(), null, null, null, TaskStatus.PENDING, 0, 3, Map.of(), null, AT, null, null,
                AT, AT, null, null);
        assertThat(pending.toString()).contains(", claimId=null, leaseExpiresAt=null,");
    }
}
