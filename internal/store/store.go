// Package store is homebell's one concrete store over database/sql: SQLite on local disk by
// default, PostgreSQL when several nodes share the data. Queries are hand-written, parameterised
// and portable ($1 placeholders work in both); one file per aggregate.
package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"modernc.org/sqlite" // registers the "sqlite" database/sql driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/homebell/homebell/internal/model"
)

// Dialect names the SQL database behind a Store.
type Dialect string

// The two dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

//go:embed migrations
var migrations embed.FS

// querier is what database/sql's *DB and *Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Queries holds every query of homebell. On a *Store it reads from the read pool; on a *Tx it reads
// and writes inside the transaction.
type Queries struct {
	q       querier
	dialect Dialect
	// rc caches rows that rarely change (see readcache.go). A Tx's writes drop what they change,
	// at once and again when the transaction ends (atEnd); wrote is set from its first such write.
	rc    *readCache
	inTx  bool
	atEnd func(func())
	wrote bool
	// pend holds a PostgreSQL transaction's deferred writes (deferred.go); nil elsewhere.
	pend *pending
}

// Dialect reports which database the queries run on.
func (q *Queries) Dialect() Dialect { return q.dialect }

// Store is the database. Writes go through InTx; reads through the embedded Queries.
type Store struct {
	Queries
	w   *sql.DB // SQLite: the one writer connection; PostgreSQL: the pool
	r   *sql.DB // SQLite: a read-only pool; PostgreSQL: the same pool
	dsn string
	// SQLite: prepared statements of the writer and of the read pool (nil on PostgreSQL, where
	// pgx caches them per connection itself).
	wstmts, rstmts *stmtCache
	group          *group        // SQLite: group commit of the writer's transactions
	ckpt           *checkpointer // SQLite: WAL checkpoints off the commit path
	// ObserveTx, when set, hears how long each InTx took, from begin to commit or rollback
	// (including the wait for the SQLite writer); the metrics' transaction time. Set it before use.
	ObserveTx func(time.Duration)
	// Now is the clock each transaction reads once, when it begins (see Tx.Now); time.Now when
	// nil. The app sets it to its one clock before use.
	Now func() time.Time
}

// Open connects to dsn: "postgres://…" (or "postgresql://…") for PostgreSQL, anything else is a
// SQLite file path (optionally prefixed "sqlite:" or "file:").
func Open(ctx context.Context, dsn string) (*Store, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: connect postgres: %w", err)
	}
	return &Store{Queries: Queries{q: counting{db}, dialect: Postgres, rc: newReadCache()}, w: db, r: db, dsn: dsn}, nil
}

func openSQLite(ctx context.Context, dsn string) (*Store, error) {
	path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	if path == "" {
		return nil, errors.New("store: empty SQLite path")
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("store: create %s: %w", dir, err)
		}
	}
	pragmas := url.Values{}
	// WAL lets readers proceed while the single writer commits.
	pragmas.Add("_pragma", "journal_mode(WAL)")
	// FULL: a committed notification survives power loss, not only a process crash.
	pragmas.Add("_pragma", "synchronous(FULL)")
	pragmas.Add("_pragma", "foreign_keys(ON)")
	pragmas.Add("_pragma", "busy_timeout(10000)")
	// Savepoints (one per unit of a group commit) and statement journals stay in memory: with a
	// temporary file they spilled past 64 KiB and cost two pwrite calls per page a unit touched
	// (13 % of the server's CPU under 32 clients). They hold only pages of the open transaction.
	pragmas.Add("_pragma", "temp_store(MEMORY)")
	// No checkpoint inside a commit: the checkpointer runs them on a connection of its own.
	pragmas.Add("_pragma", "wal_autocheckpoint(0)")
	// A fixed, sortable text form for times (all are stored in UTC).
	pragmas.Set("_time_format", "sqlite")
	wdsn := "file:" + path + "?" + pragmas.Encode() + "&_txlock=immediate"
	w, err := sql.Open("sqlite", wdsn)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	// One writer connection: SQLite serialises writers anyway, and queuing them in Go avoids
	// SQLITE_BUSY storms under load.
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite %s: %w", path, err)
	}
	rp := url.Values{}
	rp.Add("_pragma", "busy_timeout(10000)")
	rp.Add("_pragma", "foreign_keys(ON)")
	// The read pool refuses writes, so a write that forgot InTx fails loudly in tests.
	rp.Add("_pragma", "query_only(1)")
	rp.Set("_time_format", "sqlite")
	r, err := sql.Open("sqlite", "file:"+path+"?"+rp.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open sqlite readers: %w", err)
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8)
	cp := url.Values{}
	cp.Add("_pragma", "busy_timeout(10000)")
	c, err := sql.Open("sqlite", "file:"+path+"?"+cp.Encode())
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("store: open sqlite checkpointer: %w", err)
	}
	c.SetMaxOpenConns(1)
	c.SetMaxIdleConns(1)
	c.SetConnMaxIdleTime(0)
	g := newGroup()
	st := &Store{w: w, r: r, dsn: path, wstmts: newStmtCache(w), rstmts: newStmtCache(r), group: g, ckpt: startCheckpointer(c, &g.committed)}
	st.Queries = Queries{q: counting{dbQuerier{db: r, cache: st.rstmts}}, dialect: SQLite, rc: newReadCache()}
	return st, nil
}

