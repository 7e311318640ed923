package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

func init() {
	Register(
		Case{"conversations/messages are numbered per conversation, idempotent by client id, paged by seq", conversationMessages},
		Case{"conversations/a person's list: latest activity first, keyset pages, only while a member", conversationList},
		Case{"conversations/members leave and return; files, unread and members read for many at once", conversationMembers},
		Case{"conversations/a send's state: membership and the order as committed, the retry by client id", conversationSendState},
		Case{"conversations/members join many in one statement, as one by one", conversationUpsertMembers},
		Case{"conversations/an order's conversation is opened once", conversationOrderIfAbsent},
		Case{"conversations/a support send is recorded in one statement: the requester's in an open conversation, an agent's",
			func(t *testing.T, s *store.Store) { supportSent(t, s, false) }},
		Case{"conversations/a support send takes the log entries deferred before it and answers as without them",
			func(t *testing.T, s *store.Store) { supportSent(t, s, true) }},
	)
}

// conversation opens a support conversation (no order needed) with members, at T0.
func conversation(t *testing.T, s *store.Store, members ...model.Member) model.Conversation {
	t.Helper()
	c := model.Conversation{Kind: model.ConversationSupport, Subject: "退款"}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.InsertConversation(ctx, &c, T0); err != nil {
			return err
		}
		for i := range members {
			members[i].ConversationID = c.ID
			if err := tx.UpsertMember(ctx, &members[i], T0, T0); err != nil {
				return err
			}
		}
		return nil
	})
	return c
}

// say appends a message from sender at T0+d and returns it.
func say(t *testing.T, s *store.Store, c model.Conversation, sender, clientID, text string, d time.Duration, files ...string) model.Message {
	t.Helper()
	m := model.Message{ConversationID: c.ID, SenderID: sender, SenderRole: model.RoleCustomer, ClientID: clientID, Text: text, FileIDs: files}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.ConversationForUpdate(ctx, c.ID); err != nil {
			return err
		}
		_, err := tx.AppendMessage(ctx, &m, at(d))
		return err
	})
	return m
}

func seqs(ms []model.Message) string {
	out := ""
	for _, m := range ms {
		out += fmt.Sprint(m.Seq, " ")
	}
	return out
}

