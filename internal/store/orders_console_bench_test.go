package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// The operators' order console (issue 15) on a SQLite database of 200,000 orders: one page of
// 20 and the per-status counts, for the console's usual questions. Run:
//
//	go test -run '^$' -bench BenchmarkOrderConsole -benchtime 200x ./internal/store/
//
// Each variant logs SQLite's plan of the page query and reports p50 and p99 latency of the page
// plus its counts (what one console load asks).
func BenchmarkOrderConsole(b *testing.B) {
	const total = 200_000
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(b.TempDir(), "console.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	areas := []string{"浦东新区", "静安区", "徐汇区", "黄浦区", "长宁区", "普陀区", "虹口区", "杨浦区"}
	items := []string{"daily-cleaning", "deep-cleaning", "nanny", "elder-care", "appliance-cleaning", "care-package"}
	statuses := []string{"pending", "accepted", "in_service", "completed", "completed", "completed", "cancelled"}
	epoch := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	err = s.InTx(ctx, func(tx *Tx) error {
		db := tx.SQL()
		for i := 0; i < 2000; i++ {
			role, name := "customer", fmt.Sprintf("客户%d Customer%d", i, i)
			if i < 200 {
				role, name = "worker", fmt.Sprintf("师傅%d Worker%d", i, i)
			}
			if _, err := db.ExecContext(ctx, `INSERT INTO people (id, role, name, created_at, updated_at) VALUES ($1,$2,$3,$4,$4)`,
				fmt.Sprintf("p%d", i), role, name, epoch); err != nil {
				return err
			}
		}
		for _, it := range items {
			if _, err := db.ExecContext(ctx, `INSERT INTO service_items (id, duration_minutes, price_cents, created_at, updated_at) VALUES ($1,120,15000,$2,$2)`, it, epoch); err != nil {
				return err
			}
		}
		for i := 0; i < total; i++ {
			st := statuses[i%len(statuses)]
			var worker any
			if st != "pending" {
				worker = fmt.Sprintf("p%d", i%200)
			}
			at := epoch.Add(time.Duration(i*7919%(180*24*60)) * time.Minute)
			if _, err := db.ExecContext(ctx, `INSERT INTO orders (`+orderCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,'',15000,$8,1,$9,$9)`,
				model.NewID(), fmt.Sprintf("p%d", 200+i%1800), worker, items[i%len(items)], fmt.Sprintf("%s 路 %d 号", areas[i%len(areas)], i),
				areas[i%len(areas)], at, st, epoch.Add(time.Duration(i)*time.Second)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	from, to := epoch.Add(30*24*time.Hour), epoch.Add(37*24*time.Hour)
	variants := []struct {
		name string
		q    OrderQuery
	}{
		{"newest", OrderQuery{}},
		{"newest/status=pending", OrderQuery{Status: "pending"}},
		{"appointment", OrderQuery{Sort: SortAppointment}},
		{"appointment/status=accepted", OrderQuery{Status: "accepted", Sort: SortAppointment}},
		{"appointment/area+week", OrderQuery{Area: "静安区", From: from, To: to, Sort: SortAppointment}},
		{"appointment/week", OrderQuery{From: from, To: to, Sort: SortAppointment}},
		{"newest/item", OrderQuery{ServiceItemID: "nanny"}},
		{"newest/q=address", OrderQuery{Search: "路 4242 号"}},
		{"newest/q=worker name", OrderQuery{Search: "师傅17 "}},
	}
	for _, v := range variants {
		q := v.q
		q.Limit = 20
		b.Run(v.name, func(b *testing.B) {
			where, args := q.where(true, true)
			rows, err := s.r.QueryContext(ctx, `EXPLAIN QUERY PLAN SELECT id FROM orders`+where+map[OrderSort]string{"": " ORDER BY id DESC", SortAppointment: " ORDER BY appointment_at, id"}[q.Sort]+" LIMIT 20", args...)
			if err != nil {
				b.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					b.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			b.Logf("plan: %s", strings.Join(plan, " | "))
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				page, err := s.OrderPage(ctx, q)
				if err == nil {
					_, err = s.OrderCounts(ctx, q)
				}
				lat = append(lat, time.Since(t0))
				if err != nil || len(page) == 0 {
					b.Fatalf("page: %d orders, %v", len(page), err)
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
}
