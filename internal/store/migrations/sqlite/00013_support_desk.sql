-- +goose Up
-- Online customer service (I3): an agent is online while one of their streams is open (the hub's
-- presence) and they have not set themselves away. offline_since is when their last stream
-- closed: after the operators' offline_after_minutes their conversations return to the queue.
ALTER TABLE support_agents ADD COLUMN online BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE support_agents ADD COLUMN offline_since TIMESTAMP;

-- Agents list the conversations they hold with the newest activity first.
CREATE INDEX support_threads_agent_updated ON support_threads (agent_id, updated_at);

-- +goose Down
DROP INDEX support_threads_agent_updated;
ALTER TABLE support_agents DROP COLUMN offline_since;
ALTER TABLE support_agents DROP COLUMN online;
