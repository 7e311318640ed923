package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"notifications/insert is idempotent by recipient and event key", notificationsDedupe},
		Case{"notifications/a thread entry is renewed in place and says when the unread counts stayed",
			func(t *testing.T, s *store.Store) { notificationsThread(t, s, false) }},
		Case{"notifications/a thread entry renewed later (by the commit) is as one renewed now",
			func(t *testing.T, s *store.Store) { notificationsThread(t, s, true) }},
		Case{"events/deferred writes: run before the transaction's next statement, in order, or by its commit; a rollback drops them",
			deferredWrites},
		Case{"events/append numbers each person's log in order; events-after resumes", eventsOrdering},
		Case{"events/many entries for several people in one append: each person's in order, after what they had", eventsRecords},
		Case{"preferences/put then get, absent is not found", preferencesPutGet},
		Case{"jobs/schedule, claim, finish, cancel and next-due", jobsLifecycle},
		Case{"inbox/sorts by time and by importance, keyset pages cover every row once", inboxSortsAndPages},
		Case{"inbox/filters by category, kind, order, unread and search", inboxFilters},
		Case{"inbox/unread counts and mark read by ids, category, all", inboxMarkRead},
		Case{"inbox/purges by category and age in batches", inboxPurge},
	)
}

// notif is a stored notification for fixtures: minute m after T0, so creation order is known.
func notif(recipient, kind, category, importance string, m int) model.Notification {
	return model.Notification{ID: model.NewID(), RecipientID: recipient, Kind: kind, Category: category,
		Importance: importance, Title: "title " + kind, Body: fmt.Sprintf("body %d", m),
		EventKey: fmt.Sprintf("%s:%d", kind, m), CreatedAt: at(time.Duration(m) * time.Minute)}
}

func insertAll(t *testing.T, s *store.Store, ns []model.Notification) {
	t.Helper()
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		for i := range ns {
			ok, err := tx.InsertNotification(ctx, &ns[i])
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("notification %d not inserted", i)
			}
		}
		return nil
	})
}

func notificationsDedupe(t *testing.T, s *store.Store) {
	ctx := context.Background()
	AddPeople(t, s, Person("c-1", model.RoleCustomer), Person("c-2", model.RoleCustomer))
	n := notif("c-1", "order.accepted", "service", "high", 0)
	n.OrderID = "o-1"
	n.Data = json.RawMessage(`{"order_id":"o-1"}`)
	var first, again, other bool
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		if first, err = tx.InsertNotification(ctx, &n); err != nil {
			return err
		}
		dup := n
		dup.ID = model.NewID()
		if again, err = tx.InsertNotification(ctx, &dup); err != nil {
			return err
		}
		o := n
		o.ID, o.RecipientID = model.NewID(), "c-2"
		other, err = tx.InsertNotification(ctx, &o)
		return err
	})
	if !first || again || !other {
		t.Fatalf("inserted first %v, duplicate %v, other recipient %v; want true false true", first, again, other)
	}
	if c, _ := s.CountNotifications(ctx, "c-1"); c != 1 {
		t.Errorf("c-1 has %d notifications, want 1", c)
	}
	got, err := s.Notification(ctx, "c-1", n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Importance != "high" || got.OrderID != "o-1" || string(got.Data) != `{"order_id":"o-1"}` || got.ReadAt != nil {
		t.Errorf("read back %+v", got)
	}
	wantUTC(t, "created_at", got.CreatedAt, n.CreatedAt)
	if _, err := s.Notification(ctx, "c-2", n.ID); !model.IsCode(err, model.CodeNotFound) {
		t.Errorf("another person's notification: %v, want not_found", err)
	}
}

