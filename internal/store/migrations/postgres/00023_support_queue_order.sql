-- +goose Up
-- The support queue is read in its own order (queued_at, then the conversation's id): the index
-- carries both, so the first page of the queue is an index walk that stops at the page's end
-- instead of reading every queued conversation and sorting them.
DROP INDEX support_threads_queue;
CREATE INDEX support_threads_queue ON support_threads (queued_at, conversation_id) WHERE agent_id IS NULL AND status <> 'resolved';

-- +goose Down
DROP INDEX support_threads_queue;
CREATE INDEX support_threads_queue ON support_threads (queued_at) WHERE agent_id IS NULL AND status <> 'resolved';
