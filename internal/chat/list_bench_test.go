package chat_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/chat"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// The conversation list's first page (GET /v1/me/conversations, I1) on a big SQLite database:
// 1,000,000 order conversations with 20 messages each (20,000,000 messages), two members each,
// over 100,000 customers and 20,000 workers. Run:
//
//	go test -run '^$' -bench BenchmarkConversationList/100k -benchtime 5000x ./internal/chat/
//	HOMEBELL_BENCH_BIG=1 go test -run '^$' -bench 'BenchmarkConversationList/1M' -benchtime 5000x -timeout 1h ./internal/chat/
//
// The database is built once into os.TempDir() (keyed by size and a hash of the migrated schema)
// and reused. "store" times the list query alone (store.PersonConversations, 21 rows: a page and
// the has-more probe); "mine" times chat.Service.Mine — what the handler calls: the query plus
// each conversation's view (members with their cards, unread count, whether it takes messages).
// Both report p50 and p99 of single calls.

// convBenchEpoch is "now" of the generated data: conversations spread over the 180 days before it.
var convBenchEpoch = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

const convBenchMessages = 20 // per conversation

func BenchmarkConversationList(b *testing.B) {
	for _, size := range []struct {
		name  string
		convs int
		big   bool
	}{{"100k", 100_000, false}, {"1M", 1_000_000, true}} {
		b.Run(size.name, func(b *testing.B) {
			if size.big && os.Getenv("HOMEBELL_BENCH_BIG") != "1" {
				b.Skip("set HOMEBELL_BENCH_BIG=1 to build (once, ~minutes) and use the 1M-conversation, 20M-message database")
			}
			path := convBenchDatabase(b, size.convs)
			ctx := context.Background()
			s, err := store.Open(ctx, path)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			s.Now = func() time.Time { return convBenchEpoch }
			svc := &chat.Service{Store: s, Now: s.Now}
			for _, who := range []struct {
				id   string
				role model.Role
				n    int // conversations
			}{{"w-heavy", model.RoleWorker, size.convs / 1000}, {"w-00000", model.RoleWorker, size.convs / 20000},
				{"c-heavy", model.RoleCustomer, size.convs / 2000}, {"c-000000", model.RoleCustomer, size.convs / 100000}} {
				plan, err := s.ExplainPersonConversations(ctx, who.id, "", nil, 21)
				if err != nil {
					b.Fatal(err)
				}
				if !strings.Contains(plan, "USING INDEX conversation_members_person") || strings.Contains(plan, "TEMP B-TREE") {
					b.Fatalf("the list does not walk conversation_members_person in order:\n%s", plan)
				}
				b.Run(fmt.Sprintf("%s-%d/store", who.id, who.n), func(b *testing.B) {
					b.Logf("plan: %s", strings.ReplaceAll(plan, "\n", " | "))
					timeIt(b, func() int {
						rows, err := s.PersonConversations(ctx, who.id, "", nil, 21)
						if err != nil {
							b.Fatal(err)
						}
						return len(rows)
					}, min(21, who.n))
				})
				b.Run(fmt.Sprintf("%s-%d/mine", who.id, who.n), func(b *testing.B) {
					a := chat.Actor{ID: who.id, Role: who.role}
					timeIt(b, func() int {
						items, _, err := svc.Mine(ctx, a, chat.ListQuery{Limit: 20})
						if err != nil {
							b.Fatal(err)
						}
						return len(items)
					}, min(20, who.n))
				})
			}
		})
	}
}

