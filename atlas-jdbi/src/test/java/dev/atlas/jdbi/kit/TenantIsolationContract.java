package dev.atlas.jdbi.kit;

import dev.atlas.Conversation;
import dev.atlas.ConversationQuery;
import dev.atlas.ConversationStore;
import dev.atlas.Message;
import dev.atlas.NewConversation;
import dev.atlas.NewMessage;
import dev.atlas.NotFoundException;
import dev.atlas.Owner;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Random operations from two tenants, interleaved, with ids drawn from both: no read through
 * tenant A ever returns a row of tenant B, and B's ids behave like unknown ids for A.
 */
public abstract class TenantIsolationContract extends AtlasContract {
    protected TenantIsolationContract(TestDatabase database) {
        super(database);
    }

    @Test
    @DisplayName("400 random interleaved operations from two tenants never cross the tenant boundary")
    void randomOperations() {
        Random random = new Random(20261122L);
        String[] tenants = {"tenant-a", "tenant-b"};
        Map<UUID, String> conversationTenant = new HashMap<>();
        Map<UUID, String> messageTenant = new HashMap<>();
        List<UUID> conversations = new ArrayList<>();
        List<UUID> messages = new ArrayList<>();
        Owner shared = Owner.user("same-user-id-in-both-tenants");
        for (int step = 0; step < 400; step++) {
            String tenant = tenants[random.nextInt(2)];
            ConversationStore store = atlas.tenant(tenant).conversations();
            int op = conversations.isEmpty() ? 0 : random.nextInt(8);
            UUID c = conversations.isEmpty() ? null : conversations.get(random.nextInt(conversations.size()));
            UUID m = messages.isEmpty() ? null : messages.get(random.nextInt(messages.size()));
            boolean own = c != null && tenant.equals(conversationTenant.get(c));
            switch (op) {
                case 0 -> {
                    Conversation created = store.create(NewConversation.of(shared, "agent"));
                    conversationTenant.put(created.id(), tenant);
                    conversations.add(created.id());
                }
                case 1 -> {
                    if (own) {
                        Message appended = store.append(c, NewMessage.user("step " + step).clientId("s" + step));
                        assertThat(appended.tenantId()).isEqualTo(tenant);
                        messageTenant.put(appended.id(), tenant);
                        messages.add(appended.id());
                    } else {
                        assertThatThrownBy(() -> store.append(c, NewMessage.user("x"))).isInstanceOf(NotFoundException.class);
                    }
                }
                case 2 -> assertThat(store.get(c).isPresent()).isEqualTo(own);
                case 3 -> store.list(ConversationQuery.forOwner(shared).limit(1000)).items()
                        .forEach(x -> assertThat(conversationTenant.get(x.id())).isEqualTo(tenant));
                case 4 -> {
                    if (own) {
                        store.history(c).forEach(x -> assertThat(messageTenant.get(x.id())).isEqualTo(tenant));
                    } else {
                        assertThatThrownBy(() -> store.history(c)).isInstanceOf(NotFoundException.class);
                    }
                }
                case 5 -> {
                    if (m != null) {
                        assertThat(store.message(m).isPresent()).isEqualTo(tenant.equals(messageTenant.get(m)));
                    }
                }
                case 6 -> {
                    if (m != null && !tenant.equals(messageTenant.get(m))) {
                        assertThatThrownBy(() -> store.edit(m, "hijack")).isInstanceOf(NotFoundException.class);
                        assertThatThrownBy(() -> store.events(m)).isInstanceOf(NotFoundException.class);
                    }
                }
                default -> {
                    if (own) {
                        store.messages(c, 0, 1000).forEach(x -> assertThat(x.tenantId()).isEqualTo(tenant));
                        assertThat(store.unreadCount(c)).isGreaterThanOrEqualTo(0);
                    } else {
                        assertThatThrownBy(() -> store.unreadCount(c)).isInstanceOf(NotFoundException.class);
                    }
                }
            }
        }
        for (UUID m : messages) {
            assertThat(atlas.tenant(messageTenant.get(m)).conversations().message(m).orElseThrow().content()).doesNotContain("hijack");
        }
    }
}