// WithClock is the same database (pools, group commit, read cache) whose transactions read their
// Now from now: for work dated on a clock of its own, as the demo's past orders are. Close only
// the original.
func (s *Store) WithClock(now func() time.Time) *Store {
	c := *s
	c.Now = now
	return &c
}

// Close closes both pools.
func (s *Store) Close() error {
	var err error
	if s.ckpt != nil {
		err = s.ckpt.close()
	}
	if s.wstmts != nil {
		s.wstmts.close()
		s.rstmts.close()
	}
	err = errors.Join(err, s.w.Close())
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return err
}

// DB is the writer database handle, for tests that inspect or damage the database directly.
func (s *Store) DB() *sql.DB { return s.w }

// Ping checks that the database answers (readiness).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	var one int
	if err := s.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("store: ping readers: %w", err)
	}
	return nil
}

// SchemaVersions reports the schema version the database is at and the one this binary
// expects (its newest embedded migration). Readiness requires them equal.
func (s *Store) SchemaVersions(ctx context.Context) (current, want int64, err error) {
	entries, err := fs.ReadDir(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return 0, 0, fmt.Errorf("store: migrations: %w", err)
	}
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".sql"); ok {
			var v int64
			if _, err := fmt.Sscanf(n, "%d_", &v); err == nil && v > want {
				want = v
			}
		}
	}
	var cur sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT MAX(version_id) FROM goose_db_version WHERE is_applied`).Scan(&cur); err != nil {
		return 0, want, fmt.Errorf("store: schema version: %w", err)
	}
	return cur.Int64, want, nil
}

// SchemaID is a digest of the dialect's migrations (their names and text): databases migrated
// by binaries with the same SchemaID have the same schema. Tests name their migrated template
// databases by it (storetest).
func SchemaID(d Dialect) (string, error) {
	dir := "migrations/" + string(d)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return "", fmt.Errorf("store: migrations: %w", err)
	}
	h := sha256.New()
	for _, e := range entries { // ReadDir sorts by name: the order goose applies them in
		b, err := fs.ReadFile(migrations, dir+"/"+e.Name())
		if err != nil {
			return "", fmt.Errorf("store: migrations: %w", err)
		}
		fmt.Fprintf(h, "%s %d\n", e.Name(), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// IsUnavailable reports an error that says the database is out of reach or not migrated (rather
// than a fault of the request or of homebell): the API answers 503 with Retry-After.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	s := err.Error()
	for _, m := range []string{"sql: database is closed", "connection refused", "failed to connect", "conn closed",
		"no such table", "SQLSTATE 42P01", "SQLSTATE 57P0", "SQLSTATE 08", "SQLSTATE 53300", "broken pipe",
		"connection reset", "unexpected EOF", "database is locked", "disk I/O error", "unable to open database"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// Migrate applies every pending migration of this dialect.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations/"+string(s.dialect))
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	d := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	if s.dialect == Postgres {
		d = goose.DialectPostgres
		// Every node migrates on start; nodes starting together take turns on an advisory lock
		// instead of applying the same migration twice. Retry each second, for up to 5 minutes.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return fmt.Errorf("store: migrations: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(d, s.w, sub, opts...)
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// Tx is one database transaction: every query of Queries, plus hooks that run after commit.
// On SQLite it is one caller's unit of work inside a transaction shared with other callers
// (group commit, see group.go); to its caller it behaves as a transaction of its own.
type Tx struct {
	Queries
	tx          *sql.Tx
	unit        *unit // SQLite: the savepoint in the shared transaction
	ended       bool
	afterCommit []func()
	atEnd       []func() // run when the transaction ends, committed or not: cache drops
	now         time.Time
}

// Now is the time the transaction began, read once from the store's clock: every row one change
// writes carries this one timestamp, however long the change takes (as wtf's BeginTx does).
// Services pass it to the write methods' now instead of reading their clock again.
func (tx *Tx) Now() time.Time { return tx.now }

// SQL is the underlying transaction, for tests that run raw statements inside one.
func (tx *Tx) SQL() *sql.Tx { return tx.tx }

// AfterCommit registers f to run once the transaction has committed (e.g. waking realtime
// clients). It never runs if the transaction rolls back.
func (tx *Tx) AfterCommit(f func()) { tx.afterCommit = append(tx.afterCommit, f) }

// InTx runs fn in one transaction: it commits if fn returns nil and rolls back otherwise.
// This is the whole guarantee of homebell: the state change, its notifications, the event log and
// the delivery jobs commit together or not at all. InTx returns only once the work is durable
// (or failed), and the AfterCommit hooks run after the real commit.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	if s.ObserveTx != nil {
		start := time.Now()
		defer func() { s.ObserveTx(time.Since(start)) }()
	}
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	// A panic in fn must not leave the transaction open: on SQLite it would hold the one writer
	// connection forever once something up the stack recovers.
	defer func() {
		if v := recover(); v != nil {
			tx.rollback()
			panic(v)
		}
	}()
	// A request sent with an Idempotency-Key records its key in the first of its transactions
	// that commits, as part of the action (see IdempotencyClaim).
	claim := claimFrom(ctx)
	if claim != nil && claim.committed {
		claim = nil
	}
	if claim != nil {
		if err := tx.claimInTx(ctx, claim); err != nil {
			tx.rollback()
			return err
		}
	}
	if err := fn(tx); err != nil {
		tx.rollback()
		if tx.pend != nil && tx.pend.err != nil {
			return tx.pend.err // what aborted the transaction, not the failure of what came after
		}
		return err
	}
	if claim != nil {
		if err := tx.noteRefInTx(ctx, claim); err != nil {
			tx.rollback()
			return err
		}
	}
	if err := tx.commit(ctx); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	if claim != nil {
		claim.committed = true
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

// begin starts a transaction: on SQLite a unit of work in the shared transaction.
func (s *Store) begin(ctx context.Context) (*Tx, error) {
	if s.group != nil {
		return s.group.begin(ctx, s)
	}
	sqlTx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	return s.newTx(s.txQueries(sqlTx), sqlTx, nil), nil
}

// newTx makes the Tx of a transaction (or of a unit of work in a shared one), stamped with the
// time it begins: on SQLite once the unit has the writer, so the stamp is not older than the wait.
func (s *Store) newTx(q querier, sqlTx *sql.Tx, u *unit) *Tx {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	tx := &Tx{Queries: Queries{q: counting{q}, dialect: s.dialect, rc: s.rc, inTx: true}, tx: sqlTx, unit: u, now: now()}
	if s.dialect == Postgres {
		tx.pend = &pending{q: counting{q}}
		tx.Queries.q = flushing{tx.pend}
	}
	tx.Queries.atEnd = func(f func()) { tx.atEnd = append(tx.atEnd, f) }
	return tx
}

// rollback undoes the transaction's work; after commit or rollback it does nothing.
func (tx *Tx) rollback() {
	if tx.ended {
		return
	}
	tx.ended = true
	defer tx.end()
	if tx.pend != nil {
		tx.pend.writes, tx.pend.keys = nil, nil
	}
	if tx.unit != nil {
		tx.unit.rollback()
		return
	}
	_ = tx.tx.Rollback()
}

// commit makes the work durable; it returns when it is, or failed. Deferred writes still
// waiting run first.
func (tx *Tx) commit(ctx context.Context) error {
	if tx.pend != nil {
		if err := tx.pend.flush(ctx); err != nil {
			tx.rollback()
			return err
		}
	}
	tx.ended = true
	defer tx.end()
	if tx.unit != nil {
		return tx.unit.commit()
	}
	return tx.tx.Commit()
}

// end runs the atEnd hooks once the transaction has committed or rolled back.
func (tx *Tx) end() {
	for _, f := range tx.atEnd {
		f()
	}
	tx.atEnd = nil
}

// txQueries is what a transaction's queries run on: the statement cache on SQLite.
func (s *Store) txQueries(tx *sql.Tx) querier {
	if s.wstmts == nil {
		return tx
	}
	return txQuerier{tx: tx, cache: s.wstmts}
}

func notFound(what, id string) error {
	return model.Errorf(model.CodeNotFound, "%s %q not found", what, id)
}

// isUniqueViolation reports a primary-key or unique constraint failure in either dialect, by the
// driver's error code (SQLite's extended result codes, PostgreSQL's SQLSTATE 23505), never by the
// text of the message.
func isUniqueViolation(err error) bool {
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || lite.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "23505" // unique_violation
}

// utc normalises a time for storage: UTC, at the microsecond precision PostgreSQL keeps, so the
// value a write hands back equals what a later read returns, in both dialects.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// PurgeInBatches runs purge — a delete of at most limit rows — in one transaction after another
// until a batch deletes fewer than limit, so a purge never holds the database for long; it
// returns how many rows were deleted in all.
func (s *Store) PurgeInBatches(ctx context.Context, limit int, purge func(tx *Tx) (int64, error)) (int64, error) {
	var total int64
	for {
		var n int64
		if err := s.InTx(ctx, func(tx *Tx) (err error) {
			n, err = purge(tx)
			return err
		}); err != nil {
			return total, err
		}
		total += n
		if n < int64(limit) {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}
