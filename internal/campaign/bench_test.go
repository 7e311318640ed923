package campaign

// Benchmarks of campaigns at scale (docs/benchmarks.md): the message center's first page with 200
// live campaigns, off-app push planning in people per second, and how soon a campaign shows in
// message centers after its send time. Plain `go test` runs none of them.
//
//	HOMEBELL_BENCH_CUSTOMERS=1000000 go test ./internal/campaign -run '^$' -bench . -benchtime 1000x -timeout 1h
//
// The world (customers, orders, preferences, 200 campaigns) is built once per size with set-based
// SQL and cached: SQLite as a file under $TMPDIR that each run copies, PostgreSQL (when
// HOMEBELL_TEST_POSTGRES is set) as a template database that each run clones. Both are keyed by a
// hash of the migrations and of this file's world version, so a schema change builds anew.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/auth"
	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

var benchNow = time.Date(2026, 5, 4, 2, 0, 0, 0, time.UTC)

// benchWorldVersion changes whenever the world below changes, so cached worlds are rebuilt.
const benchWorldVersion = "2"

var benchAreas = []string{"浦东新区", "徐汇区", "静安区", "黄浦区", "闵行区"}

func benchCustomers() int {
	if n, err := strconv.Atoi(os.Getenv("HOMEBELL_BENCH_CUSTOMERS")); err == nil && n > 0 {
		return n
	}
	return 20_000
}

func benchID(i int) string { return fmt.Sprintf("c-%07d", i) }

// benchDBs names the PostgreSQL database of a store (for its backends' CPU time).
var benchDBs sync.Map // *store.Store -> string

// benchService opens the world of customers on dialect and returns a campaign service over it
// (clock fixed at benchNow) and the customers' ids.
func benchService(b *testing.B, dialect string, customers int) (*Service, []string) {
	ids := make([]string, customers)
	for i := range ids {
		ids[i] = benchID(i)
	}
	st := benchStore(b, dialect, customers)
	now := func() time.Time { return benchNow }
	st.Now = now
	s := &Service{Store: st, Jobs: jobs.New(st, now, slog.Default()), Notify: &notify.Service{Store: st, Now: now}, Now: now}
	s.Notify.Broadcasts = s
	return s, ids
}

// benchHash keys cached worlds: the migrations of both dialects and the world's version.
func benchHash(b *testing.B) string {
	h := sha256.New()
	h.Write([]byte(benchWorldVersion))
	for _, d := range []string{"sqlite", "postgres"} {
		files, err := filepath.Glob("../store/migrations/" + d + "/*.sql")
		if err != nil || len(files) == 0 {
			b.Fatalf("migrations: %v", err)
		}
		slices.Sort(files)
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				b.Fatal(err)
			}
			h.Write(raw)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// benchStore opens a private copy of the cached world, building the world first when needed.
func benchStore(b *testing.B, dialect string, customers int) *store.Store {
	b.Helper()
	hash := benchHash(b)
	if dialect == "sqlite" {
		path := filepath.Join(os.TempDir(), fmt.Sprintf("homebell-campaign-bench-%d-%s.db", customers, hash))
		if _, err := os.Stat(path); err != nil {
			tmp := path + ".building"
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(tmp + suffix)
			}
			buildWorld(b, tmp, customers)
			if err := os.Rename(tmp, path); err != nil {
				b.Fatal(err)
			}
		}
		dst := storetest.SQLitePath(b)
		copyFile(b, path, dst)
		return storetest.Open(b, dst)
	}
	admin := os.Getenv(storetest.EnvPostgres)
	name := fmt.Sprintf("hb_bench_campaigns_%d_%s", customers, hash)
	var exists bool
	adminDo(b, admin, func(db *sql.DB) error {
		return db.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists)
	})
	if !exists {
		building := name + "_building"
		adminDo(b, admin, func(db *sql.DB) error {
			if _, err := db.Exec(`DROP DATABASE IF EXISTS ` + building + ` WITH (FORCE)`); err != nil {
				return err
			}
			_, err := db.Exec(`CREATE DATABASE ` + building)
			return err
		})
		buildWorld(b, withDB(b, admin, building), customers)
		adminDo(b, admin, func(db *sql.DB) error {
			_, err := db.Exec(`ALTER DATABASE ` + building + ` RENAME TO ` + name)
			return err
		})
	}
	clone := fmt.Sprintf("hb_test_bench_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	adminDo(b, admin, func(db *sql.DB) error {
		_, err := db.Exec(`CREATE DATABASE ` + clone + ` TEMPLATE ` + name)
		return err
	})
	b.Cleanup(func() {
		adminDo(b, admin, func(db *sql.DB) error {
			_, err := db.Exec(`DROP DATABASE IF EXISTS ` + clone + ` WITH (FORCE)`)
			return err
		})
	})
	st := storetest.Open(b, withDB(b, admin, clone))
	benchDBs.Store(st, clone)
	return st
}

