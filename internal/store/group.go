package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync/atomic"
)

// maxGroupUnits bounds how many callers' units of work one SQLite transaction carries, so the
// first caller of a busy period does not wait for an endless stream of later ones.
const maxGroupUnits = 128

// group is SQLite's group commit. SQLite has one writer and each commit costs an fsync
// (synchronous=FULL), so concurrent callers of InTx share transactions: the writer connection
// holds one open transaction that callers join in turn, each running its unit of work inside a
// SAVEPOINT of its own. A unit that fails rolls back to its savepoint, undoing only itself. The
// caller whose unit finishes when nobody else is queued (or the 128th) commits for everyone,
// and every caller whose unit is in the transaction returns only after that commit, with its
// error: nobody returns before their work is durable, and a failed commit fails them all.
//
// A unit runs its statements without its context's cancellation: on SQLite an interrupted
// write rolls back the whole transaction, and with it the other callers' units.
type group struct {
	turn    chan struct{} // holding it = running a unit on the writer connection
	waiting atomic.Int32  // callers queued for turn
	cur     *batch        // the open transaction; guarded by turn
	// committed counts the commits that succeeded (the checkpointer's cue).
	committed atomic.Uint64
	// onCommit, when set (tests), runs before each commit, holding the turn.
	onCommit func()
}

// batch is one shared transaction.
type batch struct {
	tx    *sql.Tx
	units int
	done  chan struct{} // closed after commit (or its failure)
	err   error         // the commit's error, set before done is closed
}

func newGroup() *group { return &group{turn: make(chan struct{}, 1)} }

// unit is one caller's place in a batch; it ends by commit (join the batch's fate) or rollback.
type unit struct {
	g *group
	b *batch
	// savepoint: the unit joined a batch that has other units, so it runs in a savepoint. The
	// first unit of a batch needs none: if it fails, the whole transaction is its alone to
	// roll back (so a writer without company pays nothing for the grouping).
	savepoint bool
	exec      func(stmt string) error // through the statement cache
}

// begin waits for the writer, opens a batch if none is open, and starts a savepoint.
func (g *group) begin(ctx context.Context, s *Store) (*Tx, error) {
	g.waiting.Add(1)
	select {
	case g.turn <- struct{}{}:
		g.waiting.Add(-1)
	case <-ctx.Done():
		g.waiting.Add(-1)
		// Whoever ran the last unit may have left the batch open for us: commit it for them.
		go func() {
			g.turn <- struct{}{}
			g.flush(false)
			<-g.turn
		}()
		return nil, fmt.Errorf("store: begin: %w", ctx.Err())
	}
	u := &unit{g: g, b: g.cur, savepoint: g.cur != nil}
	if u.b == nil {
		sqlTx, err := s.w.BeginTx(context.Background(), nil)
		if err != nil {
			<-g.turn
			return nil, fmt.Errorf("store: begin: %w", err)
		}
		u.b = &batch{tx: sqlTx, done: make(chan struct{})}
		g.cur = u.b
	}
	q := txQuerier{tx: u.b.tx, cache: s.wstmts, shared: true}
	u.exec = func(stmt string) error {
		_, err := q.ExecContext(context.Background(), stmt)
		return err
	}
	if u.savepoint {
		if err := u.exec("SAVEPOINT unit"); err != nil {
			g.fail(u.b, err)
			<-g.turn
			return nil, fmt.Errorf("store: begin: %w", err)
		}
	}
	return s.newTx(q, u.b.tx, u), nil
}

// fail ends b without committing: everyone in it gets err. Needs the turn.
func (g *group) fail(b *batch, err error) {
	_ = b.tx.Rollback()
	b.err = err
	close(b.done)
	g.cur = nil
}

// flush commits the open batch if nobody is queued to join it, or it is full. Needs the turn.
func (g *group) flush(force bool) {
	b := g.cur
	if b == nil || (!force && g.waiting.Load() > 0 && b.units < maxGroupUnits) {
		return
	}
	g.cur = nil
	if b.units == 0 {
		_ = b.tx.Rollback() // only failed units: nothing to keep
	} else {
		if g.onCommit != nil {
			g.onCommit()
		}
		b.err = b.tx.Commit()
		if b.err == nil {
			g.committed.Add(1)
		}
	}
	close(b.done)
}

// rollback undoes the unit's work alone and gives up the turn.
func (u *unit) rollback() {
	g, b := u.g, u.b
	defer func() { <-g.turn }()
	if !u.savepoint {
		// The batch holds this unit alone.
		g.cur = nil
		_ = b.tx.Rollback()
		close(b.done)
		return
	}
	if err := u.exec("ROLLBACK TO unit"); err != nil {
		// SQLite rolled the whole transaction back (an I/O error, a full disk): the other
		// units are lost too, and their callers must hear it.
		g.fail(b, fmt.Errorf("store: a failed unit of work aborted the shared transaction: %w", err))
		return
	}
	if err := u.exec("RELEASE unit"); err != nil {
		g.fail(b, err)
		return
	}
	g.flush(false)
}

// commit adds the unit to its batch, gives up the turn, and waits until the batch is committed.
func (u *unit) commit() error {
	g, b := u.g, u.b
	if u.savepoint {
		if err := u.exec("RELEASE unit"); err != nil {
			g.fail(b, err)
			<-g.turn
			return err
		}
	}
	b.units++
	g.flush(false)
	<-g.turn
	<-b.done
	if b.err != nil {
		return b.err
	}
	return nil
}
