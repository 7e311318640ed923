package campaign

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/notify/planner"
	"github.com/homebell/homebell/internal/store"
)

// The message center with campaigns (S4 + P1, P2). A campaign is not copied into anyone's inbox:
// each read of a message center merges the person's notifications (one indexed query, as before)
// with the shown campaigns whose audience includes them, matched in memory against a few facts
// about the person (AudienceFacts: role, area, orders, list memberships) and their read state.
// The shown campaigns are cached for at most cacheTTL (and dropped on every local change), so a
// message center page costs a handful of small indexed reads however many campaigns run.

// cacheTTL bounds how stale the cached campaigns may be: a campaign another node created shows
// within it (plus one reload). An expired cache is reloaded by one reader while the others keep
// using it, so no page waits for a reload except after a write on this node.
const cacheTTL = 250 * time.Millisecond

// shown is the cache: the campaigns a message center may show, and their importance.
type shown struct {
	loaded   time.Time
	list     []model.Campaign // not cancelled, sent within the platform retention or still to come
	rank     map[string]string
	retained time.Duration
	orders   bool // some campaign's audience reads orders
}

func (s *Service) invalidate() {
	s.mu.Lock()
	s.cache = nil
	s.gen++
	s.mu.Unlock()
}

// shownNow returns the cached campaigns, reloading them when stale or dropped.
func (s *Service) shownNow(ctx context.Context, now time.Time) (*shown, error) {
	s.mu.Lock()
	c, gen := s.cache, s.gen
	if c != nil && !now.Before(c.loaded) && now.Sub(c.loaded) < cacheTTL {
		s.mu.Unlock()
		return c, nil
	}
	if c != nil && s.refreshing && !now.Before(c.loaded) && now.Sub(c.loaded) < 4*cacheTTL {
		s.mu.Unlock()
		return c, nil // expired, not dropped: another reader is reloading it
	}
	mine := c != nil && !s.refreshing
	if mine {
		s.refreshing = true
	}
	s.mu.Unlock()
	if mine {
		defer func() {
			s.mu.Lock()
			s.refreshing = false
			s.mu.Unlock()
		}()
	}
	c, err := s.loadShown(ctx, now)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.gen == gen {
		s.cache = c
	}
	s.mu.Unlock()
	return c, nil
}

// loadShown reads the campaigns message centers may show.
func (s *Service) loadShown(ctx context.Context, now time.Time) (*shown, error) {
	ret, err := s.Store.RetentionDays(ctx)
	if err != nil {
		return nil, err
	}
	retained := time.Duration(ret.PlatformDays) * 24 * time.Hour
	list, err := s.Store.ShownCampaigns(ctx, now.Add(-retained))
	if err != nil {
		return nil, err
	}
	var overrides map[string]string
	if _, err := s.Store.Setting(ctx, notify.SettingImportance, &overrides); err != nil {
		return nil, err
	}
	slices.Reverse(list) // newest first: the message center's time order
	c := &shown{loaded: now, list: list, retained: retained, rank: map[string]string{}}
	for _, k := range []string{notify.KindPromotion, notify.KindNewService} {
		kd, _ := notify.KindByID(k)
		imp := kd.Importance
		if o, err := planner.ParseImportance(overrides[k]); err == nil {
			imp = o
		}
		c.rank[k] = string(imp)
	}
	for _, x := range list {
		c.orders = c.orders || x.Audience.NeedsOrders() || newCustomersOnly(x)
	}
	return c, nil
}

// importance is the importance campaigns of kind show with.
func (s *Service) importance(ctx context.Context, kind string) (string, error) {
	c, err := s.shownNow(ctx, s.Now())
	if err != nil {
		return "", err
	}
	return c.rank[kind], nil
}

// entry is one campaign as one person sees it; rendered (entryNotification) only when it lands
// on a page.
type entry struct {
	c      *model.Campaign
	kind   string
	read   bool
	readAt time.Time
}

// entries are a person's shown campaigns at one instant, newest first.
type entries struct {
	list     []entry
	personID string
	locale   string
	rank     map[string]string
	now      time.Time
}

// notification renders e for the person of es.
func (es entries) notification(e entry) model.Notification {
	n := entryNotification(*e.c, es.personID, es.locale, e.kind, es.rank[e.kind], es.now)
	if e.read {
		t := e.readAt
		n.ReadAt = &t
	}
	return n
}

// key is e's place in the message center's order (what a page is cut by).
func (es entries) key(e entry) model.Notification {
	return model.Notification{ID: e.c.ID, Importance: es.rank[e.kind], CreatedAt: e.c.SendAt}
}