func withDB(b *testing.B, admin, name string) string {
	u, err := url.Parse(admin)
	if err != nil {
		b.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

func adminDo(b *testing.B, admin string, fn func(db *sql.DB) error) {
	b.Helper()
	db, err := sql.Open("pgx", admin)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := fn(db); err != nil {
		b.Fatal(err)
	}
}

func copyFile(b *testing.B, src, dst string) {
	b.Helper()
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// buildWorld fills a new database: customers (a tenth with a completed order, a twentieth with
// platform news off), 200 live campaigns of every audience kind (a fifth of them lists of 1,000),
// and 30 notifications for each of the first 1,000 customers. People, orders and preferences are
// written by INSERT … SELECT over a generated series; the rest through the store.
func buildWorld(b *testing.B, dsn string, customers int) {
	b.Helper()
	start := time.Now()
	ctx := context.Background()
	st, err := store.Open(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		it := model.ServiceItem{ID: "daily-cleaning", Name: model.Text{ZH: "日常保洁"}, DurationMinutes: 180, PriceCents: 15000, Active: true}
		_, err := tx.UpsertServiceItem(ctx, &it, benchNow)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	// The bulk rows go through a connection of our own: the store has no statement for them.
	raw, series, id := dsn, `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < $1) `, `printf('c-%07d', i)`
	driver := "sqlite"
	from := ` FROM n`
	if st.Dialect() == store.Postgres {
		driver, series, id, from = "pgx", ``, `'c-' || lpad(i::text, 7, '0')`, ` FROM generate_series(0, $1 - 1) AS n(i)`
	} else {
		raw = "file:" + dsn + "?_pragma=synchronous(OFF)&_pragma=foreign_keys(OFF)&_pragma=cache_size(-200000)&_time_format=sqlite"
	}
	db, err := sql.Open(driver, raw)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	area := func(expr string) string {
		var sb strings.Builder
		sb.WriteString(`CASE ` + expr)
		for k, a := range benchAreas {
			fmt.Fprintf(&sb, ` WHEN %d THEN '%s'`, k, a)
		}
		sb.WriteString(` END`)
		return sb.String()
	}
	for _, q := range []string{
		series + `INSERT INTO people (id, role, name, locale, time_zone, area, created_at, updated_at)
			SELECT ` + id + `, 'customer', '客户', 'zh-CN', 'Asia/Shanghai', ` + area("i % 5") + `, $2, $2` + from,
		series + `INSERT INTO orders (id, customer_id, service_item_id, address, appointment_at, status, created_at, updated_at)
			SELECT 'o-' || ` + id + `, ` + id + `, 'daily-cleaning', ` + area("(i / 10) % 5") + ` || ' 某路 1 号', $3, 'completed', $4, $2` +
			from + ` WHERE i % 10 = 0`,
		series + `INSERT INTO preferences (person_id, prefs, updated_at)
			SELECT ` + id + `, '{"categories":{"platform":false}}', $2` + from + ` WHERE i % 20 = 0`,
	} {
		args := []any{customers, benchNow, benchNow.Add(-48 * time.Hour), benchNow.Add(-72 * time.Hour)}
		if !strings.Contains(q, "$3") {
			args = args[:2]
		}
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("%.60s…: %v", strings.TrimSpace(q), err)
		}
	}
	if st.Dialect() == store.Postgres {
		if _, err := db.ExecContext(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		for i := range min(customers, 1000) {
			for k := range 30 {
				n := model.Notification{ID: model.NewID(), RecipientID: benchID(i), Kind: notify.KindServiceStarted, Category: "service",
					Importance: "normal", Title: "服务已开始", Body: "……", EventKey: "bench:" + strconv.Itoa(k),
					CreatedAt: benchNow.Add(-time.Duration(k) * time.Hour)}
				if _, err := tx.InsertNotification(ctx, &n); err != nil {
					return err
				}
			}
		}
		for i := range 200 {
			aud := []model.Audience{{Kind: model.AudienceAll}, {Kind: model.AudienceNewCustomers},
				{Kind: model.AudienceItems, ServiceItemIDs: []string{"daily-cleaning"}}, {Kind: model.AudienceAreas, Areas: []string{benchAreas[i%len(benchAreas)]}},
				{Kind: model.AudienceList, ListSize: 1000}}[i%5]
			c := model.Campaign{ID: model.NewID(), Kind: model.CampaignPromotion, Title: model.Text{ZH: "活动 " + strconv.Itoa(i), EN: "Offer"},
				Body: model.Text{ZH: "优惠", EN: "Offer"}, ServiceItemIDs: []string{"daily-cleaning"},
				Rules: []model.PromotionRule{{Type: model.RuleSpendSave, ThresholdCents: 20000, SaveCents: 3000}}, Audience: aud,
				SendAt: benchNow.Add(-time.Duration(i) * time.Minute), State: model.CampaignLive, Version: 1, CreatedAt: benchNow, UpdatedAt: benchNow}
			ends := benchNow.Add(7 * 24 * time.Hour)
			starts := benchNow.Add(-24 * time.Hour)
			c.StartsAt, c.EndsAt = &starts, &ends
			if err := tx.InsertCampaign(ctx, &c); err != nil {
				return err
			}
			if aud.Kind == model.AudienceList {
				list := make([]string, 0, 1000)
				for k := range 1000 {
					list = append(list, benchID((k*37+i)%customers))
				}
				slices.Sort(list)
				if err := tx.ReplaceCampaignMembers(ctx, c.ID, slices.Compact(list)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: built a world of %d customers and 200 live campaigns in %s", st.Dialect(), customers, time.Since(start).Round(time.Second))
}

func benchDialects() []string {
	out := []string{"sqlite"}
	if os.Getenv(storetest.EnvPostgres) != "" {
		out = append(out, "postgres")
	}
	return out
}

// reportPeakRSS reports the process's peak resident set so far (VmHWM), in MB.
func reportPeakRSS(b *testing.B) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			b.ReportMetric(float64(kb)/1024, "peak-RSS-MB")
		}
	}
}

// cpuTime is the CPU time the process has used (user and system): on a shared machine it says
// what a page costs, where the wall clock also says how long it waited for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// backendCPU is the CPU time used by the PostgreSQL backends serving the store's database (0 on
// SQLite, which runs in the process): read from /proc, so it needs the server on this machine.
// Backends that exit between two readings take their time with them; the pool keeps them open.
func backendCPU(st *store.Store) time.Duration {
	name, ok := benchDBs.Load(st)
	if !ok {
		return 0
	}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var ticks int64
	for _, d := range dirs {
		cmd, err := os.ReadFile(d + "/cmdline")
		if err != nil || !strings.HasPrefix(string(cmd), "postgres: ") || !strings.Contains(string(cmd), " "+name.(string)+" ") {
			continue
		}
		stat, err := os.ReadFile(d + "/stat")
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis: state is field 3; utime, stime are 14, 15.
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(f) > 12 {
			u, _ := strconv.ParseInt(f[11], 10, 64)
			s, _ := strconv.ParseInt(f[12], 10, 64)
			ticks += u + s
		}
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ is 100 on Linux
}

func reportLatencies(b *testing.B, d []time.Duration, unit string) {
	slices.Sort(d)
	b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-"+unit)
	b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, "p99-"+unit)
	b.ReportMetric(float64(d[len(d)-1].Microseconds())/1000, "max-"+unit)
}

// BenchmarkMessageCenterWithCampaigns times one message-center first page (20 entries, newest
// first) of a random customer with 200 live campaigns, and reports p50 and p99.
func BenchmarkMessageCenterWithCampaigns(b *testing.B) {
	for _, dialect := range benchDialects() {
		// Set up here, not in the sub-benchmark: it runs once with b.N = 1 and again with the
		// requested N, and its cleanups run after each.
		s, ids := benchService(b, dialect, benchCustomers())
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			rnd := rand.New(rand.NewPCG(1, 2))
			shownSum := 0
			d := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			cpu0 := cpuTime() + backendCPU(s.Store)
			for range b.N {
				id := ids[rnd.IntN(min(len(ids), 1000))] // customers with notifications too
				t0 := time.Now()
				rows, err := s.Notify.Inbox(ctx, store.InboxQuery{RecipientID: id, Limit: 21})
				d = append(d, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				for _, r := range rows {
					if r.Category == "platform" {
						shownSum++
					}
				}
			}
			cpu := cpuTime() + backendCPU(s.Store) - cpu0
			b.StopTimer()
			reportLatencies(b, d, "ms")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "CPU-ms/page")
			b.ReportMetric(float64(shownSum)/float64(b.N), "campaigns/page")
			reportPeakRSS(b)
		})
	}
}

// BenchmarkPushPlanning walks an "all customers" campaign's audience one 1,000-person page per
// iteration, as the fan-out job does (read the page, commit the next page's job, decide, record
// the batch), and reports people per second of wall time and per CPU-second (this process, plus
// on PostgreSQL its backends). No one has a push target, so the plan writes no pushes: this is the
// planning alone.
func BenchmarkPushPlanning(b *testing.B) {
	for _, dialect := range benchDialects() {
		s, _ := benchService(b, dialect, benchCustomers())
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			c := model.Campaign{ID: "bench-all", Kind: model.CampaignPromotion, Audience: model.Audience{Kind: model.AudienceAll},
				SendAt: benchNow, State: model.CampaignLive}
			people := 0
			after := ""
			b.ResetTimer()
			t0, cpu0 := time.Now(), cpuTime()+backendCPU(s.Store)
			for range b.N {
				n, last, err := s.planPage(ctx, c, after, benchNow)
				if err != nil {
					b.Fatal(err)
				}
				people += n
				after = last
				if n < s.batchSize() {
					after = "" // walked the whole audience: start again
				}
			}
			el, cpu := time.Since(t0), cpuTime()+backendCPU(s.Store)-cpu0
			b.StopTimer()
			b.ReportMetric(float64(people)/el.Seconds(), "people/s")
			b.ReportMetric(float64(people)/cpu.Seconds(), "people/CPU-s")
			reportPeakRSS(b)
		})
	}
}

// BenchmarkCampaignVisible measures how long after its send time a campaign shows in an audience
// member's message center, on the node that created it and on another node (its own cache, same
// database). Each iteration creates two campaigns to all customers, one that goes now and one
// scheduled 600 ms ahead, and polls one random customer's first page on each node every 5 ms until
// it is there (a poll before the send time does not count as late). The clock runs from benchNow in
// real time.
func BenchmarkCampaignVisible(b *testing.B) {
	for _, dialect := range benchDialects() {
		a, ids := benchService(b, dialect, benchCustomers())
		b.Run(dialect, func(b *testing.B) {
			start := time.Now()
			now := func() time.Time { return benchNow.Add(time.Since(start)) }
			a.Now, a.Notify.Now, a.Store.Now = now, now, now
			a.Jobs = jobs.New(a.Store, now, slog.Default())
			other := &Service{Store: a.Store, Jobs: a.Jobs, Notify: a.Notify, Now: now}
			ctx := context.Background()
			op := auth.Principal{ID: "op", Role: model.RoleOperator}
			rnd := rand.New(rand.NewPCG(3, 4))
			// lat[scheduled][node]: created to go now or 600 ms later; this node or the other.
			var lat [2][2][]time.Duration
			for _, s := range []*Service{a, other} { // warm both caches
				if _, err := s.Notify.Inbox(ctx, store.InboxQuery{RecipientID: ids[0], Limit: 21}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for i := range 2 * b.N {
				sched := i % 2
				starts, ends := now(), now().Add(7*24*time.Hour)
				var sendAt time.Time // zero: now
				if sched == 1 {
					sendAt = now().Add(600 * time.Millisecond)
				}
				c, err := a.Create(ctx, op, model.Campaign{Kind: model.CampaignPromotion, Title: model.Text{ZH: "秒杀 " + strconv.Itoa(i), EN: "Flash"},
					Body: model.Text{ZH: "今天", EN: "Today"}, ServiceItemIDs: []string{"daily-cleaning"}, StartsAt: &starts, EndsAt: &ends,
					Audience: model.Audience{Kind: model.AudienceAll}, SendAt: sendAt})
				if err != nil {
					b.Fatal(err)
				}
				sent := time.Now().Add(c.SendAt.Sub(now()))
				var wg sync.WaitGroup
				for k, s := range []*Service{a, other} {
					id := ids[20+rnd.IntN(len(ids)-20)]
					for id[len(id)-1] == '0' && id[len(id)-2]%2 == 0 { // a twentieth switched platform news off
						id = ids[20+rnd.IntN(len(ids)-20)]
					}
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							rows, err := s.Notify.Inbox(ctx, store.InboxQuery{RecipientID: id, Limit: 21})
							if err != nil {
								b.Error(err)
								return
							}
							if slices.ContainsFunc(rows, func(n model.Notification) bool { return n.ID == c.ID }) {
								lat[sched][k] = append(lat[sched][k], max(0, time.Since(sent)))
								return
							}
							if time.Since(sent) > 10*time.Second {
								b.Errorf("campaign %s not shown to %s after 10 s", c.ID, id)
								return
							}
							time.Sleep(5 * time.Millisecond)
						}
					}()
				}
				wg.Wait()
			}
			b.StopTimer()
			if b.Failed() {
				return
			}
			reportLatencies(b, lat[0][0], "ms-now-this-node")
			reportLatencies(b, lat[0][1], "ms-now-other-node")
			reportLatencies(b, lat[1][0], "ms-scheduled-this-node")
			reportLatencies(b, lat[1][1], "ms-scheduled-other-node")
			reportPeakRSS(b)
		})
	}
}

// BenchmarkFanOut runs a whole "all customers" campaign's off-app fan-out through the durable jobs
// runner, as a node does: each page's job commits the next page's job and then plans its own, and
// the runner runs up to its Concurrency (16) pages at once. It reports people per second of wall
// time from the first page's job to the last page planned, and per CPU-second.
func BenchmarkFanOut(b *testing.B) {
	for _, dialect := range benchDialects() {
		s, ids := benchService(b, dialect, benchCustomers())
		b.Run(dialect, func(b *testing.B) {
			ctx := context.Background()
			var planned atomic.Int64
			r := jobs.New(s.Store, s.Now, slog.New(slog.DiscardHandler))
			s.Jobs = r
			r.Handle(JobBatch, func(ctx context.Context, j model.Job) error {
				var p batchPayload
				if err := json.Unmarshal(j.Payload, &p); err != nil {
					return err
				}
				c, err := s.Store.Campaign(ctx, p.CampaignID)
				if err != nil {
					return err
				}
				n, _, err := s.planPage(ctx, c, p.After, s.Now())
				planned.Add(int64(n))
				return err
			})
			runCtx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { defer close(done); r.Run(runCtx) }()
			defer func() { stop(); <-done }()
			b.ResetTimer()
			t0, cpu0 := time.Now(), cpuTime()+backendCPU(s.Store)
			for i := range b.N {
				planned.Store(0)
				c := model.Campaign{ID: model.NewID(), Kind: model.CampaignPromotion, Title: model.Text{ZH: "全员 " + strconv.Itoa(i), EN: "All"},
					Body: model.Text{ZH: "优惠", EN: "Offer"}, ServiceItemIDs: []string{}, Rules: []model.PromotionRule{},
					Audience: model.Audience{Kind: model.AudienceAll}, SendAt: benchNow, State: model.CampaignLive, Version: 1,
					CreatedAt: benchNow, UpdatedAt: benchNow}
				if err := s.Store.InTx(ctx, func(tx *store.Tx) error {
					if err := tx.InsertCampaign(ctx, &c); err != nil {
						return err
					}
					return r.Schedule(ctx, tx, JobBatch, batchKey(c.ID, ""), benchNow, batchPayload{CampaignID: c.ID}, 5)
				}); err != nil {
					b.Fatal(err)
				}
				for planned.Load() < int64(len(ids)) {
					if time.Since(t0) > 20*time.Minute {
						b.Fatalf("fan-out planned %d of %d people in 20 minutes", planned.Load(), len(ids))
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			el, cpu := time.Since(t0), cpuTime()+backendCPU(s.Store)-cpu0
			b.StopTimer()
			people := float64(len(ids) * b.N)
			b.ReportMetric(people/el.Seconds(), "people/s")
			b.ReportMetric(people/cpu.Seconds(), "people/CPU-s")
			reportPeakRSS(b)
		})
	}
}
