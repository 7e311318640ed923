package campaign

// Benchmarks of campaigns at scale (docs/benchmarks.md): the message center's first page with 200
// live campaigns, and off-app push planning in people per second.
//
//	HOMEBELL_BENCH_CUSTOMERS=100000 go test ./internal/campaign -run '^$' -bench . -benchtime 2000x

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

var benchNow = time.Date(2026, 5, 4, 2, 0, 0, 0, time.UTC)

func benchCustomers() int {
	if n, err := strconv.Atoi(os.Getenv("HOMEBELL_BENCH_CUSTOMERS")); err == nil && n > 0 {
		return n
	}
	return 20_000
}

// benchWorld fills a store with customers (a tenth with a completed order, a twentieth with
// platform news off), 200 live campaigns of every audience kind, and 30 notifications for the
// first 1,000 customers.
func benchWorld(b *testing.B, dsn string, customers int) (*Service, []string) {
	b.Helper()
	ctx := context.Background()
	st := storetest.Open(b, dsn)
	now := func() time.Time { return benchNow }
	ids := make([]string, customers)
	areas := []string{"浦东新区", "徐汇区", "静安区", "黄浦区", "闵行区"}
	for i := range ids {
		ids[i] = fmt.Sprintf("c-%07d", i)
	}
	start := time.Now()
	for lo := 0; lo < customers; lo += 5000 {
		err := st.InTx(ctx, func(tx *store.Tx) error {
			if lo == 0 {
				it := model.ServiceItem{ID: "daily-cleaning", Name: model.Text{ZH: "日常保洁"}, DurationMinutes: 180, PriceCents: 15000, Active: true}
				if _, err := tx.UpsertServiceItem(ctx, &it, benchNow); err != nil {
					return err
				}
			}
			for i := lo; i < min(lo+5000, customers); i++ {
				p := model.Person{ID: ids[i], Role: model.RoleCustomer, Name: "客户", Locale: model.LocaleZH, TimeZone: model.DefaultTimeZone,
					Area: areas[i%len(areas)]}
				if _, err := tx.UpsertPerson(ctx, &p, benchNow); err != nil {
					return err
				}
				if i%10 == 0 {
					o := model.Order{ID: "o-" + ids[i], CustomerID: ids[i], ServiceItemID: "daily-cleaning", Address: areas[(i/10)%len(areas)] + " 某路 1 号",
						AppointmentAt: benchNow.Add(-48 * time.Hour), Status: model.OrderCompleted}
					if err := tx.InsertOrder(ctx, &o, benchNow.Add(-72*time.Hour)); err != nil {
						return err
					}
				}
				if i%20 == 0 {
					if err := tx.PutPreferences(ctx, ids[i], map[string]any{"categories": map[string]bool{"platform": false}}, benchNow); err != nil {
						return err
					}
				}
				if i < 1000 {
					for k := range 30 {
						n := model.Notification{ID: model.NewID(), RecipientID: ids[i], Kind: notify.KindServiceStarted, Category: "service",
							Importance: "normal", Title: "服务已开始", Body: "……", EventKey: "bench:" + strconv.Itoa(k),
							CreatedAt: benchNow.Add(-time.Duration(k) * time.Hour)}
						if _, err := tx.InsertNotification(ctx, &n); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	s := &Service{Store: st, Jobs: jobs.New(st, now, slog.Default()), Notify: &notify.Service{Store: st, Now: now}, Now: now}
	err := st.InTx(ctx, func(tx *store.Tx) error {
		for i := range 200 {
			aud := []model.Audience{{Kind: model.AudienceAll}, {Kind: model.AudienceNewCustomers},
				{Kind: model.AudienceItems, ServiceItemIDs: []string{"daily-cleaning"}}, {Kind: model.AudienceAreas, Areas: []string{areas[i%len(areas)]}},
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
					list = append(list, ids[(k*37+i)%customers])
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
	b.Logf("%s: %d customers, 200 live campaigns, set up in %s", st.Dialect(), customers, time.Since(start).Round(time.Second))
	return s, ids
}

func benchDSNs(b *testing.B) map[string]func() string {
	out := map[string]func() string{"sqlite": func() string { return storetest.SQLitePath(b) }}
	if os.Getenv(storetest.EnvPostgres) != "" {
		out["postgres"] = func() string { return storetest.PostgresURL(b) }
	}
	return out
}

// BenchmarkMessageCenterWithCampaigns times one message-center first page (20 entries, newest
// first) of a random customer with 200 live campaigns, and reports p50 and p99.
func BenchmarkMessageCenterWithCampaigns(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		dsn, ok := benchDSNs(b)[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			s, ids := benchWorld(b, dsn(), benchCustomers())
			ctx := context.Background()
			rnd := rand.New(rand.NewPCG(1, 2))
			shownSum := 0
			d := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				id := ids[rnd.IntN(min(len(ids), 1000))] // customers with notifications too
				t0 := time.Now()
				rows, err := s.Inbox(ctx, store.InboxQuery{RecipientID: id, Limit: 21})
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
			b.StopTimer()
			slices.Sort(d)
			b.ReportMetric(float64(d[len(d)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(d[len(d)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(shownSum)/float64(b.N), "campaigns/page")
		})
	}
}

// BenchmarkPushPlanning plans pushes for 1,000-person pages of an "all customers" campaign (no
// push subscriptions or gateways: the planning reads alone) and reports people per second.
func BenchmarkPushPlanning(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		dsn, ok := benchDSNs(b)[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			s, ids := benchWorld(b, dsn(), benchCustomers())
			ctx := context.Background()
			c := model.Campaign{ID: "bench-all", Kind: model.CampaignPromotion, Audience: model.Audience{Kind: model.AudienceAll},
				SendAt: benchNow, State: model.CampaignLive}
			people := 0
			b.ResetTimer()
			t0 := time.Now()
			for i := range b.N {
				lo := (i * 1000) % len(ids)
				page := ids[lo:min(lo+1000, len(ids))]
				p, err := s.plan(ctx, c, page, "bench:"+strconv.Itoa(i), false, benchNow)
				if err != nil {
					b.Fatal(err)
				}
				people += len(page)
				_ = p
			}
			el := time.Since(t0)
			b.ReportMetric(float64(people)/el.Seconds(), "people/s")
		})
	}
}
