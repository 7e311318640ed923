package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store/storetest"
)

// A conversation keeps its messages as long as the message center keeps interaction notices
// (interaction_days, S5): within it the whole conversation can be read back; older messages are no
// longer shown, and the daily purge deletes them from the database, their images' links with them,
// leaving the conversation and its newer messages.
func TestS5ChatHistoryFollowsInteractionRetention(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s, clk := inbNode(t, dsn)
		s.AddPerson(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
		s.AddPerson(model.Person{ID: "op-1", Role: model.RoleOperator, Name: "运营"})
		ctx := context.Background()
		if err := s.App.ScheduleRetention(ctx); err != nil {
			t.Fatal(err)
		}
		op := s.Token("op-1", model.RoleOperator)
		inbWant(t, s.Do("PUT", "/v1/admin/retention", op, map[string]any{"interaction_days": 3}), 200)

		// Day 0 (10:00 in China): the customer asks support, with a screenshot.
		c := s.Token("c-1", model.RoleCustomer)
		up := uploadPNG(t, s, c, 40)
		open := inbWant(t, s.Do("POST", "/v1/support/conversations", c, map[string]any{"client_id": "open-1",
			"text": "第一天：付款失败", "file_ids": []string{up}}), 201)
		conv := open.Str("conversation_id")
		// Day 2: another message.
		clk.Add(2 * 24 * time.Hour)
		c = s.Token("c-1", model.RoleCustomer)
		inbWant(t, s.Do("POST", "/v1/conversations/"+conv+"/messages", c, map[string]any{"client_id": "m-2", "text": "第三天：还是没到账"}), 201)
		texts := func() []string {
			c := s.Token("c-1", model.RoleCustomer)
			var out []string
			for _, m := range inbWant(t, s.Do("GET", "/v1/conversations/"+conv+"/messages", c, nil), 200).Items() {
				out = append(out, m["text"].(string))
			}
			return out
		}
		// Nobody is online: the desk's automatic reply follows the first message, the same day.
		if got := texts(); len(got) != 3 || got[0] != "第一天：付款失败" || got[2] != "第三天：还是没到账" {
			t.Fatalf("within retention the conversation reads %q, want the two messages and the automatic reply", got)
		}
		s.RunJobs(t) // what is due before 03:30 (deliveries); the purge is not
		if got := texts(); len(got) != 3 {
			t.Fatalf("before 03:30 the conversation reads %q", got)
		}

		// Day 4 at 03:30 in China: the day-0 message is over 3 days old, the day-2 one is not.
		clk.Set(time.Date(2026, 3, 6, 3, 30, 0, 0, shanghai))
		s.RunJobs(t)
		if got := texts(); len(got) != 1 || got[0] != "第三天：还是没到账" {
			t.Fatalf("after the purge the conversation reads %q, want only the day-2 message", got)
		}
		var kept int
		if err := s.Store.DB().QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE conversation_id = $1`, conv).Scan(&kept); err != nil || kept != 1 {
			t.Fatalf("%d messages stored (%v), want 1", kept, err)
		}
		var links int
		if err := s.Store.DB().QueryRowContext(ctx, `SELECT count(*) FROM message_files WHERE conversation_id = $1`, conv).Scan(&links); err != nil || links != 0 {
			t.Fatalf("the purged message's image links: %d (%v), want none", links, err)
		}
		// The conversation itself stays, and the customer writes on in it.
		c = s.Token("c-1", model.RoleCustomer)
		inbWant(t, s.Do("POST", "/v1/conversations/"+conv+"/messages", c, map[string]any{"client_id": "m-3", "text": "第五天"}), 201)
		if got := texts(); len(got) < 2 || got[0] != "第三天：还是没到账" || got[1] != "第五天" {
			t.Fatalf("after writing on the conversation reads %q", got)
		}
	})
}
