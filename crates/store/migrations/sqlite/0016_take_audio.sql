-- The audio-only copy of a recorded take that anonymised share links play instead of the
-- original (which shows the candidate's face). audio_state says how far it got:
--   NULL        not made yet (takes recorded before this change, or the probe has not run);
--   'ready'     audio_key names the copy (WebM with the take's Opus sound, next to the take);
--   'no_tool'   ffmpeg is not installed where the probe ran, so no copy can be made;
--   'no_audio'  the take has no sound track ffmpeg could extract.
ALTER TABLE answer_takes ADD COLUMN audio_key TEXT;
ALTER TABLE answer_takes ADD COLUMN audio_state TEXT;