func eventsOrdering(t *testing.T, s *store.Store) {
	ctx := context.Background()
	if seq, err := s.LastSeq(ctx, "c-1"); err != nil || seq != 0 {
		t.Fatalf("empty log: seq %d err %v", seq, err)
	}
	var seqs []int64
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		for i := range 5 {
			who := "c-1"
			if i%2 == 1 {
				who = "c-2"
			}
			seq, err := tx.AppendEvent(ctx, who, model.EventNotification, map[string]int{"i": i}, at(time.Duration(i)*time.Second))
			if err != nil {
				return err
			}
			seqs = append(seqs, seq)
		}
		return nil
	})
	// c-1 got i=0,2,4 → seqs 1,2,3; c-2 got i=1,3 → 1,2.
	if !slices.Equal(seqs, []int64{1, 1, 2, 2, 3}) {
		t.Fatalf("seqs %v, want [1 1 2 2 3]", seqs)
	}
	if seq, _ := s.LastSeq(ctx, "c-1"); seq != 3 {
		t.Errorf("last seq of c-1 = %d, want 3", seq)
	}
	evs, err := s.EventsAfter(ctx, "c-1", 1, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Seq != 2 || evs[1].Seq != 3 || string(evs[0].Data) != `{"i":2}` || evs[1].Type != model.EventNotification {
		t.Fatalf("events after 1: %+v", evs)
	}
	wantUTC(t, "event time", evs[1].CreatedAt, at(4*time.Second))
	if evs, _ := s.EventsAfter(ctx, "c-1", 0, 1); len(evs) != 1 || evs[0].Seq != 1 {
		t.Errorf("limit 1 from 0: %+v", evs)
	}
	if evs, _ := s.EventsAfter(ctx, "c-1", 3, 10); len(evs) != 0 {
		t.Errorf("after the last seq: %+v, want none", evs)
	}
	// Purging old entries keeps the counter: the next seq still goes up.
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.PurgeEvents(ctx, at(time.Hour), 100)
		return err
	})
	var next int64
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		next, err = tx.AppendEvent(ctx, "c-1", model.EventRead, nil, at(2*time.Hour))
		return err
	})
	if next != 4 {
		t.Errorf("seq after purge = %d, want 4", next)
	}
}

type prefsDoc struct {
	Categories map[string]bool `json:"categories"`
	Alert      string          `json:"alert"`
}

func preferencesPutGet(t *testing.T, s *store.Store) {
	ctx := context.Background()
	AddPeople(t, s, Person("c-1", model.RoleCustomer))
	var p prefsDoc
	if found, err := s.Preferences(ctx, "c-1", &p); found || err != nil {
		t.Fatalf("unset: found %v err %v", found, err)
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.PutPreferences(ctx, "c-1", prefsDoc{Categories: map[string]bool{"platform": false}, Alert: "badge"}, T0)
	})
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.PutPreferences(ctx, "c-1", prefsDoc{Categories: map[string]bool{"platform": true}, Alert: "vibration"}, at(time.Minute))
	})
	if found, err := s.Preferences(ctx, "c-1", &p); !found || err != nil {
		t.Fatalf("set: found %v err %v", found, err)
	}
	if !p.Categories["platform"] || p.Alert != "vibration" {
		t.Errorf("preferences = %+v, want the second put", p)
	}
}