// timeIt runs fn b.N times, checks it returned want rows, and reports p50 and p99 in ms.
func timeIt(b *testing.B, fn func() int, want int) {
	b.Helper()
	lat := make([]time.Duration, 0, b.N)
	for b.Loop() {
		t0 := time.Now()
		n := fn()
		lat = append(lat, time.Since(t0))
		if n != want {
			b.Fatalf("%d rows, want %d", n, want)
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(len(lat)-1, int(float64(len(lat))*p))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// convBenchDatabase returns a migrated SQLite database with convs conversations, building it on
// first use.
func convBenchDatabase(b *testing.B, convs int) string {
	b.Helper()
	ctx := context.Background()
	fresh := filepath.Join(b.TempDir(), "schema.db")
	s, err := store.Open(ctx, fresh)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	var schema string
	if err := s.DB().QueryRowContext(ctx, `SELECT group_concat(coalesce(sql, ''), ';') FROM (SELECT sql FROM sqlite_master ORDER BY name)`).Scan(&schema); err != nil {
		b.Fatal(err)
	}
	s.Close()
	sum := sha256.Sum256([]byte(schema))
	path := filepath.Join(os.TempDir(), fmt.Sprintf("homebell-chat-bench-%d-%s.db", convs, hex.EncodeToString(sum[:])[:12]))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	start := time.Now()
	raw, err := os.ReadFile(fresh)
	if err != nil {
		b.Fatal(err)
	}
	tmp := path + ".building"
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		os.Remove(tmp + suffix)
	}
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := fillConvBench(ctx, tmp, convs); err != nil {
		b.Fatalf("build bench database: %v", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	b.Logf("built %s with %d conversations and %d messages in %s", path, convs, convs*convBenchMessages, time.Since(start).Round(time.Second))
	return path
}

// fillConvBench writes the rows with INSERT … SELECT over recursive CTEs in one transaction, with
// the secondary indexes of the tables it fills dropped during the load and rebuilt after from
// their own definitions (so they are exactly the migrations'). Rows go in primary-key order.
func fillConvBench(ctx context.Context, path string, convs int) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(DELETE)&_pragma=synchronous(OFF)&_pragma=cache_size(-1000000)&_pragma=foreign_keys(OFF)&_pragma=temp_store(MEMORY)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var names, indexes []string
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN ('people', 'orders', 'conversations', 'conversation_members', 'messages')`)
	if err != nil {
		return err
	}
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
		t0 := time.Now()
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%.80s…: %w", q, err)
		}
		if d := time.Since(t0); d > 5*time.Second {
			fmt.Fprintf(os.Stderr, "  %.60s… %s\n", strings.Join(strings.Fields(q), " "), d.Round(time.Second))
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
	epoch := fmt.Sprint(convBenchEpoch.Unix())
	at := `(` + epoch + ` - ((i * 7919) % 15552000))` // conversation i's last message, spread over 180 days
	customer := `CASE WHEN i % 2000 = 3 THEN 'c-heavy' ELSE printf('c-%06d', i % 100000) END`
	worker := `CASE WHEN i % 1000 = 7 THEN 'w-heavy' ELSE printf('w-%05d', i % 20000) END`
	seq := func(n int) string {
		return fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < %d) `, n)
	}
	now := convBenchEpoch
	steps := []struct {
		q    string
		args []any
	}{
		{`INSERT INTO service_items (id, name_zh, name_en, duration_minutes, price_cents, created_at, updated_at)
			VALUES ('si-bench', '日常保洁', 'Daily cleaning', 120, 12000, $1, $1)`, []any{now}},
		{seq(100000) + `INSERT INTO people (id, role, name, created_at, updated_at)
			SELECT printf('c-%06d', i), 'customer', '客户 ' || i, $1, $1 FROM n`, []any{now}},
		{seq(20000) + `INSERT INTO people (id, role, name, created_at, updated_at)
			SELECT printf('w-%05d', i), 'worker', '师傅 ' || i, $1, $1 FROM n`, []any{now}},
		{`INSERT INTO people (id, role, name, created_at, updated_at) VALUES ('c-heavy', 'customer', '大客户', $1, $1),
			('w-heavy', 'worker', '忙碌的王阿姨', $1, $1)`, []any{now}},
		// 60 % completed (their chat stays writable 7 days), 30 % accepted, 10 % cancelled.
		{seq(convs) + `INSERT INTO orders (id, customer_id, worker_id, service_item_id, address, appointment_at, status, created_at, updated_at)
			SELECT printf('o-%07d', i), ` + customer + `, ` + worker + `, 'si-bench', '静安区 1 号', ` + ts(at) + `,
				CASE WHEN i % 10 < 6 THEN 'completed' WHEN i % 10 < 9 THEN 'accepted' ELSE 'cancelled' END,
				` + ts(at+` - 86400`) + `, ` + ts(at) + ` FROM n`, nil},
		{seq(convs) + `INSERT INTO conversations (id, kind, order_id, subject, last_seq, last_message_at, last_text, last_sender_id, created_at, updated_at)
			SELECT printf('cv-%07d', i), 'order', printf('o-%07d', i), '', ` + fmt.Sprint(convBenchMessages) + `, ` + ts(at) + `,
				'好的，明天见 ' || i, ` + worker + `, ` + ts(at+` - 86400`) + `, ` + ts(at) + ` FROM n`, nil},
		// Two members each; a third of customers and a fifth of workers have unread messages.
		{seq(convs) + `INSERT INTO conversation_members (conversation_id, person_id, role, last_read_seq, read_at, muted, sort_at, joined_at)
			SELECT printf('cv-%07d', i), CASE r WHEN 0 THEN ` + customer + ` ELSE ` + worker + ` END, CASE r WHEN 0 THEN 'customer' ELSE 'worker' END,
				CASE WHEN r = 0 AND i % 3 = 0 THEN 17 WHEN r = 1 AND i % 5 = 0 THEN 18 ELSE 20 END, ` + ts(at) + `, 0, ` + ts(at) + `, ` + ts(at+` - 86400`) + `
			FROM n, (SELECT 0 AS r UNION ALL SELECT 1)`, nil},
		{seq(convs*convBenchMessages) + `, m(i, j, s) AS (SELECT j / ` + fmt.Sprint(convBenchMessages) + `, j, j % ` + fmt.Sprint(convBenchMessages) + ` + 1 FROM (SELECT i AS j FROM n))
			INSERT INTO messages (conversation_id, seq, id, sender_id, sender_role, client_id, text, masked, file_ids, created_at)
			SELECT printf('cv-%07d', i), s, printf('m-%09d', j), CASE WHEN s % 2 = 1 THEN ` + customer + ` ELSE ` + worker + ` END,
				CASE WHEN s % 2 = 1 THEN 'customer' ELSE 'worker' END, 'k' || j,
				CASE WHEN s % 2 = 1 THEN '请问明天几点到？厨房需要重点清洁 ' || j ELSE '好的，明天上午九点到 ' || j END, '', '[]',
				` + ts(at+` - (`+fmt.Sprint(convBenchMessages)+` - s) * 60`) + ` FROM m`, nil},
	}
	for _, st := range steps {
		if err := exec(st.q, st.args...); err != nil {
			return err
		}
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
