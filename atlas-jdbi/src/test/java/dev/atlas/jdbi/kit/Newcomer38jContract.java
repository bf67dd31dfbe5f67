package dev.atlas.jdbi.kit;

import dev.atlas.NotFoundException;
import dev.atlas.task.ClaimedTask;
import dev.atlas.task.NewTask;
import dev.atlas.task.Task;
import dev.atlas.task.TaskStatus;
import dev.atlas.task.TaskStore;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Two application instances on one database, as a team runs them: unknown and foreign task ids,
 * leases, schedules and clocks seen from each instance.
 */
public abstract class Newcomer38jContract extends AtlasContract {
    protected Newcomer38jContract(TestDatabase database) {
        super(database);
    }

    /** The exception's type, the field it names and its message: what a caller can act on. */
    private static String refusal(Throwable t) {
        if (t == null) {
            return "no exception";
        }
        String field = t instanceof NotFoundException n ? n.field().orElse("<none>") : "?";
        return t.getClass().getSimpleName() + " " + field + " | " + t.getMessage();
    }

    @Test
    @DisplayName("cancel, requeue and the operator's complete and fail of an unknown or another tenant's task id are NotFoundException"
            + " on taskId; complete, fail, release and heartbeat with a claim on no task of this tenant name claim.taskId; nothing changes")
    void unknownTaskIdNamesTheField() {
        TaskStore acme = atlas.tenant("acme").tasks();
        TaskStore globex = atlas.tenant("globex").tasks();
        Task theirs = globex.create(NewTask.of("job", Map.of("n", 1)));
        ClaimedTask claim = globex.claim(Duration.ofMinutes(1)).orElseThrow();
        UUID unknown = UUID.randomUUID();
        Map<String, Function<UUID, Object>> byId = new LinkedHashMap<>();
        byId.put("cancel", acme::cancel);
        byId.put("requeue", acme::requeue);
        byId.put("completeAsOperator", id -> acme.completeAsOperator(id, Map.of()));
        byId.put("failAsOperator", id -> acme.failAsOperator(id, "x"));
        List<String> outcomes = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (UUID id : List.of(unknown, theirs.id())) {
            byId.forEach((name, call) -> {
                outcomes.add(name + ": " + refusal(catchThrowable(() -> call.apply(id))));
                expected.add(name + ": NotFoundException taskId | taskId: task " + id + " not found");
            });
        }
        Map<String, Runnable> byClaim = new LinkedHashMap<>();
        byClaim.put("complete", () -> acme.complete(claim, Map.of()));
        byClaim.put("fail", () -> acme.fail(claim, "x"));
        byClaim.put("release", () -> acme.release(claim));
        byClaim.put("heartbeat", () -> acme.heartbeat(claim));
        byClaim.forEach((name, call) -> {
            outcomes.add(name + ": " + refusal(catchThrowable(call::run)));
            expected.add(name + ": NotFoundException claim.taskId | claim.taskId: task " + theirs.id() + " not found");
        });
        assertThat(outcomes).containsExactlyElementsOf(expected);
        Task still = globex.require(theirs.id());
        assertThat(still.status()).isEqualTo(TaskStatus.RUNNING);
        assertThat(still.claimId()).isEqualTo(claim.claimId());
    }
}
