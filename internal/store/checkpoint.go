package store

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// checkpointEvery is how often the background checkpointer copies committed pages from SQLite's
// write-ahead log into the database file.
const checkpointEvery = time.Second

// checkpointer runs SQLite's WAL checkpoints on a connection of its own, off the commit path.
//
// By default SQLite checkpoints inside a COMMIT once the log passes 1,000 pages: that one
// commit then copies the pages into the database file and fsyncs it before its caller hears
// back, a few milliseconds on top of its own fsync, and with group commit every caller in the
// batch waits for it. The writer runs with wal_autocheckpoint=0 instead, and this goroutine runs
// a PASSIVE checkpoint (it never blocks the writer or the readers) every checkpointEvery when
// something was committed since the last one. A page written many times between two checkpoints
// is copied once. Durability does not depend on it: a commit is durable once its log frames are
// fsynced, and the log is replayed on open.
type checkpointer struct {
	db        *sql.DB
	committed *atomic.Uint64 // the group's commit count
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

func startCheckpointer(db *sql.DB, committed *atomic.Uint64) *checkpointer {
	c := &checkpointer{db: db, committed: committed, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	seen := ^uint64(0) // the first tick checkpoints what opening the file (and migrating) left in the log
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		n := c.committed.Load()
		if n == seen {
			continue
		}
		if err := c.checkpoint(); err != nil {
			slog.Warn("store: WAL checkpoint", "err", err)
			continue
		}
		seen = n
	}
}

// checkpoint copies what the log holds into the database file, as far as readers allow.
func (c *checkpointer) checkpoint() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var busy, logFrames, copied int
	return c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &copied)
}

// close stops the goroutine and closes its connection; closing again does nothing.
func (c *checkpointer) close() error {
	c.closeOnce.Do(func() {
		close(c.stop)
		<-c.done
		c.closeErr = c.db.Close()
	})
	return c.closeErr
}
