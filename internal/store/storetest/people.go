package storetest

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"people/upsert creates then updates and keeps created_at", peopleUpsert},
		Case{"people/unknown id is a not_found error", peopleNotFound},
		Case{"people/list by role pages with a cursor", peopleList},
		Case{"people/database refuses a role that is not a person role", peopleBadRole},
	)
}

func peopleUpsert(t *testing.T, s *store.Store) {
	ctx := context.Background()
	p := model.Person{ID: "w-wang", Role: model.RoleWorker, Name: "王阿姨", AvatarURL: "/avatars/w-wang.svg",
		Bio: "十年保洁经验", Phone: "13900000001", Locale: model.LocaleEN, TimeZone: "Asia/Shanghai", Area: "浦东新区"}
	var created bool
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		created, err = tx.UpsertPerson(ctx, &p, T0)
		return err
	})
	if !created {
		t.Error("first upsert: created = false, want true")
	}
	got, err := s.Person(ctx, "w-wang")
	if err != nil {
		t.Fatal(err)
	}
	want := p
	want.CreatedAt, want.UpdatedAt = T0, T0
	wantUTC(t, "created_at", got.CreatedAt, T0)
	wantUTC(t, "updated_at", got.UpdatedAt, T0)
	got.CreatedAt, got.UpdatedAt, want.CreatedAt, want.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if got != want {
		t.Errorf("stored person\n got %+v\nwant %+v", got, want)
	}

	// Read through the cache in a list too (PeopleByIDs), with someone who does not exist.
	if many, err := s.PeopleByIDs(ctx, []string{"w-wang", "nobody"}); err != nil || len(many) != 1 || many["w-wang"].Name != "王阿姨" {
		t.Fatalf("people by ids: %+v %v", many, err)
	}
	p2 := p
	p2.Name, p2.Bio, p2.Phone = "王姐", "擅长收纳整理", ""
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		created, err = tx.UpsertPerson(ctx, &p2, at(time.Hour))
		return err
	})
	if created {
		t.Error("second upsert: created = true, want false")
	}
	got, err = s.Person(ctx, "w-wang")
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "王姐" || got.Bio != "擅长收纳整理" || got.Phone != "" {
		t.Errorf("after update: name %q bio %q phone %q", got.Name, got.Bio, got.Phone)
	}
	if many, err := s.PeopleByIDs(ctx, []string{"w-wang"}); err != nil || many["w-wang"].Name != "王姐" {
		t.Errorf("people by ids after the update: %+v %v", many, err)
	}
	wantUTC(t, "created_at after update", got.CreatedAt, T0)
	wantUTC(t, "updated_at after update", got.UpdatedAt, at(time.Hour))
	if !p2.CreatedAt.Equal(T0) {
		t.Errorf("UpsertPerson set CreatedAt %v on the caller's copy, want the original %v", p2.CreatedAt, T0)
	}
}

func peopleNotFound(t *testing.T, s *store.Store) {
	_, err := s.Person(context.Background(), "nobody")
	wantCode(t, err, model.CodeNotFound)
	// Inside a transaction too: services look people up there.
	err = s.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Person(context.Background(), "nobody")
		return err
	})
	wantCode(t, err, model.CodeNotFound)
}

func peopleList(t *testing.T, s *store.Store) {
	ctx := context.Background()
	AddPeople(t, s,
		Person("w-5", model.RoleWorker), Person("w-1", model.RoleWorker), Person("c-1", model.RoleCustomer),
		Person("w-3", model.RoleWorker), Person("w-2", model.RoleWorker), Person("c-2", model.RoleCustomer),
		Person("w-4", model.RoleWorker), Person("o-1", model.RoleOperator))
	ids := func(ps []model.Person) []string {
		out := []string{}
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}
	// Walk the workers two at a time, as a client following next_cursor would.
	var pages [][]string
	after := ""
	for range 10 {
		ps, err := s.People(ctx, model.RoleWorker, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) == 0 {
			break
		}
		pages = append(pages, ids(ps))
		after = ps[len(ps)-1].ID
	}
	if got, want := pages, [][]string{{"w-1", "w-2"}, {"w-3", "w-4"}, {"w-5"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("worker pages = %v, want %v", got, want)
	}
	all, err := s.People(ctx, "", "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(all), []string{"c-1", "c-2", "o-1", "w-1", "w-2", "w-3", "w-4", "w-5"}; !slices.Equal(got, want) {
		t.Errorf("everyone = %v, want %v", got, want)
	}
	cs, err := s.People(ctx, model.RoleCustomer, "c-1", 100)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(cs), []string{"c-2"}; !slices.Equal(got, want) {
		t.Errorf("customers after c-1 = %v, want %v", got, want)
	}
	agents, err := s.People(ctx, model.RoleAgent, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(agents) != 0 {
		t.Errorf("agents = %v, want none", ids(agents))
	}
}

func peopleBadRole(t *testing.T, s *store.Store) {
	p := Person("x-1", model.RoleCustomer)
	p.Role = model.RolePlatform // a backend, never a person
	err := s.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.UpsertPerson(context.Background(), &p, T0)
		return err
	})
	if err == nil {
		t.Fatal("stored a person with role platform; the schema must refuse it")
	}
	if _, err := s.Person(context.Background(), "x-1"); !model.IsCode(err, model.CodeNotFound) {
		t.Errorf("after the refused insert: %v, want not_found", err)
	}
}
