-- Atlas V10: the execution types of seed 002 that V2 lacked (video_to_text, music, sfx), and the
-- same allowed set enforced on executions.type as on every other enum column (PostgreSQL: a CHECK).
-- SQLite cannot add a CHECK to an existing table, and rebuilding executions would mean turning
-- foreign keys off, which a migration transaction cannot do (steps, tool calls, messages, assets
-- and voice calls reference it). Two triggers enforce the same rule on every insert and on every
-- update of the column; they abort the statement with a constraint error, as a CHECK would.
-- Atlas only ever wrote the 13 earlier values, so existing rows are valid.
CREATE TRIGGER ${prefix}executions_type_insert BEFORE INSERT ON ${prefix}executions
WHEN new.type NOT IN ('text', 'structured', 'stream', 'image', 'image_to_text', 'audio', 'audio_to_text', 'speech', 'embed', 'moderate', 'rerank', 'video', 'video_to_text', 'music', 'sfx', 'voice')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: executions.type');
END;

CREATE TRIGGER ${prefix}executions_type_update BEFORE UPDATE OF type ON ${prefix}executions
WHEN new.type NOT IN ('text', 'structured', 'stream', 'image', 'image_to_text', 'audio', 'audio_to_text', 'speech', 'embed', 'moderate', 'rerank', 'video', 'video_to_text', 'music', 'sfx', 'voice')
BEGIN
    SELECT RAISE(ABORT, 'CHECK constraint failed: executions.type');
END;
