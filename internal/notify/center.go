package notify

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify/planner"
	"github.com/homebell/homebell/internal/store"
)

// The message center (S4, S5): a person's list, unread counts and read marks. Every write to a
// person's read state goes through here, so their other devices learn of it on their stream (X1).
// Broadcasts (campaigns, P1/P2) are stored once and shown on read: the center asks its
// BroadcastSource for the ones a person is shown and merges them into the list, the counts and the
// read marks, so promotions and notifications are read in one transaction.

// Categories are the message-center categories, in display order.
var Categories = []planner.Category{planner.CategoryService, planner.CategoryException, planner.CategoryPlatform,
	planner.CategoryInteraction}

// UnreadCounts is the badge state: the total and every category, zeros included.
type UnreadCounts struct {
	Total      int            `json:"total"`
	ByCategory map[string]int `json:"by_category"`
}

// CountsFrom spells out counts by category as UnreadCounts.
func CountsFrom(m map[string]int) UnreadCounts {
	out := UnreadCounts{ByCategory: map[string]int{}}
	for _, c := range Categories {
		out.ByCategory[string(c)] = m[string(c)]
		out.Total += m[string(c)]
	}
	return out
}

// ReadSelection selects what to mark read; exactly one member is set.
type ReadSelection struct {
	IDs      []string `json:"ids,omitempty"`
	Category string   `json:"category,omitempty"`
	All      bool     `json:"all,omitempty"`
}

// ReadEvent is the payload of a notification.read event: the selection and the new counts, so
// the person's other open devices update their list and badge.
type ReadEvent struct {
	ReadSelection
	ReadAt time.Time    `json:"read_at"`
	Marked int64        `json:"marked"`
	Unread UnreadCounts `json:"unread"`
}

// Broadcast is one entry stored once and shown to many (a campaign), as one person sees it.
type Broadcast struct {
	ID         string
	Kind       string
	Importance string
	SentAt     time.Time // its place in the time order
	Read       bool
	// Title and Body in the reader's language: what a search matches.
	Title, Body string
}

// Shown is what one person is shown of the broadcasts at one instant, newest first.
type Shown struct {
	List []Broadcast
	// Entry renders List[i] as the person's message-center entry; only entries that land on a
	// page are rendered.
	Entry func(i int) model.Notification
}

// BroadcastSource is where the message center finds broadcasts (campaign.Service; declared here
// because campaigns build on notify). Broadcasts are of category platform.
type BroadcastSource interface {
	// ShownTo returns what personID is shown at now.
	ShownTo(ctx context.Context, personID string, now time.Time) (Shown, error)
	// MarkShownRead records in tx that personID read ids (opened: and opened their detail); it
	// returns how many were newly read.
	MarkShownRead(ctx context.Context, tx *store.Tx, personID string, ids []string, opened bool, now time.Time) (int64, error)
	// ShownWithInbox returns what iq.RecipientID is shown at now together with the page iq of
	// their notifications (store.Inbox), so a message-center page is one call to the store (one
	// round trip on PostgreSQL, see store.InboxWithCampaignReader) rather than two reads.
	ShownWithInbox(ctx context.Context, iq store.InboxQuery, now time.Time) (Shown, []model.Notification, error)
}

// isBroadcastKind reports whether broadcasts come in kind (campaigns: promotions and new services).
func isBroadcastKind(kind string) bool { return kind == KindPromotion || kind == KindNewService }

// shownTo asks the broadcast source, if any, what personID is shown now.
func (s *Service) shownTo(ctx context.Context, personID string, now time.Time) (Shown, error) {
	if s.Broadcasts == nil {
		return Shown{}, nil
	}
	return s.Broadcasts.ShownTo(ctx, personID, now)
}

func rank(n model.Notification) int { return planner.Importance(n.Importance).Rank() }

// before reports whether a sorts before b in the message center's order (newest first, or
// importance first then newest).
func before(a, b model.Notification, byImportance bool) bool {
	if byImportance {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra > rb
		}
	}
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID > b.ID
}

// afterKey reports whether n comes after the cursor k (so it belongs on the next page).
func afterKey(n model.Notification, k *store.InboxKey, byImportance bool) bool {
	if k == nil {
		return true
	}
	kn := model.Notification{Importance: store.ImportanceName(k.Importance), CreatedAt: k.CreatedAt, ID: k.ID}
	return before(kn, n, byImportance)
}

// keyOf is b's place in the message center's order (what a page is cut by).
func keyOf(b Broadcast) model.Notification {
	return model.Notification{ID: b.ID, Importance: b.Importance, CreatedAt: b.SentAt}
}

