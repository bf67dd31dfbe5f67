package dev.atlas.spring.boot;

import dev.atlas.execution.Execution;
import dev.atlas.execution.ExecutionListener;
import dev.atlas.execution.ExecutionStep;
import dev.atlas.execution.ToolCall;
import dev.atlas.internal.ListenerCalls;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;

import java.util.List;
import java.util.function.Consumer;

/**
 * The application's {@link ExecutionListener} beans, found once every singleton exists (or at the
 * first event before that) instead of while the {@code Atlas} bean is made: a listener bean that
 * needs the {@code Atlas} or {@code Tenant} bean (to read what was stored) was a circular
 * reference that stopped start-up. Each listener is called as Atlas calls its own, through the
 * same {@link ListenerCalls}: in order, one that throws is logged and the others still run.
 */
final class AtlasListenerBeans implements SmartInitializingSingleton {
    private final ObjectProvider<ExecutionListener> beans;
    private volatile List<ExecutionListener> found;

    AtlasListenerBeans(ObjectProvider<ExecutionListener> beans) {
        this.beans = beans;
    }

    @Override
    public void afterSingletonsInstantiated() {
        listeners();
    }

    private List<ExecutionListener> listeners() {
        List<ExecutionListener> l = found;
        if (l == null) {
            l = beans.orderedStream().toList();
            found = l;
        }
        return l;
    }

    /** The one listener the {@code Atlas} bean is built with, calling the beans. */
    ExecutionListener delegate() {
        return new ExecutionListener() {
            @Override
            public void started(String tenantId, Execution execution) {
                fire("started", l -> l.started(tenantId, execution));
            }

            @Override
            public void stepFinished(String tenantId, ExecutionStep step) {
                fire("stepFinished", l -> l.stepFinished(tenantId, step));
            }

            @Override
            public void toolCallFinished(String tenantId, ToolCall toolCall) {
                fire("toolCallFinished", l -> l.toolCallFinished(tenantId, toolCall));
            }

            @Override
            public void completed(String tenantId, Execution execution) {
                fire("completed", l -> l.completed(tenantId, execution));
            }

            @Override
            public void failed(String tenantId, Execution execution) {
                fire("failed", l -> l.failed(tenantId, execution));
            }

            @Override
            public void cancelled(String tenantId, Execution execution) {
                fire("cancelled", l -> l.cancelled(tenantId, execution));
            }

            @Override
            public String toString() {
                return "the application's ExecutionListener beans";
            }
        };
    }

    private void fire(String event, Consumer<ExecutionListener> call) {
        ListenerCalls.fire(listeners(), event, call);
    }
}
