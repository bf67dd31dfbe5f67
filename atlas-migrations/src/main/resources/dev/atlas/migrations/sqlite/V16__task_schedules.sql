-- Atlas V16: recurring tasks (seed 004 scheduling). A schedule enqueues a normal task for each
-- occurrence of a fixed interval or a 5-field cron expression (UTC). next_run_at is the one
-- occurrence still to fire: the worker that moves it forward (a guarded UPDATE on its old value)
-- is the only one that enqueues that occurrence's task, in the same transaction.
CREATE TABLE ${prefix}task_schedules (
    tenant_id       TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL CHECK (json_valid(payload)),
    owner_type      TEXT,
    owner_id        TEXT,
    max_attempts    INTEGER NOT NULL CHECK (max_attempts > 0),
    interval_micros INTEGER CHECK (interval_micros > 0),
    cron            TEXT,
    paused          INTEGER NOT NULL CHECK (paused IN (0, 1)),
    next_run_at     INTEGER NOT NULL,
    last_run_at     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name),
    CHECK ((interval_micros IS NULL) <> (cron IS NULL))
);

-- The due schedules of a tenant, earliest first, without a scan.
CREATE INDEX ${prefix}task_schedules_due ON ${prefix}task_schedules (tenant_id, next_run_at) WHERE NOT paused;
