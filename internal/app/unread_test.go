package app_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store/storetest"
)

// X1, S4 (#11): a person's open streams receive unread.changed with the message center's counts
// when they open and whenever the counts change — a new notification, or a read on another
// device — so clients never count themselves. The frame is in no log (seq 0; SSE sends it
// without an id, so resuming is unaffected).
func TestX1UnreadChangedWhenCountsChange(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s := apptest.Start(t, dsn, apptest.Options{})
		tok := s.AddPerson(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		ws, err := dialWS(ctx, s, tok, -1, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.c.CloseNow()
		ws.unread = true
		sse, err := dialSSE(ctx, s, tok, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer sse.close()
		sse.unread = true

		// expect reads the next frames of both streams: types in order, the last unread.changed's
		// counts returned.
		expect := func(step string, types ...string) notify.UnreadCounts {
			t.Helper()
			var counts [2]notify.UnreadCounts
			for i, next := range []func() (streamEvent, error){
				func() (streamEvent, error) { return ws.next(ctx) }, sse.next} {
				for _, typ := range types {
					ev, err := next()
					if err != nil {
						t.Fatalf("%s: stream %d: %v", step, i, err)
					}
					if ev.Type != typ {
						t.Fatalf("%s: stream %d: got %s (seq %d), want %s", step, i, ev.Type, ev.Seq, typ)
					}
					if typ == model.EventUnread {
						if ev.Seq != 0 {
							t.Errorf("%s: unread.changed has seq %d, want 0 (in no log)", step, ev.Seq)
						}
						if err := json.Unmarshal(ev.Data, &counts[i]); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			if counts[0].Total != counts[1].Total {
				t.Fatalf("%s: WebSocket says %d unread, SSE %d", step, counts[0].Total, counts[1].Total)
			}
			return counts[0]
		}

		if c := expect("open", model.EventUnread); c.Total != 0 || len(c.ByCategory) != 4 {
			t.Fatalf("counts at open: %+v", c)
		}
		tellPerson(t, s, "c-1", "m1", "你好")
		if c := expect("a new notification", model.EventNotification, model.EventUnread); c.Total != 1 || c.ByCategory["interaction"] != 1 {
			t.Fatalf("counts after a notification: %+v", c)
		}
		tellPerson(t, s, "c-1", "m2", "还在吗")
		if c := expect("another", model.EventNotification, model.EventUnread); c.Total != 2 {
			t.Fatalf("counts after two: %+v", c)
		}
		// Read on another device (a REST call): both streams hear the read and the new counts.
		if r := s.Do("POST", "/v1/me/inbox/read", tok, map[string]any{"all": true}); r.Status != 200 {
			t.Fatalf("%s", r)
		}
		if c := expect("read elsewhere", model.EventRead, model.EventUnread); c.Total != 0 {
			t.Fatalf("counts after reading all: %+v", c)
		}
		// The REST counts agree with the last frame.
		if r := s.Do("GET", "/v1/me/inbox/unread", tok, nil); r.Status != 200 || r.JSON["total"] != float64(0) {
			t.Fatalf("%s", r)
		}
	})
}