func jobsLifecycle(t *testing.T, s *store.Store) {
	ctx := context.Background()
	if next, err := s.NextJobAt(ctx); err != nil || !next.IsZero() {
		t.Fatalf("no jobs: next %v err %v", next, err)
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		for _, j := range []model.Job{
			{Kind: "reminder", Key: "r:1", Payload: []byte(`{"n":1}`), RunAt: at(10 * time.Minute), MaxAttempts: 3},
			{Kind: "reminder", Key: "r:2", Payload: []byte(`{}`), RunAt: at(5 * time.Minute)},
			{Kind: "deliver", Payload: []byte(`{}`), RunAt: at(20 * time.Minute)},
		} {
			if err := tx.ScheduleJob(ctx, j, T0); err != nil {
				return err
			}
		}
		return nil
	})
	next, _ := s.NextJobAt(ctx)
	wantUTC(t, "next job", next, at(5*time.Minute))

	// Moving r:1 by its key replaces it; cancelling r:2 removes it from the due list.
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.ScheduleJob(ctx, model.Job{Kind: "reminder", Key: "r:1", Payload: []byte(`{"n":2}`), RunAt: at(15 * time.Minute), MaxAttempts: 3}, T0); err != nil {
			return err
		}
		ok, err := tx.CancelJob(ctx, "r:2", T0)
		if err == nil && !ok {
			err = fmt.Errorf("cancel r:2 reported nothing pending")
		}
		return err
	})
	next, _ = s.NextJobAt(ctx)
	wantUTC(t, "next job after move and cancel", next, at(15*time.Minute))
	if j, _ := s.JobByKey(ctx, "r:2"); j.State != model.JobCancelled {
		t.Errorf("r:2 state %s, want cancelled", j.State)
	}

	var claimed []model.Job
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		claimed, err = tx.ClaimDueJobs(ctx, at(16*time.Minute), time.Minute, 10)
		return err
	})
	if len(claimed) != 1 || claimed[0].Key != "r:1" || string(claimed[0].Payload) != `{"n":2}` || claimed[0].Attempts != 1 || claimed[0].State != model.JobRunning {
		t.Fatalf("claimed %+v, want r:1 with the moved payload, attempt 1", claimed)
	}
	// A running job is not claimed again until its lease runs out.
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		again, err := tx.ClaimDueJobs(ctx, at(16*time.Minute+30*time.Second), time.Minute, 10)
		if err == nil && len(again) != 0 {
			err = fmt.Errorf("claimed %d jobs still leased", len(again))
		}
		return err
	})
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.FinishJob(ctx, claimed[0].ID, 1, model.JobScheduled, at(30*time.Minute), "try later", at(16*time.Minute))
	})
	j, _ := s.JobByKey(ctx, "r:1")
	if j.State != model.JobScheduled || j.LastError != "try later" {
		t.Errorf("after retry: %+v", j)
	}
	wantUTC(t, "retry run_at", j.RunAt, at(30*time.Minute))
	next, _ = s.NextJobAt(ctx)
	wantUTC(t, "next job after retry", next, at(20*time.Minute))

	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		claimed, err = tx.ClaimDueJobs(ctx, at(time.Hour), time.Minute, 10)
		if err != nil {
			return err
		}
		for _, c := range claimed {
			if err := tx.FinishJob(ctx, c.ID, c.Attempts, model.JobDone, time.Time{}, "", at(time.Hour)); err != nil {
				return err
			}
		}
		return nil
	})
	// RETURNING order is unspecified: compare as a set.
	if len(claimed) != 2 || claimed[0].Kind == claimed[1].Kind {
		t.Fatalf("claimed %+v, want the deliver job and r:1", claimed)
	}
	if next, _ := s.NextJobAt(ctx); !next.IsZero() {
		t.Errorf("next job %v, want none", next)
	}
	var purged int64
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		purged, err = tx.PurgeFinishedJobs(ctx, at(2*time.Hour), 1000)
		return err
	})
	if purged != 3 {
		t.Errorf("purged %d finished jobs, want 3 (two done, one cancelled)", purged)
	}
}

// inboxFixture stores 30 notifications of c-1 across categories and importances, some with the
// same created_at (ties break by id), plus a few of c-2 that must never show.
func inboxFixture(t *testing.T, s *store.Store) []model.Notification {
	AddPeople(t, s, Person("c-1", model.RoleCustomer), Person("c-2", model.RoleCustomer))
	kinds := []struct{ kind, cat, imp string }{
		{"order.accepted", "service", "high"},
		{"service.starting_soon", "service", "critical"},
		{"order.cancelled", "exception", "critical"},
		{"platform.promotion", "platform", "low"},
		{"chat.message", "interaction", "normal"},
	}
	var ns []model.Notification
	for i := range 30 {
		k := kinds[i%len(kinds)]
		n := notif("c-1", k.kind, k.cat, k.imp, i/2) // pairs share a minute
		n.EventKey = fmt.Sprintf("%s:%d", k.kind, i)
		if i%3 == 0 {
			n.OrderID = "o-" + fmt.Sprint(i%2)
		}
		if i == 7 {
			n.Title, n.Body = "100% off_cleaning", "literal wildcards"
		}
		if i == 8 {
			// Unescaped, "%0% off_%" would match this title too.
			n.Title, n.Body = "100 percent off!cleaning", "Deep CLEANING for the kitchen"
		}
		ns = append(ns, n)
	}
	for i := range 3 {
		ns = append(ns, notif("c-2", "order.accepted", "service", "critical", 100+i))
	}
	insertAll(t, s, ns)
	return ns[:30]
}