func conversationMessages(t *testing.T, s *store.Store) {
	ctx := context.Background()
	AddPeople(t, s, Person("c-1", model.RoleCustomer), Person("a-1", model.RoleAgent))
	c := conversation(t, s, model.Member{PersonID: "c-1", Role: model.RoleCustomer}, model.Member{PersonID: "a-1", Role: model.RoleAgent})
	other := conversation(t, s, model.Member{PersonID: "c-1", Role: model.RoleCustomer})
	for i := 1; i <= 5; i++ {
		m := say(t, s, c, "c-1", fmt.Sprint("k", i), fmt.Sprint("消息 ", i), time.Duration(i)*time.Minute)
		if m.Seq != int64(i) || m.ID == "" {
			t.Fatalf("message %d: seq %d id %q", i, m.Seq, m.ID)
		}
	}
	// The agent answers in a third conversation: AppendMessage hands back the active members as
	// they are now — the agent has read up to their own message 2, the customer up to their own 1 —
	// in joining order.
	third := conversation(t, s, model.Member{PersonID: "c-1", Role: model.RoleCustomer}, model.Member{PersonID: "a-1", Role: model.RoleAgent})
	say(t, s, third, "c-1", "q1", "在吗", time.Minute)
	reply := model.Message{ConversationID: third.ID, SenderID: "a-1", SenderRole: model.RoleAgent, ClientID: "r1", Text: "您好"}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.ConversationForUpdate(ctx, third.ID); err != nil {
			return err
		}
		ms, err := tx.AppendMessage(ctx, &reply, at(6*time.Minute))
		if err != nil {
			return err
		}
		// Both joined at T0: joining order falls back to the person id.
		if len(ms) != 2 || ms[0].PersonID != "a-1" || ms[1].PersonID != "c-1" {
			t.Fatalf("members after the reply: %+v", ms)
		}
		if ms[1].LastReadSeq != 1 || ms[0].LastReadSeq != 2 || ms[0].ReadAt == nil || !ms[0].ReadAt.Equal(at(6*time.Minute)) {
			t.Errorf("read positions after the agent's message 2: customer %d, agent %d (read at %v); want 1 and 2",
				ms[1].LastReadSeq, ms[0].LastReadSeq, ms[0].ReadAt)
		}
		return nil
	})
	if m, _ := s.Member(ctx, third.ID, "a-1"); m.LastReadSeq != 2 {
		t.Errorf("stored read position of the agent: %d, want 2", m.LastReadSeq)
	}
	if m := say(t, s, other, "c-1", "k1", "另一个对话", time.Minute); m.Seq != 1 {
		t.Fatalf("the other conversation starts at seq %d", m.Seq)
	}
	got, err := s.Conversation(ctx, c.ID)
	if err != nil || got.LastSeq != 5 || got.LastText != "消息 5" || got.LastSenderID != "c-1" || got.LastMessageAt == nil {
		t.Fatalf("conversation after 5 messages: %+v, %v", got, err)
	}
	wantUTC(t, "last_message_at", *got.LastMessageAt, at(5*time.Minute))
	// The same client id again is a conflict; MessageByClientID finds the first.
	dup := model.Message{ConversationID: c.ID, SenderID: "c-1", SenderRole: model.RoleCustomer, ClientID: "k3", Text: "again"}
	err = s.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.AppendMessage(ctx, &dup, at(time.Hour))
		return err
	})
	wantCode(t, err, model.CodeConflict)
	if m, found, err := s.MessageByClientID(ctx, c.ID, "c-1", "k3"); err != nil || !found || m.Seq != 3 || m.Text != "消息 3" {
		t.Fatalf("by client id: %+v %v %v", m, found, err)
	}
	if _, found, err := s.MessageByClientID(ctx, c.ID, "a-1", "k3"); err != nil || found {
		t.Fatalf("another sender's client id: found=%v %v", found, err)
	}
	two, four := int64(2), int64(4)
	for _, tc := range []struct {
		name string
		p    store.MessagePage
		want string
	}{
		{"newest", store.MessagePage{Limit: 2}, "4 5 "},
		{"before 4", store.MessagePage{Before: &four, Limit: 2}, "2 3 "},
		{"after 2", store.MessagePage{After: &two, Limit: 10}, "3 4 5 "},
		{"since retention", store.MessagePage{Since: at(4 * time.Minute), Limit: 10}, "4 5 "},
	} {
		ms, err := s.Messages(ctx, c.ID, tc.p)
		if err != nil || seqs(ms) != tc.want {
			t.Errorf("%s: %q %v, want %q", tc.name, seqs(ms), err, tc.want)
		}
	}
	if n, err := s.UnreadFrom(ctx, c.ID, "a-1", 2); err != nil || n != 3 {
		t.Errorf("unread for the agent after seq 2: %d %v", n, err)
	}
	if n, err := s.UnreadFrom(ctx, c.ID, "c-1", 0); err != nil || n != 0 {
		t.Errorf("unread of one's own messages: %d %v", n, err)
	}
}

