-- Atlas V10: the execution types of seed 002 that V2 lacked (video_to_text, music, sfx), and a
-- CHECK on executions.type like every other enum column, so a row written by hand or by a
-- foreign tool with an unknown type is refused instead of breaking every later read of it.
-- Atlas only ever wrote the 13 earlier values, so existing rows pass.
ALTER TABLE ${prefix}executions ADD CONSTRAINT ${prefix}executions_type_check
    CHECK (type IN ('text', 'structured', 'stream', 'image', 'image_to_text', 'audio', 'audio_to_text', 'speech', 'embed', 'moderate', 'rerank', 'video', 'video_to_text', 'music', 'sfx', 'voice'));