func ids(ns []model.Notification) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}

// expected sorts rows the way the message center must: newest first (ties: larger id first), or
// by importance first.
func expected(ns []model.Notification, byImportance bool, keep func(model.Notification) bool) []string {
	rank := map[string]int{"low": 0, "normal": 1, "high": 2, "critical": 3}
	var sel []model.Notification
	for _, n := range ns {
		if keep == nil || keep(n) {
			sel = append(sel, n)
		}
	}
	slices.SortFunc(sel, func(a, b model.Notification) int {
		if byImportance && rank[a.Importance] != rank[b.Importance] {
			return rank[b.Importance] - rank[a.Importance]
		}
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return ids(sel)
}

// walk pages through a query with limit and returns every id seen, failing on a page larger than
// limit.
func walk(t *testing.T, s *store.Store, q store.InboxQuery) []string {
	t.Helper()
	var all []string
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		got, err := s.Inbox(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) > q.Limit {
			t.Fatalf("page of %d rows, limit %d", len(got), q.Limit)
		}
		all = append(all, ids(got)...)
		if len(got) < q.Limit {
			return all
		}
		k := store.InboxKeyOf(got[len(got)-1])
		q.After = &k
	}
}

func inboxSortsAndPages(t *testing.T, s *store.Store) {
	ns := inboxFixture(t, s)
	for _, byImp := range []bool{false, true} {
		want := expected(ns, byImp, nil)
		for _, limit := range []int{1, 4, 7, 30, 100} {
			got := walk(t, s, store.InboxQuery{RecipientID: "c-1", ByImportance: byImp, Limit: limit})
			if !slices.Equal(got, want) {
				t.Errorf("by importance %v, limit %d:\n got %v\nwant %v", byImp, limit, got, want)
			}
		}
	}
	// The first page by importance starts with the critical rows, newest first.
	got, err := s.Inbox(context.Background(), store.InboxQuery{RecipientID: "c-1", ByImportance: true, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range got {
		if n.Importance != "critical" || n.RecipientID != "c-1" {
			t.Errorf("first page by importance has %s of %s", n.Importance, n.RecipientID)
		}
	}
}

func inboxFilters(t *testing.T, s *store.Store) {
	ns := inboxFixture(t, s)
	ctx := context.Background()
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.MarkRead(ctx, "c-1", store.ReadSelector{IDs: []string{ns[0].ID, ns[5].ID, ns[10].ID}}, at(time.Hour))
		return err
	})
	cases := []struct {
		name string
		q    store.InboxQuery
		keep func(model.Notification) bool
	}{
		{"category", store.InboxQuery{Category: "exception"}, func(n model.Notification) bool { return n.Category == "exception" }},
		{"kind", store.InboxQuery{Category: "service", Kind: "service.starting_soon"}, func(n model.Notification) bool { return n.Kind == "service.starting_soon" }},
		{"order", store.InboxQuery{OrderID: "o-1"}, func(n model.Notification) bool { return n.OrderID == "o-1" }},
		{"unread", store.InboxQuery{UnreadOnly: true}, func(n model.Notification) bool {
			return n.ID != ns[0].ID && n.ID != ns[5].ID && n.ID != ns[10].ID
		}},
		{"search is literal for % and _", store.InboxQuery{Search: "0% off_"}, func(n model.Notification) bool { return n.ID == ns[7].ID }},
		{"search ignores ASCII case, in body too", store.InboxQuery{Search: "cleaning"}, func(n model.Notification) bool {
			return n.ID == ns[7].ID || n.ID == ns[8].ID
		}},
		{"filters combine", store.InboxQuery{Category: "service", UnreadOnly: true, OrderID: "o-0"}, func(n model.Notification) bool {
			return n.Category == "service" && n.OrderID == "o-0" && n.ID != ns[0].ID && n.ID != ns[5].ID && n.ID != ns[10].ID
		}},
	}
	for _, c := range cases {
		for _, byImp := range []bool{false, true} {
			q := c.q
			q.RecipientID, q.ByImportance, q.Limit = "c-1", byImp, 2
			want := expected(ns, byImp, c.keep)
			if len(want) == 0 {
				t.Fatalf("%s: fixture selects nothing", c.name)
			}
			if got := walk(t, s, q); !slices.Equal(got, want) {
				t.Errorf("%s (by importance %v):\n got %v\nwant %v", c.name, byImp, got, want)
			}
		}
	}
	if got, _ := s.Inbox(ctx, store.InboxQuery{RecipientID: "c-1", Search: "nothing like this", Limit: 5}); len(got) != 0 {
		t.Errorf("search for a missing word found %d", len(got))
	}
}

func inboxMarkRead(t *testing.T, s *store.Store) {
	ns := inboxFixture(t, s)
	ctx := context.Background()
	counts := func() map[string]int {
		t.Helper()
		c, err := s.UnreadCounts(ctx, "c-1")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := counts(); c["service"] != 12 || c["exception"] != 6 || c["platform"] != 6 || c["interaction"] != 6 {
		t.Fatalf("unread counts %v, want service 12, others 6", c)
	}
	mark := func(sel store.ReadSelector, who string) int64 {
		t.Helper()
		var n int64
		write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
			n, err = tx.MarkRead(ctx, who, sel, at(time.Hour))
			return err
		})
		return n
	}
	// Another person's ids change nothing.
	if n := mark(store.ReadSelector{IDs: []string{ns[0].ID}}, "c-2"); n != 0 {
		t.Errorf("c-2 marked %d of c-1's notifications", n)
	}
	if n := mark(store.ReadSelector{IDs: []string{ns[0].ID, ns[1].ID, "no-such-id"}}, "c-1"); n != 2 {
		t.Errorf("marked %d by ids, want 2", n)
	}
	if n := mark(store.ReadSelector{IDs: []string{ns[0].ID}}, "c-1"); n != 0 {
		t.Errorf("marking a read notification again counted %d", n)
	}
	got, _ := s.Notification(ctx, "c-1", ns[0].ID)
	if got.ReadAt == nil {
		t.Fatal("read_at not set")
	}
	wantUTC(t, "read_at", *got.ReadAt, at(time.Hour))
	if c := counts(); c["service"] != 10 {
		t.Errorf("service unread %d after marking two, want 10", c["service"])
	}
	if n := mark(store.ReadSelector{Category: "platform"}, "c-1"); n != 6 {
		t.Errorf("marked %d platform, want 6", n)
	}
	if c := counts(); c["platform"] != 0 || c["exception"] != 6 {
		t.Errorf("after the category: %v", c)
	}
	if n := mark(store.ReadSelector{All: true}, "c-1"); n != 22 {
		t.Errorf("marked %d with all, want 22", n)
	}
	if c := counts(); len(c) != 0 {
		t.Errorf("after all: %v, want none unread", c)
	}
	if c, _ := s.UnreadCounts(ctx, "c-2"); c["service"] != 3 {
		t.Errorf("c-2's unread changed: %v", c)
	}
}