func conversationList(t *testing.T, s *store.Store) {
	ctx := context.Background()
	AddPeople(t, s, Person("c-1", model.RoleCustomer), Person("a-1", model.RoleAgent))
	var convs []model.Conversation
	for i := 0; i < 5; i++ {
		convs = append(convs, conversation(t, s, model.Member{PersonID: "c-1", Role: model.RoleCustomer}, model.Member{PersonID: "a-1", Role: model.RoleAgent}))
	}
	// Activity order: 2, 0, 4, 1, 3 (oldest first).
	for i, k := range []int{2, 0, 4, 1, 3} {
		say(t, s, convs[k], "a-1", fmt.Sprint("k", i), "您好", time.Duration(i+1)*time.Minute)
	}
	ids := func(rows []store.MemberConversation) string {
		out := ""
		for _, r := range rows {
			for k, c := range convs {
				if c.ID == r.Conversation.ID {
					out += fmt.Sprint(k, " ")
				}
			}
		}
		return out
	}
	first, err := s.PersonConversations(ctx, "c-1", "", nil, 3)
	if err != nil || ids(first) != "3 1 4 " {
		t.Fatalf("first page: %q %v", ids(first), err)
	}
	if r := first[0]; r.Member.PersonID != "c-1" || r.Member.Role != model.RoleCustomer || r.Conversation.LastText != "您好" {
		t.Errorf("row: %+v", r)
	}
	wantUTC(t, "sort_at", first[0].SortAt, at(5*time.Minute))
	last := first[len(first)-1]
	next, err := s.PersonConversations(ctx, "c-1", "", &store.ConversationKey{SortAt: last.SortAt, ID: last.Conversation.ID}, 3)
	if err != nil || ids(next) != "0 2 " {
		t.Fatalf("second page: %q %v", ids(next), err)
	}
	if rows, err := s.PersonConversations(ctx, "c-1", model.ConversationOrder, nil, 10); err != nil || len(rows) != 0 {
		t.Errorf("kind=order: %d rows %v", len(rows), err)
	}
	// A member who left no longer lists it; a new message does not bring it back.
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.RemoveMember(ctx, convs[3].ID, "c-1", at(time.Hour))
		return err
	})
	say(t, s, convs[3], "a-1", "k9", "还在吗", 2*time.Hour)
	if rows, err := s.PersonConversations(ctx, "c-1", "", nil, 10); err != nil || ids(rows) != "1 4 0 2 " {
		t.Errorf("after leaving 3: %q %v", ids(rows), err)
	}
	if rows, err := s.PersonConversations(ctx, "a-1", "", nil, 1); err != nil || ids(rows) != "3 " {
		t.Errorf("the agent's newest: %q %v", ids(rows), err)
	}
}

