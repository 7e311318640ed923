package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"
)

// The message center's first page (S4) on a big SQLite database: benchPerson has benchPersonRows
// notifications among many other people's. Run:
//
//	go test -run '^$' -bench BenchmarkInboxFirstPage -benchtime 20000x ./internal/store/
//	HOMEBELL_BENCH_BIG=1 go test -run '^$' -bench 'BenchmarkInboxFirstPage/10M' -benchtime 20000x -timeout 1h ./internal/store/
//
// The database is generated once into os.TempDir(), keyed by row count and a hash of the SQLite
// migrations, and reused by later runs. Each variant reports p50 and p99 of single-query latency.
const (
	benchPerson     = "p-bench"
	benchPersonRows = 10_000
	benchOthers     = 10_000 // the other rows are spread over this many people
)

// benchEpoch is "now" of the generated data: rows spread over the 180 days before it.
var benchEpoch = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func BenchmarkInboxFirstPage(b *testing.B) {
	for _, size := range []struct {
		name  string
		total int
		big   bool
	}{{"1M", 1_000_000, false}, {"10M", 10_000_000, true}} {
		b.Run(size.name, func(b *testing.B) {
			if size.big && os.Getenv("HOMEBELL_BENCH_BIG") != "1" {
				b.Skip("set HOMEBELL_BENCH_BIG=1 to build (once, ~minutes) and use the 10-million-row database")
			}
			path := benchDatabase(b, size.total)
			ctx := context.Background()
			s, err := Open(ctx, path)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			var n int
			if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE recipient_id = $1`, benchPerson).Scan(&n); err != nil || n != benchPersonRows {
				b.Fatalf("bench person has %d rows (err %v), want %d", n, err, benchPersonRows)
			}
			// A cursor half-way down, for the deep-page variants.
			deep := func(byImp bool) *InboxKey {
				rows, err := s.Inbox(ctx, InboxQuery{RecipientID: benchPerson, ByImportance: byImp, Limit: benchPersonRows / 2})
				if err != nil || len(rows) == 0 {
					b.Fatalf("deep cursor: %v", err)
				}
				k := InboxKeyOf(rows[len(rows)-1])
				return &k
			}
			// Every variant must search an index (never SCAN the table); the plan is logged so a
			// run shows which one (docs/benchmarks.md records them).
			variants := []struct {
				name string
				q    InboxQuery
			}{
				{"sort=time", InboxQuery{}},
				{"sort=importance", InboxQuery{ByImportance: true}},
				{"sort=time/page=250", InboxQuery{After: deep(false)}},
				{"sort=importance/page=250", InboxQuery{ByImportance: true, After: deep(true)}},
				{"sort=time/category=exception", InboxQuery{Category: "exception"}},
				{"sort=importance/category=exception", InboxQuery{ByImportance: true, Category: "exception"}},
				{"sort=time/kind=order.cancelled", InboxQuery{Category: "exception", Kind: "order.cancelled"}},
				{"sort=importance/kind=order.cancelled", InboxQuery{ByImportance: true, Category: "exception", Kind: "order.cancelled"}},
				{"sort=time/unread", InboxQuery{UnreadOnly: true}},
				{"sort=importance/unread", InboxQuery{ByImportance: true, UnreadOnly: true}},
				{"sort=time/order_id", InboxQuery{OrderID: "o-17"}},
				{"sort=importance/order_id", InboxQuery{ByImportance: true, OrderID: "o-17"}},
				{"sort=time/q=kitchen", InboxQuery{Search: "kitchen"}},
			}
			for _, v := range variants {
				q := v.q
				q.RecipientID, q.Limit = benchPerson, 20
				b.Run(v.name, func(b *testing.B) {
					plan := explain(b, s.r, q)
					if !strings.HasPrefix(plan, "SEARCH notifications USING INDEX") {
						b.Fatalf("the query does not search an index:\n%s", plan)
					}
					b.Logf("plan: %s", strings.ReplaceAll(plan, "\n", " | "))
					lat := make([]time.Duration, 0, b.N)
					b.ResetTimer()
					for b.Loop() {
						t0 := time.Now()
						rows, err := s.Inbox(ctx, q)
						lat = append(lat, time.Since(t0))
						if err != nil || len(rows) == 0 {
							b.Fatalf("inbox: %d rows, %v", len(rows), err)
						}
					}
					b.StopTimer()
					slices.Sort(lat)
					pct := func(p float64) float64 {
						return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
					}
					b.ReportMetric(pct(0.50), "p50-ms")
					b.ReportMetric(pct(0.99), "p99-ms")
				})
			}
		})
	}
}

// explain returns SQLite's query plan of q, one step a line.
func explain(b *testing.B, db *sql.DB, q InboxQuery) string {
	b.Helper()
	query, args := inboxSQL(q)
	rows, err := db.Query(`EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			b.Fatal(err)
		}
		lines = append(lines, detail)
	}
	return strings.Join(lines, "\n")
}

// benchDatabase returns the path of a migrated SQLite database with total notifications, building
// it on first use. It is keyed by the migrations' hash, so a schema change builds a new one.
func benchDatabase(b *testing.B, total int) string {
	b.Helper()
	h := sha256.New()
	files, err := filepath.Glob("migrations/sqlite/*.sql")
	if err != nil || len(files) == 0 {
		b.Fatalf("migrations: %v", err)
	}
	sort.Strings(files)
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		h.Write(raw)
	}
	path := filepath.Join(os.TempDir(), fmt.Sprintf("homebell-inbox-bench-%d-%s.db", total, hex.EncodeToString(h.Sum(nil))[:12]))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	start := time.Now()
	tmp := path + ".building"
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(tmp + suffix)
	}
	ctx := context.Background()
	s, err := Open(ctx, tmp)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	s.Close()
	if err := fillBenchDatabase(ctx, tmp, total); err != nil {
		b.Fatalf("build bench database: %v", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %s with %d notifications in %s", path, total, time.Since(start).Round(time.Second))
	return path
}

// fillBenchDatabase writes the rows with a few INSERT … SELECT statements over a recursive CTE in
// one transaction, with the notifications indexes dropped during the load and rebuilt after
// (building an index from sorted rows beats millions of random B-tree inserts). The index
// definitions are read back from the schema, so they are exactly the migrations'.
func fillBenchDatabase(ctx context.Context, path string, total int) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(DELETE)&_pragma=synchronous(OFF)&_pragma=cache_size(-1000000)&_pragma=foreign_keys(OFF)&_pragma=temp_store(MEMORY)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var indexes []string
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'notifications' AND sql IS NOT NULL`)
	if err != nil {
		return err
	}
	var names []string
	for rows.Next() {
		var name, ddl string
		if err := rows.Scan(&name, &ddl); err != nil {
			return err
		}
		names, indexes = append(names, name), append(indexes, ddl)
	}
	rows.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	exec := func(q string, args ...any) error {
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%.80s…: %w", q, err)
		}
		return nil
	}
	for _, n := range names {
		if err := exec(`DROP INDEX ` + n); err != nil {
			return err
		}
	}
	ts := func(col string) string {
		return `strftime('%Y-%m-%d %H:%M:%S', ` + col + `, 'unixepoch') || '+00:00'`
	}
	if err := exec(`INSERT INTO people (id, role, name, created_at, updated_at) VALUES ($1, 'customer', 'Bench', $2, $2)`,
		benchPerson, benchEpoch); err != nil {
		return err
	}
	if err := exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $1)
		INSERT INTO people (id, role, name, created_at, updated_at)
		SELECT printf('p-%05d', i), 'customer', 'Person ' || i, $2, $2 FROM n`, benchOthers, benchEpoch); err != nil {
		return err
	}
	// Row i: kind by i % 20 (service 40%, exception 15%, platform 30%, interaction 15%), spread
	// pseudo-randomly over 180 days, 30% unread, orders on service and exception rows. The first
	// benchPersonRows rows are the measured person's.
	const kinds = `CASE i % 20
		WHEN 0 THEN 'service.starting_soon' WHEN 1 THEN 'order.accepted' WHEN 2 THEN 'order.accepted'
		WHEN 3 THEN 'service.completed' WHEN 4 THEN 'service.completed' WHEN 5 THEN 'order.assigned'
		WHEN 6 THEN 'service.started' WHEN 7 THEN 'service.started'
		WHEN 8 THEN 'order.cancelled' WHEN 9 THEN 'schedule.changed' WHEN 10 THEN 'schedule.changed'
		WHEN 11 THEN 'platform.promotion' WHEN 12 THEN 'platform.promotion' WHEN 13 THEN 'platform.promotion'
		WHEN 14 THEN 'platform.new_service' WHEN 15 THEN 'platform.promotion' WHEN 16 THEN 'platform.new_service'
		ELSE 'chat.message' END`
	const categories = `CASE WHEN i % 20 < 8 THEN 'service' WHEN i % 20 < 11 THEN 'exception'
		WHEN i % 20 < 17 THEN 'platform' ELSE 'interaction' END`
	const importance = `CASE WHEN i % 20 IN (0, 8) THEN 3 WHEN i % 20 IN (1, 2, 3, 4, 5, 9, 10) THEN 2
		WHEN i % 20 < 11 OR i % 20 >= 17 THEN 1 ELSE 0 END`
	created := `(` + fmt.Sprint(benchEpoch.Unix()) + ` - ((i * 7919 + i / 7) % 15552000))`
	err = exec(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $1)
		INSERT INTO notifications (id, recipient_id, kind, category, importance, title, body, data, order_id, event_key, alert, created_at, read_at)
		SELECT printf('%08x-0000-7000-8000-%012x', `+created+`, i),
			CASE WHEN i < $2 THEN $3 ELSE printf('p-%05d', i % $4) END,
			`+kinds+`, `+categories+`, `+importance+`,
			'Title of notification ' || i,
			CASE WHEN i % 97 = 0 THEN 'Deep cleaning for the kitchen, booking ' || i ELSE 'Your booking ' || i || ' is on its way as planned.' END,
			'{}',
			CASE WHEN i % 20 < 11 THEN 'o-' || (i / 20) END,
			'k:' || i, 'sound', `+ts(created)+`,
			CASE WHEN i % 10 < 3 THEN NULL ELSE `+ts(created+` + 3600`)+` END
		FROM n`, total, benchPersonRows, benchPerson, benchOthers)
	if err != nil {
		return err
	}
	for _, ddl := range indexes {
		if err := exec(ddl); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.ExecContext(ctx, `PRAGMA journal_mode=WAL`)
	return err
}