func inboxPurge(t *testing.T, s *store.Store) {
	inboxFixture(t, s) // minutes 0..14 after T0
	ctx := context.Background()
	var total int64
	for {
		var n int64
		write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
			n, err = tx.PurgeNotifications(ctx, "platform", at(10*time.Minute), 2)
			return err
		})
		if n > 2 {
			t.Fatalf("a batch of 2 deleted %d", n)
		}
		total += n
		if n == 0 {
			break
		}
	}
	// Platform rows are i = 3, 8, 13, 18, 23, 28 at minutes 1, 4, 6, 9, 11, 14: four before minute 10.
	if total != 4 {
		t.Errorf("purged %d platform rows, want 4", total)
	}
	got := walk(t, s, store.InboxQuery{RecipientID: "c-1", Limit: 100})
	if len(got) != 26 {
		t.Errorf("%d rows left, want 26", len(got))
	}
	if rows, _ := s.Inbox(ctx, store.InboxQuery{RecipientID: "c-1", Category: "platform", Limit: 100}); len(rows) != 2 {
		t.Errorf("%d platform rows left, want 2", len(rows))
	}
	commitKey(t, s, "c-1", "k1", "POST /x", T0, "")
	commitKey(t, s, "c-1", "k2", "POST /x", at(2*24*time.Hour), "")
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		n, err := tx.PurgeIdempotencyKeys(ctx, at(24*time.Hour), 10)
		if err == nil && n != 1 {
			err = fmt.Errorf("purged %d idempotency keys, want 1", n)
		}
		return err
	})
}

