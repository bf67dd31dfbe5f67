-- Atlas V16: recurring tasks (seed 004 scheduling). A schedule enqueues a normal task for each
-- occurrence of a fixed interval or a 5-field cron expression (UTC). next_run_at is the one
-- occurrence still to fire: the worker that moves it forward (a guarded UPDATE on its old value)
-- is the only one that enqueues that occurrence's task, in the same transaction.
CREATE TABLE ${prefix}task_schedules (
    tenant_id       text        NOT NULL,
    id              uuid        NOT NULL,
    name            text        NOT NULL,
    kind            text        NOT NULL,
    payload         jsonb       NOT NULL,
    owner_type      text,
    owner_id        text,
    max_attempts    integer     NOT NULL CHECK (max_attempts > 0),
    interval_micros bigint      CHECK (interval_micros > 0),
    cron            text,
    paused          boolean     NOT NULL,
    next_run_at     timestamptz NOT NULL,
    last_run_at     timestamptz,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name),
    CHECK ((interval_micros IS NULL) <> (cron IS NULL))
);

-- The due schedules of a tenant, earliest first, without a scan.
CREATE INDEX ${prefix}task_schedules_due ON ${prefix}task_schedules (tenant_id, next_run_at) WHERE NOT paused;
