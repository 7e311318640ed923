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
	Register(Case{"inbox/with campaign reader reads what Inbox and CampaignReaderOf read", inboxWithCampaignReader})
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