func notificationsThread(t *testing.T, s *store.Store, later bool) {
	ctx := context.Background()
	AddPeople(t, s, Person("p-1", model.RoleCustomer))
	renew := func(category string, m int) (same bool) {
		t.Helper()
		n := notif("p-1", "chat.message", category, "normal", m)
		n.EventKey = "chat.message:conv-1"
		write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
			if later {
				return tx.UpsertThreadNotificationLater(ctx, &n, &same)
			}
			same, err = tx.UpsertThreadNotification(ctx, &n)
			return err
		})
		got, err := s.NotificationByEventKey(ctx, "p-1", n.EventKey)
		if err != nil || got.ID != n.ID || got.Body != n.Body || got.Category != category || got.ReadAt != nil {
			t.Fatalf("entry after renewal %d: %+v %v", m, got, err)
		}
		return same
	}
	counts := func() map[string]int {
		t.Helper()
		c, err := s.UnreadCounts(ctx, "p-1")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if renew("interaction", 1) {
		t.Error("a new entry said the counts stayed")
	}
	before := counts()
	if !renew("interaction", 2) || fmt.Sprint(counts()) != fmt.Sprint(before) {
		t.Errorf("renewing an unread entry: counts %v → %v, want the same and said so", before, counts())
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.MarkThreadRead(ctx, "p-1", "chat.message:conv-1", at(3*time.Minute))
		return err
	})
	if renew("interaction", 4) {
		t.Error("renewing a read entry said the counts stayed")
	}
	if renew("order", 5) {
		t.Error("moving an entry to another category said the counts stayed")
	}
	if c := counts(); c["order"] != 1 || c["interaction"] != 0 {
		t.Errorf("counts after the move: %v", c)
	}
}

