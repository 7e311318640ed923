package storetest

import (
	"context"
	"testing"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"files/insert then read back by id and by uploader and bytes", filesRoundTrip},
		Case{"files/the same uploader and bytes twice is a conflict", filesDuplicate},
	)
}

func fileFixture(id, uploader, sha string) model.File {
	return model.File{ID: id, SHA256: sha, ContentType: model.ContentTypePNG, Bytes: 1234, Width: 800, Height: 600,
		Filename: "厨房.png", UploaderID: uploader, ThumbSHA256: sha + "t", ThumbBytes: 200, ThumbWidth: 320, ThumbHeight: 240,
		CreatedAt: T0}
}

func filesRoundTrip(t *testing.T, s *store.Store) {
	ctx := context.Background()
	AddPeople(t, s, Person("c-1", model.RoleCustomer))
	f := fileFixture(model.NewID(), "c-1", "aa11")
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertFile(ctx, &f) })
	got, err := s.File(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantUTC(t, "created_at", got.CreatedAt, T0)
	if got != f {
		t.Errorf("stored file = %+v, want %+v", got, f)
	}
	if got, err := s.FileByUploaderSHA(ctx, "c-1", "aa11"); err != nil || got.ID != f.ID {
		t.Errorf("by sha = %+v, %v", got, err)
	}
	_, err = s.FileByUploaderSHA(ctx, "c-2", "aa11")
	wantCode(t, err, model.CodeNotFound)
	_, err = s.File(ctx, model.NewID())
	wantCode(t, err, model.CodeNotFound)
}

func filesDuplicate(t *testing.T, s *store.Store) {
	AddPeople(t, s, Person("c-1", model.RoleCustomer), Person("c-2", model.RoleCustomer))
	a := fileFixture(model.NewID(), "c-1", "bb22")
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertFile(ctx, &a) })
	// Another person may upload the same bytes: they get a row of their own.
	b := fileFixture(model.NewID(), "c-2", "bb22")
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertFile(ctx, &b) })
	c := fileFixture(model.NewID(), "c-1", "bb22")
	err := s.InTx(context.Background(), func(tx *store.Tx) error { return tx.InsertFile(context.Background(), &c) })
	wantCode(t, err, model.CodeConflict)
}