// entriesOf lists the campaigns shown to a person now: visible, in their audience, and not
// switched off (category platform or the campaign's kind), newest first.
func (s *Service) entriesOf(ctx context.Context, personID string, now time.Time) (entries, error) {
	var out entries
	sh, err := s.shownNow(ctx, now)
	if err != nil {
		return out, err
	}
	var visible []*model.Campaign
	for i := range sh.list {
		if c := &sh.list[i]; c.Visible(now) && now.Sub(c.SendAt) < sh.retained {
			visible = append(visible, c)
		}
	}
	if len(visible) == 0 {
		return out, nil // no campaign runs: the message center costs nothing more
	}
	r, err := s.Store.CampaignReaderOf(ctx, personID, notify.SettingDefaultPreferences, sh.orders)
	if err != nil || !r.Found {
		return out, err
	}
	// As notify.PreferencesOf: their own document, else the operators' defaults, over the built-in ones.
	prefs := planner.DefaultPreferences()
	doc := r.Prefs
	if doc == nil {
		doc = r.Defaults
	}
	if doc != nil {
		if err := json.Unmarshal(doc, &prefs); err != nil {
			return out, fmt.Errorf("campaign: preferences of %s: %w", personID, err)
		}
	}
	if on, ok := prefs.Categories[planner.CategoryPlatform]; ok && !on {
		return out, nil // platform news switched off: neither seen nor pushed
	}
	out = entries{personID: personID, locale: r.Locale, rank: sh.rank, now: now}
	for _, c := range visible {
		kind := KindOf(*c)
		if on, ok := prefs.Kinds[kind]; ok && !on {
			continue
		}
		if !includes(*c, r.Facts) {
			continue
		}
		rd, read := r.Reads[c.ID]
		out.list = append(out.list, entry{c: c, kind: kind, read: read, readAt: rd.ReadAt})
	}
	return out, nil
}

// entryData is a campaign entry's data: what a client needs to show it and open its detail.
type entryData struct {
	CampaignID     string     `json:"campaign_id"`
	CampaignKind   string     `json:"campaign_kind"`
	Status         string     `json:"status"`
	StartsAt       *time.Time `json:"starts_at,omitempty"`
	EndsAt         *time.Time `json:"ends_at,omitempty"`
	ServiceItemIDs []string   `json:"service_item_ids"`
	Rules          string     `json:"rules,omitempty"`
	ImageFileID    string     `json:"image_file_id,omitempty"`
}

// entryNotification renders campaign c as a message-center entry for one person.
func entryNotification(c model.Campaign, personID, locale, kind, importance string, now time.Time) model.Notification {
	raw, _ := model.MarshalJSON(entryData{CampaignID: c.ID, CampaignKind: c.Kind, Status: c.StatusAt(now), StartsAt: c.StartsAt,
		EndsAt: c.EndsAt, ServiceItemIDs: c.ServiceItemIDs, Rules: model.RulesText(c.Rules).In(locale), ImageFileID: c.ImageFileID})
	return model.Notification{ID: c.ID, RecipientID: personID, Kind: kind, Category: string(planner.CategoryPlatform),
		Importance: importance, Title: c.Title.In(locale), Body: c.Body.In(locale), Data: raw, CreatedAt: c.SendAt,
		EventKey: kind + ":" + c.ID}
}