// deferredWrites checks UpsertThreadNotificationLater and AppendEventRecordsLater together (on
// PostgreSQL they wait for the transaction's next statement; on SQLite they run at once).
func deferredWrites(t *testing.T, s *store.Store) {
	ctx := context.Background()
	AddPeople(t, s, Person("p-1", model.RoleCustomer), Person("p-2", model.RoleWorker))
	key := "chat.message:conv-1"
	var evs, more, next []model.Event
	// A renewal and the entries that tell of it, then a read that must see both.
	renewAndLog := func(tx *store.Tx, m int) ([]model.Event, error) {
		n := notif("p-1", "chat.message", "interaction", "normal", m)
		n.EventKey = key
		same := new(bool)
		if err := tx.UpsertThreadNotificationLater(ctx, &n, same); err != nil {
			return nil, err
		}
		return tx.AppendEventRecordsLater(ctx, []store.NewEventRecord{
			{PersonID: "p-1", Type: model.EventNotification, Data: map[string]int{"m": m}, SameCountsOf: same},
			{PersonID: "p-2", Type: "t", Data: map[string]int{"m": m}},
		}, at(time.Duration(m)*time.Minute))
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		if evs, err = renewAndLog(tx, 1); err != nil {
			return err
		}
		if seq, err := tx.LastSeq(ctx, "p-1"); err != nil || seq != 1 || evs[0].Seq != 1 || evs[1].Seq != 1 || evs[0].SameCounts {
			t.Errorf("read in the transaction after the deferred writes: last seq %d (%v), entries %+v", seq, err, evs)
		}
		if got, err := tx.NotificationByEventKey(ctx, "p-1", key); err != nil || got.Body != "body 1" {
			t.Errorf("the deferred renewal is not read back: %+v %v", got, err)
		}
		// Two appends in a row: the second waits for the first, both numbered in order.
		if more, err = tx.AppendEventRecordsLater(ctx, []store.NewEventRecord{{PersonID: "p-1", Type: "t", Data: 2}}, at(2*time.Minute)); err != nil {
			return err
		}
		// (The entries are read once committed: a copy taken now would not have its seq.)
		next, err = tx.AppendEventRecordsLater(ctx, []store.NewEventRecord{{PersonID: "p-1", Type: "t", Data: 3}}, at(3*time.Minute))
		return err
	})
	if more[0].Seq != 2 || next[0].Seq != 3 {
		t.Errorf("two appends in a row numbered %d, %d; want 2, 3", more[0].Seq, next[0].Seq)
	}
	// The entry is unread: its renewal leaves the counts, and says so once committed.
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		evs, err = renewAndLog(tx, 4)
		return err
	})
	if evs[0].Seq != 4 || !evs[0].SameCounts || evs[1].Seq != 2 || evs[1].SameCounts {
		t.Errorf("renewing the unread entry: %+v", evs)
	}
	got, err := s.EventsAfter(ctx, "p-1", 0, 10)
	if err != nil || len(got) != 4 || string(got[0].Data) != `{"m":1}` || string(got[1].Data) != "2" || string(got[2].Data) != "3" ||
		string(got[3].Data) != `{"m":4}` || !got[3].CreatedAt.Equal(at(4*time.Minute)) {
		t.Errorf("p-1's log: %+v %v", got, err)
	}
	// A rollback drops what waits.
	err = s.InTx(ctx, func(tx *store.Tx) error {
		if _, err := renewAndLog(tx, 5); err != nil {
			return err
		}
		return errors.New("changed my mind")
	})
	if err == nil || err.Error() != "changed my mind" {
		t.Fatalf("rolled back with %v", err)
	}
	if seq, err := s.LastSeq(ctx, "p-1"); err != nil || seq != 4 {
		t.Errorf("after the rollback p-1's last seq is %d (%v), want 4", seq, err)
	}
	if n, err := s.NotificationByEventKey(ctx, "p-1", key); err != nil || n.Body != "body 4" {
		t.Errorf("after the rollback the entry is %+v %v", n, err)
	}
}

func eventsRecords(t *testing.T, s *store.Store) {
	ctx := context.Background()
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.AppendEvent(ctx, "p-b", model.EventRead, nil, T0)
		return err
	})
	recs := []store.NewEventRecord{
		{PersonID: "p-a", Type: "t", Data: map[string]int{"i": 0}},
		{PersonID: "p-b", Type: "t", Data: json.RawMessage(`{"i":1}`)},
		{PersonID: "p-a", Type: "t", Data: map[string]int{"i": 2}},
		{PersonID: "p-c", Type: "u", Data: map[string]int{"i": 3}, SameCounts: true},
		{PersonID: "p-a", Type: "t", Data: map[string]int{"i": 4}},
	}
	var got []model.Event
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		got, err = tx.AppendEventRecords(ctx, recs, at(time.Minute))
		return err
	})
	want := []int64{1, 2, 2, 1, 3} // p-b had 1 already
	for i, e := range got {
		if e.Seq != want[i] || e.Type != recs[i].Type || e.SameCounts != recs[i].SameCounts || !e.CreatedAt.Equal(at(time.Minute)) {
			t.Errorf("entry %d: %+v, want seq %d", i, e, want[i])
		}
	}
	for person, data := range map[string][]string{"p-a": {`{"i":0}`, `{"i":2}`, `{"i":4}`}, "p-b": {`{"i":1}`}, "p-c": {`{"i":3}`}} {
		after := int64(0)
		if person == "p-b" {
			after = 1
		}
		evs, err := s.EventsAfter(ctx, person, after, 10)
		if err != nil || len(evs) != len(data) {
			t.Fatalf("%s: %+v, %v", person, evs, err)
		}
		for i, e := range evs {
			if string(e.Data) != data[i] || e.Seq != after+int64(i)+1 {
				t.Errorf("%s entry %d: seq %d %s, want %s", person, i, e.Seq, e.Data, data[i])
			}
		}
	}
	if seq, _ := s.LastSeq(ctx, "p-a"); seq != 3 {
		t.Errorf("last seq of p-a = %d, want 3", seq)
	}
}