// inReadersLocale shows each notification in its reader's current language when it was also
// rendered in that one (issue 15 item 11: after switching to English, older notices read English).
func (s *Service) inReadersLocale(ctx context.Context, personID string, rows []model.Notification) ([]model.Notification, error) {
	if !slices.ContainsFunc(rows, func(n model.Notification) bool { return n.Alt.Locale != "" }) {
		return rows, nil
	}
	person, err := s.Store.Person(ctx, personID)
	if model.IsCode(err, model.CodeNotFound) {
		return rows, nil
	}
	if err != nil {
		return nil, err
	}
	for i := range rows {
		rows[i] = rows[i].InLocale(person.Locale)
	}
	return rows, nil
}

// Inbox is one page of a person's message center: their notifications and the broadcasts shown to
// them, merged in the query's order (keyset paging, see store.Inbox).
func (s *Service) Inbox(ctx context.Context, iq store.InboxQuery) (_ []model.Notification, err error) {
	defer model.WrapOp(&err, "notify: inbox", iq.RecipientID)
	if s.Broadcasts == nil || iq.OrderID != "" || (iq.Category != "" && iq.Category != string(planner.CategoryPlatform)) ||
		(iq.Kind != "" && !isBroadcastKind(iq.Kind)) {
		rows, err := s.Store.Inbox(ctx, iq)
		if err != nil {
			return nil, err
		}
		return s.inReadersLocale(ctx, iq.RecipientID, rows) // no broadcast can match
	}
	sh, rows, err := s.Broadcasts.ShownWithInbox(ctx, iq, s.Now())
	if err == nil {
		rows, err = s.inReadersLocale(ctx, iq.RecipientID, rows)
	}
	if err != nil {
		return nil, err
	}
	if len(sh.List) == 0 {
		return rows, nil
	}
	search := strings.ToLower(strings.TrimSpace(iq.Search))
	var cand []int
	for i, b := range sh.List {
		switch {
		case iq.Kind != "" && b.Kind != iq.Kind,
			iq.UnreadOnly && b.Read,
			search != "" && !strings.Contains(strings.ToLower(b.Title), search) &&
				!strings.Contains(strings.ToLower(b.Body), search),
			!afterKey(keyOf(b), iq.After, iq.ByImportance):
			continue
		}
		cand = append(cand, i)
		if !iq.ByImportance && len(cand) == iq.Limit {
			break // newest first already: the rest cannot reach this page
		}
	}
	if iq.ByImportance {
		slices.SortStableFunc(cand, func(a, b int) int {
			return cmp.Compare(rank(keyOf(sh.List[b])), rank(keyOf(sh.List[a])))
		})
	}
	if len(cand) > iq.Limit {
		cand = cand[:iq.Limit]
	}
	if len(cand) == 0 {
		return rows, nil
	}
	merged := make([]model.Notification, len(rows), len(rows)+len(cand))
	copy(merged, rows)
	for _, i := range cand {
		merged = append(merged, sh.Entry(i))
	}
	slices.SortStableFunc(merged, func(a, b model.Notification) int {
		if before(a, b, iq.ByImportance) {
			return -1
		}
		if before(b, a, iq.ByImportance) {
			return 1
		}
		return 0
	})
	if len(merged) > iq.Limit {
		merged = merged[:iq.Limit]
	}
	return merged, nil
}

// Unread returns personID's unread counts: notifications per category, and the unread broadcasts
// they are shown in platform.
func (s *Service) Unread(ctx context.Context, personID string) (_ UnreadCounts, err error) {
	defer model.WrapOp(&err, "notify: unread", personID)
	m, err := s.Store.UnreadCounts(ctx, personID)
	if err != nil {
		return UnreadCounts{}, err
	}
	sh, err := s.shownTo(ctx, personID, s.Now())
	if err != nil {
		return UnreadCounts{}, err
	}
	for _, b := range sh.List {
		if !b.Read {
			m[string(planner.CategoryPlatform)]++
		}
	}
	return CountsFrom(m), nil
}

// BroadcastCounter is what a BroadcastSource may also do: count, for many people at once, the
// unread broadcasts each is shown at now (people shown none may be absent). UnreadMany uses it;
// without it, it asks ShownTo once per person.
type BroadcastCounter interface {
	UnreadShownMany(ctx context.Context, personIDs []string, now time.Time) (map[string]int, error)
}

// UnreadMany is Unread for several people at once (the realtime hub's unread.changed frames for
// everyone one commit told): the notifications' counts in one query per 500 people, the
// broadcasts' through the source's BroadcastCounter. Everyone asked for is in the map.
func (s *Service) UnreadMany(ctx context.Context, personIDs []string) (_ map[string]UnreadCounts, err error) {
	defer model.WrapOp(&err, "notify: unread of many", "")
	m, err := s.Store.UnreadCountsMany(ctx, personIDs)
	if err != nil {
		return nil, err
	}
	var shown map[string]int
	if s.Broadcasts != nil {
		if bc, ok := s.Broadcasts.(BroadcastCounter); ok {
			if shown, err = bc.UnreadShownMany(ctx, personIDs, s.Now()); err != nil {
				return nil, err
			}
		} else {
			shown = make(map[string]int, len(personIDs))
			for _, id := range personIDs {
				sh, err := s.shownTo(ctx, id, s.Now())
				if err != nil {
					return nil, err
				}
				for _, b := range sh.List {
					if !b.Read {
						shown[id]++
					}
				}
			}
		}
	}
	out := make(map[string]UnreadCounts, len(personIDs))
	for _, id := range personIDs {
		c := m[id]
		if k := shown[id]; k > 0 {
			if c == nil {
				c = map[string]int{}
			}
			c[string(planner.CategoryPlatform)] += k
		}
		out[id] = CountsFrom(c)
	}
	return out, nil
}

