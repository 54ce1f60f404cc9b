-- What the background probe (ffprobe/ffmpeg, when installed) learnt about a take: its length
-- and, for video, the key of a poster JPEG stored next to it. NULL until probed, or forever
-- when ffmpeg is not installed or the file could not be read.
ALTER TABLE answer_takes ADD COLUMN duration_ms BIGINT;
ALTER TABLE answer_takes ADD COLUMN poster_key TEXT;