func conversationMembers(t *testing.T, s *store.Store) {
	ctx := context.Background()
	AddPeople(t, s, Person("c-1", model.RoleCustomer), Person("w-1", model.RoleWorker), Person("w-2", model.RoleWorker))
	c := conversation(t, s, model.Member{PersonID: "c-1", Role: model.RoleCustomer}, model.Member{PersonID: "w-1", Role: model.RoleWorker})
	d := conversation(t, s, model.Member{PersonID: "c-1", Role: model.RoleCustomer})
	f := fileFixture(model.NewID(), "c-1", "cc33")
	write(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.InsertFile(ctx, &f) })
	say(t, s, c, "c-1", "k1", "", time.Minute, f.ID)
	say(t, s, c, "c-1", "k2", "看图", 2*time.Minute)
	say(t, s, d, "c-1", "k1", "自言自语", 2*time.Minute)
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		moved, err := tx.MarkMemberRead(ctx, c.ID, "w-1", 1, at(3*time.Minute))
		if err != nil || !moved {
			return fmt.Errorf("mark read: %v %v", moved, err)
		}
		if moved, err := tx.MarkMemberRead(ctx, c.ID, "w-1", 1, at(4*time.Minute)); err != nil || moved {
			return fmt.Errorf("read position moved again to the same seq: %v %v", moved, err)
		}
		return nil
	})
	for who, want := range map[string]bool{"c-1": true, "w-1": true, "w-2": false} {
		if ok, err := s.FileReadable(ctx, who, f.ID); err != nil || ok != want {
			t.Errorf("%s reads the file: %v %v, want %v", who, ok, err, want)
		}
	}
	if ok, err := s.MessagesShowFile(ctx, f.ID); err != nil || !ok {
		t.Errorf("messages show the file: %v %v", ok, err)
	}
	unread, err := s.UnreadInMany(ctx, "w-1", []string{c.ID, d.ID})
	if err != nil || len(unread) != 1 || unread[c.ID] != 1 {
		t.Errorf("w-1's unread: %v %v", unread, err)
	}
	// The worker leaves (a worker change), then comes back: their read position is kept.
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if removed, err := tx.RemoveMember(ctx, c.ID, "w-1", at(5*time.Minute)); err != nil || !removed {
			return fmt.Errorf("remove: %v %v", removed, err)
		}
		if removed, err := tx.RemoveMember(ctx, c.ID, "w-1", at(6*time.Minute)); err != nil || removed {
			return fmt.Errorf("removed twice: %v %v", removed, err)
		}
		return tx.UpsertMember(ctx, &model.Member{ConversationID: c.ID, PersonID: "w-2", Role: model.RoleWorker}, at(2*time.Minute), at(5*time.Minute))
	})
	if ok, err := s.FileReadable(ctx, "w-1", f.ID); err != nil || ok {
		t.Errorf("a member who left reads the file: %v %v", ok, err)
	}
	if ok, err := s.FileReadable(ctx, "w-2", f.ID); err != nil || !ok {
		t.Errorf("the new member cannot read the file: %v %v", ok, err)
	}
	many, err := s.MembersOfMany(ctx, []string{c.ID, d.ID})
	if err != nil {
		t.Fatal(err)
	}
	order := func(ms []model.Member) string {
		out := ""
		for _, m := range ms {
			out += fmt.Sprintf("%s:%v ", m.PersonID, m.Active())
		}
		return out
	}
	if got := order(many[c.ID]); got != "c-1:true w-2:true w-1:false " {
		t.Errorf("members of c: %q (active first, in joining order)", got)
	}
	if got := order(many[d.ID]); got != "c-1:true " {
		t.Errorf("members of d: %q", got)
	}
	if one, err := s.Members(ctx, c.ID); err != nil || order(one) != order(many[c.ID]) {
		t.Errorf("Members and MembersOfMany differ: %q / %q %v", order(one), order(many[c.ID]), err)
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.UpsertMember(ctx, &model.Member{ConversationID: c.ID, PersonID: "w-1", Role: model.RoleWorker}, at(2*time.Minute), at(7*time.Minute))
	})
	m, err := s.Member(ctx, c.ID, "w-1")
	if err != nil || !m.Active() || m.LastReadSeq != 1 {
		t.Errorf("returned member: %+v %v (read position kept)", m, err)
	}
	wantUTC(t, "joined_at of the returned member", m.JoinedAt, at(7*time.Minute))
	_, err = s.Member(ctx, d.ID, "w-1")
	wantCode(t, err, model.CodeNotFound)
}

