package storetest

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(Case{"inbox/with campaign reader reads what Inbox and CampaignReaderOf read", inboxWithCampaignReader},
		Case{"inbox/counts and campaign readers of many read what each person's reads read", inboxReadersOfMany})
}

// inboxWithCampaignReader checks that the message center's combined read (one round trip on
// PostgreSQL) returns exactly what its two reads return one by one.
func inboxWithCampaignReader(t *testing.T, s *store.Store) {
	ctx := context.Background()
	AddPeople(t, s, Person("c-1", model.RoleCustomer), Person("c-2", model.RoleCustomer))
	var ns []model.Notification
	for m := range 30 {
		n := notif("c-1", "order.accepted", "service", []string{"normal", "high", "low"}[m%3], m)
		if m%4 == 0 {
			n.OrderID = "o-1"
		}
		if m%5 == 0 {
			n.Alt = model.AltText{Locale: "en", Title: "Accepted", Body: "body"}
		}
		ns = append(ns, n)
	}
	insertAll(t, s, ns)
	ends := at(7 * 24 * time.Hour)
	c := model.Campaign{ID: "camp-1", Kind: model.CampaignPromotion, Title: model.Text{ZH: "活动", EN: "Offer"},
		Body: model.Text{ZH: "优惠", EN: "Offer"}, Audience: model.Audience{Kind: model.AudienceList, ListSize: 1},
		SendAt: T0, EndsAt: &ends, State: model.CampaignLive, Version: 1, CreatedAt: T0, UpdatedAt: T0}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.MarkRead(ctx, "c-1", store.ReadSelector{IDs: []string{ns[3].ID, ns[7].ID}}, at(time.Hour)); err != nil {
			return err
		}
		if err := tx.PutPreferences(ctx, "c-1", map[string]any{"categories": map[string]bool{"service": true}}, T0); err != nil {
			return err
		}
		if err := tx.InsertCampaign(ctx, &c); err != nil {
			return err
		}
		if err := tx.ReplaceCampaignMembers(ctx, c.ID, []string{"c-1"}); err != nil {
			return err
		}
		_, err := tx.MarkCampaignsRead(ctx, "c-1", []string{c.ID}, true, at(2*time.Hour))
		return err
	})
	last := ns[20]
	for _, iq := range []store.InboxQuery{
		{RecipientID: "c-1", Limit: 21},
		{RecipientID: "c-1", Limit: 5, ByImportance: true},
		{RecipientID: "c-1", Limit: 10, After: &store.InboxKey{CreatedAt: last.CreatedAt, ID: last.ID}},
		{RecipientID: "c-1", Limit: 10, UnreadOnly: true, Search: "body 1"},
		{RecipientID: "c-2", Limit: 21},
		{RecipientID: "nobody", Limit: 21},
	} {
		for _, orders := range []bool{false, true} {
			wantRows, err := s.Inbox(ctx, iq)
			if err != nil {
				t.Fatal(err)
			}
			wantR, err := s.CampaignReaderOf(ctx, iq.RecipientID, "default_preferences", orders)
			if err != nil {
				t.Fatal(err)
			}
			rows, r, err := s.InboxWithCampaignReader(ctx, iq, "default_preferences", orders)
			if err != nil {
				t.Fatalf("%+v: %v", iq, err)
			}
			if !reflect.DeepEqual(rows, wantRows) {
				t.Errorf("%+v: rows\n%+v\nwant\n%+v", iq, rows, wantRows)
			}
			if !reflect.DeepEqual(r, wantR) {
				t.Errorf("%+v: reader\n%+v\nwant\n%+v", iq, r, wantR)
			}
			if iq.RecipientID == "c-1" && (!r.Found || !r.Facts.Lists["camp-1"] || r.Reads["camp-1"].OpenedAt == nil || r.Prefs == nil) {
				t.Errorf("reader of c-1 = %+v: want found, on the list, read and opened, with preferences", r)
			}
		}
	}
}

// inboxReadersOfMany checks that the realtime hub's reads for many people at once (unread counts,
// campaign readers) return, for each person, what the one-person reads return.
func inboxReadersOfMany(t *testing.T, s *store.Store) {
	ctx := context.Background()
	o := orderFixture(t, s) // customer c1, with an order
	insertOrder(t, s, &o)
	AddPeople(t, s, Person("c-1", model.RoleCustomer), Person("c-2", model.RoleCustomer), Person("c-3", model.RoleCustomer))
	var ns []model.Notification
	for m := range 12 {
		n := notif([]string{"c-1", "c-2", "c1"}[m%3], "order.accepted", []string{"service", "platform", "exception"}[m%3/2+m%2], "normal", m)
		ns = append(ns, n)
	}
	insertAll(t, s, ns)
	c := model.Campaign{ID: "camp-1", Kind: model.CampaignPromotion, Title: model.Text{ZH: "活动", EN: "Offer"},
		Body: model.Text{ZH: "优惠", EN: "Offer"}, Audience: model.Audience{Kind: model.AudienceList, ListSize: 2},
		SendAt: T0, State: model.CampaignLive, Version: 1, CreatedAt: T0, UpdatedAt: T0}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.MarkRead(ctx, "c-1", store.ReadSelector{IDs: []string{ns[0].ID}}, at(time.Hour)); err != nil {
			return err
		}
		if err := tx.PutPreferences(ctx, "c-2", map[string]any{"categories": map[string]bool{"service": true}}, T0); err != nil {
			return err
		}
		if err := tx.PutSetting(ctx, "default_preferences", map[string]any{"categories": map[string]bool{"platform": true}}, T0); err != nil {
			return err
		}
		if err := tx.InsertCampaign(ctx, &c); err != nil {
			return err
		}
		if err := tx.ReplaceCampaignMembers(ctx, c.ID, []string{"c-1", "c1"}); err != nil {
			return err
		}
		_, err := tx.MarkCampaignsRead(ctx, "c-1", []string{c.ID}, true, at(2*time.Hour))
		return err
	})
	ids := []string{"c-1", "c-2", "c-3", "c1", "nobody"}
	counts, err := s.UnreadCountsMany(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, orders := range []bool{false, true} {
		readers, err := s.CampaignReadersOf(ctx, ids, "default_preferences", orders)
		if err != nil {
			t.Fatal(err)
		}
		if len(readers) != len(ids) {
			t.Errorf("readers of %d people, want %d", len(readers), len(ids))
		}
		for _, id := range ids {
			want, err := s.CampaignReaderOf(ctx, id, "default_preferences", orders)
			if err != nil {
				t.Fatal(err)
			}
			if got := readers[id]; got == nil || !reflect.DeepEqual(*got, want) {
				t.Errorf("orders %v: reader of %s\n%+v\nwant\n%+v", orders, id, got, want)
			}
		}
	}
	for _, id := range ids {
		want, err := s.UnreadCounts(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := counts[id]; len(want) == 0 && got != nil || len(want) > 0 && !reflect.DeepEqual(got, want) {
			t.Errorf("unread counts of %s %v, want %v", id, got, want)
		}
	}
	if counts["c-1"]["service"] != 1 || counts["c-2"] == nil || counts["c-3"] != nil {
		t.Errorf("counts %v: want c-1's read one left out, c-2 counted, none for c-3", counts)
	}
}
