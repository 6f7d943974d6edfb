CREATE INDEX log_entries_by_thread ON log_entries (thread_id, at) WHERE thread_id IS NOT NULL;