func conversationSendState(t *testing.T, s *store.Store) {
	ctx := context.Background()
	o := orderFixture(t, s)
	o.WorkerID, o.Status = "w1", model.OrderAccepted
	insertOrder(t, s, &o)
	AddPeople(t, s, Person("x1", model.RoleCustomer))
	c := model.Conversation{Kind: model.ConversationOrder, OrderID: o.ID}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.InsertConversation(ctx, &c, T0); err != nil {
			return err
		}
		for _, m := range []model.Member{{PersonID: "c1", Role: model.RoleCustomer}, {PersonID: "w1", Role: model.RoleWorker}} {
			m.ConversationID = c.ID
			if err := tx.UpsertMember(ctx, &m, T0, T0); err != nil {
				return err
			}
		}
		return nil
	})
	say(t, s, c, "c1", "k1", "你好", time.Minute)
	state := func(person, clientID string) (st store.SendState) {
		t.Helper()
		write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
			st, err = tx.SendStateOf(ctx, c.ID, person, clientID)
			return err
		})
		return st
	}
	st := state("c1", "k1")
	if st.Conversation.ID != c.ID || st.Conversation.LastSeq != 1 || st.Conversation.OrderID != o.ID || !st.IsMember ||
		!st.Member.Active() || st.Member.Role != model.RoleCustomer || st.Member.LastReadSeq != 1 || st.Member.ReadAt == nil {
		t.Fatalf("customer's state: %+v", st)
	}
	if !st.Retry || st.Sent.Seq != 1 || st.Sent.Text != "你好" {
		t.Errorf("the customer's client id k1 is a retry of message 1: %v %+v", st.Retry, st.Sent)
	}
	if st.Order == nil || st.Order.Status != model.OrderAccepted || st.Order.WorkerID != "w1" {
		t.Errorf("order state: %+v", st.Order)
	}
	if st := state("w1", "k1"); st.Retry || !st.IsMember || st.Member.Role != model.RoleWorker || st.Member.LastReadSeq != 0 {
		t.Errorf("the worker's k1 is not the customer's: %+v", st)
	}
	if st := state("x1", "k2"); st.IsMember || st.Retry {
		t.Errorf("a stranger's state: %+v", st)
	}
	// The worker is removed and the order reassigned: the next read sees both at once.
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.RemoveMember(ctx, c.ID, "w1", at(2*time.Minute)); err != nil {
			return err
		}
		got, err := tx.Order(ctx, o.ID)
		if err != nil {
			return err
		}
		got.WorkerID = "w2"
		return tx.UpdateOrder(ctx, &got, at(2*time.Minute))
	})
	if st := state("w1", "k2"); !st.IsMember || st.Member.Active() || st.Order == nil || st.Order.WorkerID != "w2" {
		t.Errorf("the removed worker's state: member %+v, order %+v", st.Member, st.Order)
	}
	err := s.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.SendStateOf(ctx, "nope", "c1", "k1")
		return err
	})
	wantCode(t, err, model.CodeNotFound)
	// A send of the same client id commits while this one waits for the conversation (on
	// PostgreSQL, after this read's snapshot): the read sees it as the retry it is.
	type result struct {
		st  store.SendState
		err error
	}
	done := make(chan result, 1)
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if _, err := tx.ConversationForUpdate(ctx, c.ID); err != nil {
			return err
		}
		m := model.Message{ConversationID: c.ID, SenderID: "c1", SenderRole: model.RoleCustomer, ClientID: "k9", Text: "又一次"}
		if _, err := tx.AppendMessage(ctx, &m, at(3*time.Minute)); err != nil {
			return err
		}
		go func() {
			var r result
			r.err = s.InTx(ctx, func(tx *store.Tx) (err error) {
				r.st, err = tx.SendStateOf(ctx, c.ID, "c1", "k9")
				return err
			})
			done <- r
		}()
		time.Sleep(100 * time.Millisecond) // the other read waits for the lock meanwhile
		return nil
	})
	r := <-done
	if r.err != nil || !r.st.Retry || r.st.Sent.Seq != 2 || r.st.Sent.Text != "又一次" || r.st.Conversation.LastSeq != 2 {
		t.Errorf("a send of k9 committed while the read waited: retry %v, sent %+v, last seq %d, %v", r.st.Retry, r.st.Sent,
			r.st.Conversation.LastSeq, r.err)
	}
	// Without a concurrent send the retry is read in the one statement.
	if st := state("c1", "k9"); !st.Retry || st.Sent.Seq != 2 {
		t.Errorf("k9 is a retry of message 2: %v %+v", st.Retry, st.Sent)
	}
	if st := state("c1", "k10"); st.Retry {
		t.Errorf("k10 was never sent: %+v", st.Sent)
	}
}

func conversationUpsertMembers(t *testing.T, s *store.Store) {
	ctx := context.Background()
	AddPeople(t, s, Person("c1", model.RoleCustomer), Person("w1", model.RoleWorker))
	c := conversation(t, s)
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.UpsertMembers(ctx, []*model.Member{{ConversationID: c.ID, PersonID: "c1", Role: model.RoleCustomer},
			{ConversationID: c.ID, PersonID: "w1", Role: model.RoleWorker}}, T0, T0)
	})
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		_, err := tx.RemoveMember(ctx, c.ID, "w1", at(time.Minute))
		return err
	})
	// Again: the customer stays as they joined, the worker who left comes back, joined anew.
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.UpsertMembers(ctx, []*model.Member{{ConversationID: c.ID, PersonID: "c1", Role: model.RoleCustomer},
			{ConversationID: c.ID, PersonID: "w1", Role: model.RoleWorker}}, T0, at(2*time.Minute))
	})
	ms, err := s.Members(ctx, c.ID)
	if err != nil || len(ms) != 2 {
		t.Fatalf("members = %+v, %v", ms, err)
	}
	for _, m := range ms {
		if !m.Active() {
			t.Errorf("%s is not active: %+v", m.PersonID, m)
		}
		switch m.PersonID {
		case "c1":
			wantUTC(t, "c1 joined_at", m.JoinedAt, T0)
		case "w1":
			wantUTC(t, "w1 joined_at", m.JoinedAt, at(2*time.Minute))
		}
	}
}

