-- The classic schema's indexes (created after bulk inserts, which is faster).
CREATE INDEX task_scheduled_index ON task (schedule_time);
CREATE INDEX task_retries_index ON task (exit_status, retried);
CREATE INDEX task_client_completed_index ON task (client_id, completion_time);
