package dev.atlas.jdbi.newcomer;

import dev.atlas.NotFoundException;
import dev.atlas.Tenant;
import dev.atlas.graph.Direction;
import dev.atlas.graph.MemoryGraph;
import dev.atlas.graph.NewGraphNode;
import dev.atlas.jdbi.kit.AtlasContract;
import dev.atlas.jdbi.kit.TestDatabase;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A new user's first programs, written from README.md, docs/api.md, docs/memory-and-search.md and
 * docs/assistants-credentials-tasks.md: each documented promise exactly as written, and the mistakes
 * a newcomer makes, which must be typed exceptions naming the field.
 */
public abstract class NewcomerContract extends AtlasContract {

    protected NewcomerContract(TestDatabase database) {
        super(database);
    }

    @Test
    @DisplayName("neighbours and traverse of a node that does not exist (or is another tenant's) name key, as requireNode does")
    void graphReadsOfAMissingNodeNameKey() {
        Tenant acme = atlas.tenant("acme");
        atlas.tenant("globex").graph().upsertNode(NewGraphNode.of("user:42"));
        MemoryGraph graph = acme.graph();
        for (String key : new String[] {"ghost", "user:42"}) {
            String message = "key: graph node " + key + " not found";
            assertThatThrownBy(() -> graph.requireNode(key)).isExactlyInstanceOf(NotFoundException.class).hasMessage(message);
            assertThatThrownBy(() -> graph.neighbours(key, Direction.BOTH, null))
                    .isExactlyInstanceOf(NotFoundException.class).hasMessage(message);
            assertThatThrownBy(() -> graph.neighbours(key, Direction.OUTGOING, "likes", 10, null))
                    .isExactlyInstanceOf(NotFoundException.class).hasMessage(message);
            assertThatThrownBy(() -> graph.traverse(key, Direction.BOTH, null, 3, 100))
                    .isExactlyInstanceOf(NotFoundException.class).hasMessage(message);
            assertThatThrownBy(() -> graph.deleteNode(key)).isExactlyInstanceOf(NotFoundException.class).hasMessage(message);
        }
    }
}
