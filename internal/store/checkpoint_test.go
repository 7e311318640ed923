package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckpointerCopiesTheLogIntoTheFile: commits leave their pages in the write-ahead log (no
// checkpoint inside a commit), and the background checkpointer copies them into the database
// file soon after. About 1 MB is written, far below SQLite's own 1,000-page trigger, so without
// the checkpointer the file would stay at its migrated size; everything is still there after a
// reopen.
func TestCheckpointerCopiesTheLogIntoTheFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	// Let the first checkpoint take the migrations, then measure from there.
	time.Sleep(2 * checkpointEvery)
	before := size()
	big := strings.Repeat("x", 4000)
	for i := range 250 {
		if err := s.InTx(ctx, func(tx *Tx) error { return tx.PutSetting(ctx, fmt.Sprintf("big-%d", i), big, tx.Now()) }); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for size() < before+900_000 {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is %d bytes 10 s after ~1 MB was committed (was %d): nothing checkpointed it", size(), before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("closing a closed store: %v", err)
	}
	if _, err := os.Stat(path + "-wal"); !os.IsNotExist(err) {
		t.Errorf("after a clean close the log is still there (%v)", err)
	}
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got string
	if found, err := s.Setting(ctx, "big-249", &got); err != nil || !found || got != big {
		t.Fatalf("after reopening, big-249 = %d bytes, found %v, %v", len(got), found, err)
	}
}