// MarkRead marks personID's selected notifications and broadcasts read: listed ids, a whole
// category, or all (broadcasts they are not shown are ignored like other people's ids). When
// anything changed it appends a notification.read entry to their event log and wakes their
// streams after commit.
func (s *Service) MarkRead(ctx context.Context, personID string, sel ReadSelection) (_ ReadEvent, err error) {
	defer model.WrapOp(&err, "notify: mark read", personID)
	sh, err := s.shownTo(ctx, personID, s.Now())
	if err != nil {
		return ReadEvent{}, err
	}
	return s.markRead(ctx, personID, sel, false, sh)
}

// MarkOpened marks broadcast id read and opened (its detail was shown), given what personID is
// shown (sh, from the BroadcastSource).
func (s *Service) MarkOpened(ctx context.Context, personID, id string, sh Shown) (_ ReadEvent, err error) {
	defer model.WrapOp(&err, "notify: mark opened", id)
	return s.markRead(ctx, personID, ReadSelection{IDs: []string{id}}, true, sh)
}

func (s *Service) markRead(ctx context.Context, personID string, sel ReadSelection, opened bool, sh Shown) (ReadEvent, error) {
	want := map[string]bool{}
	for _, id := range sel.IDs {
		want[id] = true
	}
	var ids []string
	unread := 0
	for _, b := range sh.List {
		pick := sel.All || sel.Category == string(planner.CategoryPlatform) || want[b.ID]
		if pick && (!b.Read || opened) {
			ids = append(ids, b.ID)
		}
		if !b.Read && !pick {
			unread++
		}
	}
	var out ReadEvent
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		now := tx.Now()
		marked, err := tx.MarkRead(ctx, personID, store.ReadSelector{IDs: sel.IDs, Category: sel.Category, All: sel.All}, now)
		if err != nil {
			return err
		}
		if marked > 0 {
			// Y1: read on any device, the rest of a notice's chain is cancelled in this commit.
			if err := s.StopReadChains(ctx, tx, personID, now); err != nil {
				return err
			}
		}
		if len(ids) > 0 {
			n, err := s.Broadcasts.MarkShownRead(ctx, tx, personID, ids, opened, now)
			if err != nil {
				return err
			}
			marked += n
		}
		counts, err := tx.UnreadCounts(ctx, personID)
		if err != nil {
			return err
		}
		counts[string(planner.CategoryPlatform)] += unread
		out = ReadEvent{ReadSelection: sel, ReadAt: now.UTC(), Marked: marked, Unread: CountsFrom(counts)}
		if marked == 0 {
			return nil // nothing changed: other devices have nothing to learn
		}
		if _, err := tx.AppendEvent(ctx, personID, model.EventRead, out, now); err != nil {
			return err
		}
		if s.Wake != nil {
			wake := s.Wake
			tx.AfterCommit(func() { wake(personID) })
		}
		return nil
	})
	if err != nil {
		return ReadEvent{}, err
	}
	return out, nil
}

// ReadThread marks personID's running entry eventKey (a conversation's, see Thread) read in tx,
// as reading the conversation to its end does (chat): its pending off-app delivery is dropped,
// and a notification.read entry appended to their log tells their other devices the new counts.
// It returns that entry for the caller to publish after commit; ok is false when the entry was
// not unread (nothing changed).
func ReadThread(ctx context.Context, tx *store.Tx, personID, eventKey string, now time.Time) (ev model.Event, ok bool, err error) {
	defer model.WrapOp(&err, "notify: read thread", eventKey)
	id, err := tx.MarkThreadRead(ctx, personID, eventKey, now)
	if err != nil || id == "" {
		return model.Event{}, false, err
	}
	if err := CancelThreadDelivery(ctx, tx, personID, eventKey, now); err != nil {
		return model.Event{}, false, err
	}
	counts, err := tx.UnreadCounts(ctx, personID)
	if err != nil {
		return model.Event{}, false, err
	}
	out := ReadEvent{ReadSelection: ReadSelection{IDs: []string{id}}, ReadAt: now.UTC(), Marked: 1, Unread: CountsFrom(counts)}
	ev, err = tx.AppendEventRecord(ctx, personID, model.EventRead, out, now)
	if err != nil {
		return model.Event{}, false, err
	}
	return ev, true, nil
}
