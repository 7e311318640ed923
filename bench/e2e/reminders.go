package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // the "sqlite" database/sql driver

	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
)

// Reminders mode (-reminders N): N pending reminders (N/2 accepted orders, each with its
// customer's and its worker's reminder, as booking schedules them) are written straight into the
// running node's database, in batches, while it serves. -reminders-due of those orders come due
// evenly over -reminders-window, starting a few seconds after the load; the rest are due between
// one hour and thirty days later, so the queue holds about N pending jobs throughout. The
// customers of the due orders are the synced customers with an open /v1/stream.
//
// Lateness is measured twice: as the customer's client sees it (the service.starting_soon frame's
// arrival minus the reminder's due time, on the same clock) and as the server recorded it (the
// notification's created_at minus the job's run_at, for both audiences). Server RSS is sampled
// every 250 ms from before the load to after the last reminder: flat means it does not grow with
// the number pending.

type reminderFrame struct {
	order string
	at    time.Time
}

func (b *bench) reminders(ctx context.Context) error {
	if b.srv == nil {
		return fmt.Errorf("-reminders needs the child server (it writes into its database)")
	}
	driver, dsn := "pgx", b.o.db
	if !strings.HasPrefix(dsn, "postgres") {
		q := url.Values{}
		q.Add("_pragma", "busy_timeout(10000)")
		q.Set("_time_format", "sqlite")
		driver, dsn = "sqlite", "file:"+filepath.Join(b.srv.dir, "bench.db")+"?"+q.Encode()
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if driver == "sqlite" { // the loader's own commits need no fsync: the load is not what is measured
		if _, err := db.ExecContext(ctx, "PRAGMA synchronous = OFF"); err != nil {
			return err
		}
	}

	var rss []int64
	var rssMu sync.Mutex
	sampleCtx, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			rssMu.Lock()
			rss = append(rss, rssBytes(b.o.pid))
			rssMu.Unlock()
			select {
			case <-sampleCtx.Done():
				return
			case <-t.C:
			}
		}
	}()
	rssBefore := rssBytes(b.o.pid)

	// The frames: every customer stream's reader keeps the reminders it sees.
	var seenMu sync.Mutex
	seen := map[string]time.Time{}
	var readers sync.WaitGroup
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	for c := range b.o.customers {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-readCtx.Done():
					return
				case f := <-b.frames[c]:
					if f.kind == notify.KindServiceStartingSoon {
						seenMu.Lock()
						if _, dup := seen[f.order]; !dup {
							seen[f.order] = f.at
						}
						seenMu.Unlock()
					}
				}
			}
		}()
	}

	orders := b.o.reminders / 2
	due := min(b.o.remindersDue, orders)
	loadStart := time.Now()
	// Due times are fixed after the load: the load's length is estimated from a first batch.
	type row struct {
		id, customer, worker string
		runAt                time.Time
	}
	var dueRows []row
	const batch = 100 // rows per INSERT statement
	var start time.Time
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	far := func() time.Time { // later than the measured window: one hour to thirty days
		return now.Add(time.Hour + time.Duration(rng.Int64N(int64(30*24*time.Hour))))
	}
	ordersSQL, jobsSQL := insertSQL("orders", 11, batch), insertSQL("jobs", 11, 2*batch)
	var oargs, jargs []any
	flush := func(tx *sql.Tx, n int) error {
		if n == 0 {
			return nil
		}
		osql, jsql := ordersSQL, jobsSQL
		if n != batch {
			osql, jsql = insertSQL("orders", 11, n), insertSQL("jobs", 11, 2*n)
		}
		if _, err := tx.ExecContext(ctx, osql, oargs...); err != nil {
			return fmt.Errorf("orders: %w", err)
		}
		if _, err := tx.ExecContext(ctx, jsql, jargs...); err != nil {
			return fmt.Errorf("jobs: %w", err)
		}
		oargs, jargs = oargs[:0], jargs[:0]
		return nil
	}
	// The due orders come last, so that the pending queue is full when they come due.
	total := orders
	dueFrom := total - due
	for i := 0; i < total; {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for end := min(i+5000, total); i < end; {
			n := 0
			for ; n < batch && i < end; n, i = n+1, i+1 {
				if i == dueFrom {
					// The window starts 5 s after the last batch is written.
					perRow := time.Since(loadStart) / time.Duration(max(i, 1))
					start = time.Now().Add(perRow*time.Duration(due) + 5*time.Second).UTC()
				}
				id := fmt.Sprintf("rem-%08d", i)
				c, w := customer(i%b.o.customers), worker(i%b.o.workers)
				runAt := far()
				if i >= dueFrom {
					k := i - dueFrom
					runAt = start.Add(b.o.remindersWindow * time.Duration(k) / time.Duration(max(due, 1)))
					dueRows = append(dueRows, row{id, c, w, runAt})
				}
				appt := runAt.Add(time.Hour).Truncate(time.Second)
				oargs = append(oargs, id, c, w, item, "静安区 1 号", "静安", appt, "accepted", 2, now, now)
				for _, aud := range []string{"customer", "worker"} {
					payload, _ := json.Marshal(booking.ReminderPayload{OrderID: id, Audience: aud, WorkerID: w, AppointmentAt: appt})
					jargs = append(jargs, model.NewID(), booking.JobReminder, booking.ReminderKey(id, aud), string(payload),
						"scheduled", runAt.Truncate(time.Microsecond), 0, 5, "", now, now)
				}
			}
			if err := flush(tx, n); err != nil {
				_ = tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	loaded := time.Since(loadStart)
	rssLoaded := rssBytes(b.o.pid)
	fmt.Printf("\nreminders: %d pending (%d orders × customer and worker) written in %s; %d orders (%d reminders) come due over %s from %s (in %s)\n",
		2*orders, orders, loaded.Round(time.Millisecond), due, 2*due, b.o.remindersWindow, start.Format("15:04:05.000"), time.Until(start).Round(time.Millisecond))
	if time.Until(start) < time.Second {
		return fmt.Errorf("the load took longer than estimated: the window started %s ago", -time.Until(start))
	}
	cpu0 := cpuOf(b.o.pid)
	profile := b.o.cpuProfile != "" && b.o.clients == 0
	if profile {
		if _, err := b.srv.command("cpu-start " + b.o.cpuProfile); err != nil {
			return err
		}
	}
	wait := time.Until(start.Add(b.o.remindersWindow)) + 10*time.Second
	select {
	case <-time.After(wait):
	case <-ctx.Done():
		return ctx.Err()
	}
	cpu := cpuOf(b.o.pid) - cpu0
	if profile {
		if _, err := b.srv.command("cpu-stop"); err != nil {
			return err
		}
	}
	la := loadavg()
	stopReading()
	readers.Wait()
	stopSampling()

	// The server's record: each due reminder's notification against its job's due time.
	dueAt := make(map[string]time.Time, len(dueRows))
	for _, r := range dueRows {
		dueAt[r.id] = r.runAt
	}
	rows, err := db.QueryContext(ctx, `SELECT order_id, created_at FROM notifications WHERE kind = $1`, notify.KindServiceStartingSoon)
	if err != nil {
		return err
	}
	var serverLate []time.Duration
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			rows.Close()
			return err
		}
		if d, ok := dueAt[id]; ok {
			serverLate = append(serverLate, at.Sub(d))
		}
	}
	rows.Close()
	var pending int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM jobs WHERE state = 'scheduled' AND kind = $1`, booking.JobReminder).Scan(&pending); err != nil {
		return err
	}
	var clientLate []time.Duration
	missing := 0
	for _, r := range dueRows {
		if at, ok := seen[r.id]; ok {
			clientLate = append(clientLate, at.Sub(r.runAt))
		} else {
			missing++
		}
	}
	rssMu.Lock()
	peak := slices.Max(rss)
	rssMu.Unlock()
	fmt.Printf("  after the window (load average %s): %d reminder notifications of the %d due (customer and worker), %d still pending\n",
		la, len(serverLate), 2*due, pending)
	fmt.Printf("  customer's frame − due time: p50 %s  p99 %s  max %s  (n=%d, %d customers' frames not seen)\n",
		pct(clientLate, 50), pct(clientLate, 99), pct(clientLate, 100), len(clientLate), missing)
	fmt.Printf("  notification committed − due time (server record, both audiences): p50 %s  p99 %s  max %s\n",
		pct(serverLate, 50), pct(serverLate, 99), pct(serverLate, 100))
	fmt.Printf("  server CPU over the window: %.3f ms per reminder; server RSS before the load %s, after it %s, peak %s, at the end %s\n",
		ms(cpu)/float64(max(len(serverLate), 1)), mib(rssBefore), mib(rssLoaded), mib(peak), rssOf(b.o.pid))
	return nil
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

// insertSQL is a multi-row INSERT of rows rows of cols columns with numbered placeholders.
func insertSQL(table string, cols, rows int) string {
	var sb strings.Builder
	switch table {
	case "orders":
		sb.WriteString(`INSERT INTO orders (id, customer_id, worker_id, service_item_id, address, area, appointment_at, status, version, created_at, updated_at) VALUES `)
	case "jobs":
		sb.WriteString(`INSERT INTO jobs (id, kind, key, payload, state, run_at, attempts, max_attempts, last_error, created_at, updated_at) VALUES `)
	}
	n := 1
	for r := range rows {
		if r > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for c := range cols {
			if c > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, "$%d", n)
			n++
		}
		sb.WriteByte(')')
	}
	return sb.String()
}
