/**
 * Durable tasks with leases: enqueue, claim, heartbeat, complete or fail with retry. Start at
 * {@link dev.atlas.task.TaskStore} or run handlers with {@link dev.atlas.task.TaskWorker}.
 */
@NullMarked
package dev.atlas.task;

import org.jspecify.annotations.NullMarked;