func conversationOrderIfAbsent(t *testing.T, s *store.Store) {
	ctx := context.Background()
	o := orderFixture(t, s)
	insertOrder(t, s, &o)
	var first model.Conversation
	for i, want := range []bool{true, false} {
		c := model.Conversation{Kind: model.ConversationOrder, OrderID: o.ID}
		write(t, s, func(ctx context.Context, tx *store.Tx) error {
			inserted, err := tx.InsertOrderConversationIfAbsent(ctx, &c, at(time.Duration(i)*time.Minute))
			if err == nil && inserted != want {
				t.Errorf("try %d: inserted = %v", i, inserted)
			}
			return err
		})
		if i == 0 {
			first = c
			if c.ID == "" {
				t.Fatal("no id")
			}
			wantUTC(t, "created_at", c.CreatedAt, T0)
		} else if c.ID != "" {
			t.Errorf("the second try set the id %s", c.ID)
		}
	}
	got, err := s.OrderConversation(ctx, o.ID, model.ConversationOrder)
	if err != nil || got.ID != first.ID {
		t.Fatalf("order conversation = %+v %v, want %s", got, err, first.ID)
	}
	wantUTC(t, "stored created_at", got.CreatedAt, T0)
}

// supportSent checks SupportRequesterSent and SupportAgentSent; with deferred, each follows a
// deferred log entry for c1 (AppendEventRecordsLater), which goes with it on PostgreSQL.
func supportSent(t *testing.T, s *store.Store, deferred bool) {
	ctx := context.Background()
	var logged []model.Event // the deferred entries, as stored
	deferrals := 0
	logFirst := func(ctx context.Context, tx *store.Tx) error {
		if !deferred {
			return nil
		}
		deferrals++
		evs, err := tx.AppendEventRecordsLater(ctx, []store.NewEventRecord{{PersonID: "c1", Type: "t",
			Data: map[string]int{"i": deferrals - 1}}}, T0)
		if err == nil {
			tx.AfterCommit(func() { logged = append(logged, evs...) })
		}
		return err
	}
	AddPeople(t, s, Person("c1", model.RoleCustomer), Person("a1", model.RoleAgent))
	c := conversation(t, s, model.Member{PersonID: "c1", Role: model.RoleCustomer}, model.Member{PersonID: "a1", Role: model.RoleAgent})
	t0 := T0
	th := model.SupportThread{ConversationID: c.ID, RequesterID: "c1", RequesterRole: model.RoleCustomer, Subject: "退款",
		Status: model.SupportOpen, AgentID: "a1", AssignedAt: &t0, AutoRepliedAt: &t0}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.EnsureSupportAgent(ctx, "a1", T0); err != nil {
			return err
		}
		return tx.InsertSupportThread(ctx, &th, T0)
	})
	requester := func(person string, d time.Duration) (got model.SupportThread, free, found bool) {
		t.Helper()
		write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
			if err := logFirst(ctx, tx); err != nil {
				return err
			}
			got, free, found, err = tx.SupportRequesterSent(ctx, c.ID, person, at(d))
			return err
		})
		return got, free, found
	}
	// The holder is offline: not free.
	got, free, found := requester("c1", time.Minute)
	if !found || free || got.Version != 2 || got.LastCustomerAt == nil || !got.LastCustomerAt.Equal(at(time.Minute)) ||
		got.AgentID != "a1" || got.AutoRepliedAt == nil || got.Status != model.SupportOpen || !got.UpdatedAt.Equal(at(time.Minute)) {
		t.Fatalf("the requester's message: found %v free %v %+v", found, free, got)
	}
	if stored, err := s.SupportThread(ctx, c.ID); err != nil || stored.Version != got.Version || stored.LastCustomerAt == nil ||
		!stored.LastCustomerAt.Equal(*got.LastCustomerAt) || stored.AgentID != "a1" {
		t.Fatalf("stored %+v, %v; returned %+v", stored, err, got)
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.SetAgentOnline(ctx, "a1", true, at(2*time.Minute))
	})
	if _, free, _ := requester("c1", 2*time.Minute); !free {
		t.Errorf("the holder is online and not away: free")
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.SetAgentAway(ctx, "a1", true, at(3*time.Minute))
	})
	if _, free, _ := requester("c1", 3*time.Minute); free {
		t.Errorf("the holder is away: not free")
	}
	// Not the requester: nothing written.
	if _, _, found := requester("a1", 4*time.Minute); found {
		t.Errorf("the agent is not the requester")
	}
	// The agent answers: last_agent_at now, the automatic reply due again.
	agent := func(person string, d time.Duration) (ok bool) {
		t.Helper()
		write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
			if err := logFirst(ctx, tx); err != nil {
				return err
			}
			ok, err = tx.SupportAgentSent(ctx, c.ID, person, at(d))
			return err
		})
		return ok
	}
	if !agent("a1", 5*time.Minute) {
		t.Fatalf("the agent's message was not recorded")
	}
	stored, err := s.SupportThread(ctx, c.ID)
	if err != nil || stored.Version != 5 || stored.LastAgentAt == nil || !stored.LastAgentAt.Equal(at(5*time.Minute)) ||
		stored.AutoRepliedAt != nil || !stored.LastCustomerAt.Equal(at(3*time.Minute)) {
		t.Fatalf("after the agent's answer: %+v, %v", stored, err)
	}
	if agent("c1", 6*time.Minute) {
		t.Errorf("the requester's message is not an agent's answer")
	}
	// A resolved conversation is left to the caller's rules.
	stored.Status = model.SupportResolved
	write(t, s, func(ctx context.Context, tx *store.Tx) error {
		return tx.UpdateSupportThread(ctx, &stored, at(7*time.Minute))
	})
	if _, _, found := requester("c1", 8*time.Minute); found {
		t.Errorf("a resolved conversation was written by the fast path")
	}
	if got, err := s.SupportThread(ctx, c.ID); err != nil || got.Version != 6 || !got.LastCustomerAt.Equal(at(3*time.Minute)) {
		t.Errorf("after the refused fast path: %+v, %v", got, err)
	}
	write(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
		if err := logFirst(ctx, tx); err != nil {
			return err
		}
		if _, _, found, err := tx.SupportRequesterSent(ctx, "nope", "c1", T0); err != nil || found {
			t.Errorf("no such conversation: found %v, %v", found, err)
		}
		if err := logFirst(ctx, tx); err != nil {
			return err
		}
		if ok, err := tx.SupportAgentSent(ctx, "nope", "a1", T0); err != nil || ok {
			t.Errorf("no such conversation: %v, %v", ok, err)
		}
		return nil
	})
	if !deferred {
		return
	}
	// Every deferred entry was written, numbered in turn, with the seq it was handed.
	stored, err = s.SupportThread(ctx, c.ID)
	evs, err2 := s.EventsAfter(ctx, "c1", 0, 100)
	if err != nil || err2 != nil || len(logged) != 9 || len(evs) != len(logged) {
		t.Fatalf("log of c1: %d stored, %d handed back (%v, %v)", len(evs), len(logged), err, err2)
	}
	for i, e := range logged {
		if e.Seq != int64(i+1) || evs[i].Seq != e.Seq || string(evs[i].Data) != fmt.Sprintf(`{"i":%d}`, i) {
			t.Errorf("entry %d: handed back seq %d, stored %d %s", i, e.Seq, evs[i].Seq, evs[i].Data)
		}
	}
}
