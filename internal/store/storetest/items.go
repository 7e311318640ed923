package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"service-items/upsert creates then updates", itemsUpsert},
		Case{"service-items/list shows active items unless all are asked for", itemsList},
		Case{"service-items/unknown id is a not_found error", itemsNotFound},
	)
}

func item(id string, active bool) model.ServiceItem {
	return model.ServiceItem{ID: id, Name: model.Text{ZH: "日常保洁 " + id, EN: "Daily cleaning " + id},
		Description:     model.Text{ZH: "全屋除尘", EN: "Dusting"},
		DurationMinutes: 180, PriceCents: 15000, Active: active}
}

func itemsUpsert(t *testing.T, s *store.Store) {
	ctx := context.Background()
	it := item("daily-cleaning", true)
	var created bool
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		created, err = tx.UpsertServiceItem(ctx, &it, T0)
		return err
	})
	if !created {
		t.Error("first upsert: created = false")
	}
	got, err := s.ServiceItem(ctx, "daily-cleaning")
	if err != nil {
		t.Fatal(err)
	}
	wantUTC(t, "created_at", got.CreatedAt, T0)
	if got.Name != it.Name || got.Description != it.Description || got.DurationMinutes != 180 || got.PriceCents != 15000 || !got.Active {
		t.Errorf("stored item = %+v, want %+v", got, it)
	}

	it.PriceCents, it.Active, it.Name.EN = 16800, false, "Daily clean"
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		created, err = tx.UpsertServiceItem(ctx, &it, at(time.Minute))
		return err
	})
	if created {
		t.Error("second upsert: created = true")
	}
	got, err = s.ServiceItem(ctx, "daily-cleaning")
	if err != nil {
		t.Fatal(err)
	}
	if got.PriceCents != 16800 || got.Active || got.Name.EN != "Daily clean" || got.Name.ZH != it.Name.ZH {
		t.Errorf("updated item = %+v", got)
	}
	wantUTC(t, "created_at after update", got.CreatedAt, T0)
	wantUTC(t, "updated_at after update", got.UpdatedAt, at(time.Minute))
}

func itemsList(t *testing.T, s *store.Store) {
	ctx := context.Background()
	// Created in this order; the catalogue lists items in creation order.
	items := []model.ServiceItem{item("nanny", true), item("retired", false), item("elder-care", true)}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		for i := range items {
			if _, err := tx.UpsertServiceItem(ctx, &items[i], at(time.Duration(i)*time.Second)); err != nil {
				return err
			}
		}
		return nil
	})
	ids := func(all bool) []string {
		t.Helper()
		its, err := s.ServiceItems(ctx, all)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range its {
			out = append(out, it.ID)
		}
		return out
	}
	if got, want := ids(false), []string{"nanny", "elder-care"}; !slices.Equal(got, want) {
		t.Errorf("active items = %v, want %v", got, want)
	}
	if got, want := ids(true), []string{"nanny", "retired", "elder-care"}; !slices.Equal(got, want) {
		t.Errorf("all items = %v, want %v", got, want)
	}
}

func itemsNotFound(t *testing.T, s *store.Store) {
	_, err := s.ServiceItem(context.Background(), "no-such-item")
	wantCode(t, err, model.CodeNotFound)
}