// Lookup finds the notification an off-app delivery of a campaign carries
// ("campaign:<campaign>:<person>"), rendered for that person; deliver.Service.Lookup.
func (s *Service) Lookup(ctx context.Context, recipientID, id string) (model.Notification, error) {
	rest, _ := strings.CutPrefix(id, "campaign:")
	cid, _, _ := strings.Cut(rest, ":")
	c, err := s.Store.Campaign(ctx, cid)
	if err != nil {
		return model.Notification{}, err
	}
	p, err := s.Store.Person(ctx, recipientID)
	if err != nil {
		return model.Notification{}, err
	}
	kind := KindOf(c)
	imp, err := s.importance(ctx, kind)
	if err != nil {
		return model.Notification{}, err
	}
	n := entryNotification(c, recipientID, p.Locale, kind, imp, s.Now())
	n.ID = id
	return n, nil
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

// Inbox is one page of a person's message center: their notifications and the campaigns shown to
// them, merged in the query's order (keyset paging, see store.Inbox).
func (s *Service) Inbox(ctx context.Context, iq store.InboxQuery) ([]model.Notification, error) {
	if iq.OrderID != "" || (iq.Category != "" && iq.Category != string(planner.CategoryPlatform)) ||
		(iq.Kind != "" && iq.Kind != notify.KindPromotion && iq.Kind != notify.KindNewService) {
		rows, err := s.Store.Inbox(ctx, iq)
		if err != nil {
			return nil, err
		}
		return s.inReadersLocale(ctx, iq.RecipientID, rows) // no campaign can match
	}
	// The notifications and the reader's campaign facts are two independent reads: run at once,
	// the page waits for the slower of them, not for both in turn.
	var es entries
	var esErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		es, esErr = s.entriesOf(ctx, iq.RecipientID, s.Now())
	}()
	rows, err := s.Store.Inbox(ctx, iq)
	if err == nil {
		rows, err = s.inReadersLocale(ctx, iq.RecipientID, rows)
	}
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if esErr != nil || len(es.list) == 0 {
		return rows, esErr
	}
	search := strings.ToLower(strings.TrimSpace(iq.Search))
	var cand []entry
	for _, e := range es.list {
		switch {
		case iq.Kind != "" && e.kind != iq.Kind,
			iq.UnreadOnly && e.read,
			search != "" && !strings.Contains(strings.ToLower(e.c.Title.In(es.locale)), search) &&
				!strings.Contains(strings.ToLower(e.c.Body.In(es.locale)), search),
			!afterKey(es.key(e), iq.After, iq.ByImportance):
			continue
		}
		cand = append(cand, e)
		if !iq.ByImportance && len(cand) == iq.Limit {
			break // newest first already: the rest cannot reach this page
		}
	}
	if iq.ByImportance {
		slices.SortStableFunc(cand, func(a, b entry) int { return cmp.Compare(rank(es.key(b)), rank(es.key(a))) })
	}
	if len(cand) > iq.Limit {
		cand = cand[:iq.Limit]
	}
	if len(cand) == 0 {
		return rows, nil
	}
	extra := make([]model.Notification, len(cand))
	for k, e := range cand {
		extra[k] = es.notification(e)
	}
	merged := append(rows, extra...)
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

// UnreadCounts is a person's badge state: unread notifications per category, and their unread
// campaigns in platform.
func (s *Service) UnreadCounts(ctx context.Context, personID string) (notify.UnreadCounts, error) {
	m, err := s.Store.UnreadCounts(ctx, personID)
	if err != nil {
		return notify.UnreadCounts{}, err
	}
	es, err := s.entriesOf(ctx, personID, s.Now())
	if err != nil {
		return notify.UnreadCounts{}, err
	}
	for _, e := range es.list {
		if !e.read {
			m[string(planner.CategoryPlatform)]++
		}
	}
	return notify.CountsFrom(m), nil
}

// MarkRead marks the selected notifications and campaigns of a person read: listed ids, a whole
// category, or all. Campaigns the person is not shown are ignored like other people's ids.
func (s *Service) MarkRead(ctx context.Context, personID string, sel notify.ReadSelection) (notify.ReadEvent, error) {
	es, err := s.entriesOf(ctx, personID, s.Now())
	if err != nil {
		return notify.ReadEvent{}, err
	}
	return s.markRead(ctx, personID, sel, false, es)
}

func (s *Service) markRead(ctx context.Context, personID string, sel notify.ReadSelection, opened bool, es entries) (notify.ReadEvent, error) {
	now := s.Now()
	want := map[string]bool{}
	for _, id := range sel.IDs {
		want[id] = true
	}
	var ids []string
	unread := 0
	for _, e := range es.list {
		pick := sel.All || sel.Category == string(planner.CategoryPlatform) || want[e.c.ID]
		if pick && (!e.read || opened) {
			ids = append(ids, e.c.ID)
		}
		if !e.read && !pick {
			unread++
		}
	}
	out := notify.ReadEvent{ReadSelection: sel, ReadAt: now.UTC()}
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		marked, err := tx.MarkRead(ctx, personID, store.ReadSelector{IDs: sel.IDs, Category: sel.Category, All: sel.All}, now)
		if err != nil {
			return err
		}
		if marked > 0 {
			// Y1: read on any device, the rest of a notice's chain is cancelled in this commit.
			if err := s.Notify.StopReadChains(ctx, tx, personID, now); err != nil {
				return err
			}
		}
		n, err := tx.MarkCampaignsRead(ctx, personID, ids, opened, now)
		if err != nil {
			return err
		}
		marked += n
		counts, err := tx.UnreadCounts(ctx, personID)
		if err != nil {
			return err
		}
		counts[string(planner.CategoryPlatform)] += unread
		out.Marked, out.Unread = marked, notify.CountsFrom(counts)
		if marked == 0 {
			return nil // nothing changed: other devices have nothing to learn
		}
		if _, err := tx.AppendEvent(ctx, personID, model.EventRead, out, now); err != nil {
			return err
		}
		if s.Notify != nil && s.Notify.Wake != nil {
			wake := s.Notify.Wake
			tx.AfterCommit(func() { wake(personID) })
		}
		return nil
	})
	return out, err
}
