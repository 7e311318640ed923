package campaign

import (
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

// Campaigns in the message center (S4 + P1, P2). A campaign is not copied into anyone's inbox:
// each read of a message center (notify's center.go) merges the person's notifications (one
// indexed query, as before) with the shown campaigns whose audience includes them (ShownTo),
// matched in memory against a few facts about the person (AudienceFacts: role, area, orders, list
// memberships) and their read state.
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

	// The entries' data documents rendered so far, by campaign, language and status: a pure
	// function of a cached campaign, so it lives and dies with the cache, and a page renders only
	// what no page before it rendered (JSON and the rules' text were 40 % of a page's CPU).
	dataMu sync.Mutex
	data   map[dataKey]json.RawMessage
}

type dataKey struct{ id, locale, status string }

// entryData returns c's entry data for locale at now, rendered once per campaign, language and
// status. The document is shared by every page that shows it: callers must not modify it.
func (sh *shown) entryData(c *model.Campaign, locale string, now time.Time) json.RawMessage {
	k := dataKey{c.ID, locale, c.StatusAt(now)}
	sh.dataMu.Lock()
	raw, ok := sh.data[k]
	sh.dataMu.Unlock()
	if ok {
		return raw
	}
	raw = renderEntryData(*c, locale, k.status)
	sh.dataMu.Lock()
	if sh.data == nil {
		sh.data = map[dataKey]json.RawMessage{}
	}
	if len(sh.data) < 8*len(sh.list)+16 { // bounded however many languages readers name
		sh.data[k] = raw
	}
	sh.dataMu.Unlock()
	return raw
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
	sh       *shown
	list     []entry
	personID string
	locale   string
	rank     map[string]string
	now      time.Time
}

// notification renders e for the person of es.
func (es entries) notification(e entry) model.Notification {
	n := notificationOf(*e.c, es.personID, es.locale, e.kind, es.rank[e.kind], es.sh.entryData(e.c, es.locale, es.now))
	if e.read {
		t := e.readAt
		n.ReadAt = &t
	}
	return n
}

// shown is es as the message center sees it.
func (es entries) shown() notify.Shown {
	out := notify.Shown{List: make([]notify.Broadcast, len(es.list)),
		Entry: func(i int) model.Notification { return es.notification(es.list[i]) }}
	for i, e := range es.list {
		out.List[i] = notify.Broadcast{ID: e.c.ID, Kind: e.kind, Importance: es.rank[e.kind], SentAt: e.c.SendAt,
			Read: e.read, Title: e.c.Title.In(es.locale), Body: e.c.Body.In(es.locale)}
	}
	return out
}

// entriesOf lists the campaigns shown to a person now: visible, in their audience, and not
// switched off (category platform or the campaign's kind), newest first.
func (s *Service) entriesOf(ctx context.Context, personID string, now time.Time) (entries, error) {
	sh, visible, err := s.visibleAt(ctx, now)
	if err != nil || len(visible) == 0 {
		return entries{}, err // no campaign runs: the message center costs nothing more
	}
	r, err := s.Store.CampaignReaderOf(ctx, personID, notify.SettingDefaultPreferences, sh.orders)
	if err != nil {
		return entries{}, err
	}
	return entriesFor(sh, visible, r, personID, now)
}

// UnreadShownMany counts, for each of personIDs, the campaigns shown to them now that they have
// not read (notify.BroadcastCounter): the readers in one statement per 200 people, where ShownTo
// reads one person. People shown none unread are absent.
func (s *Service) UnreadShownMany(ctx context.Context, personIDs []string, now time.Time) (_ map[string]int, err error) {
	defer model.WrapOp(&err, "campaign: unread shown to many", "")
	out := map[string]int{}
	sh, visible, err := s.visibleAt(ctx, now)
	if err != nil || len(visible) == 0 || len(personIDs) == 0 {
		return out, err
	}
	rs, err := s.Store.CampaignReadersOf(ctx, personIDs, notify.SettingDefaultPreferences, sh.orders)
	if err != nil {
		return nil, err
	}
	for id, r := range rs {
		es, err := entriesFor(sh, visible, *r, id, now)
		if err != nil {
			return nil, err
		}
		for _, e := range es.list {
			if !e.read {
				out[id]++
			}
		}
	}
	return out, nil
}

// visibleAt is the cache and its campaigns visible at now (newest first).
func (s *Service) visibleAt(ctx context.Context, now time.Time) (*shown, []*model.Campaign, error) {
	sh, err := s.shownNow(ctx, now)
	if err != nil {
		return nil, nil, err
	}
	var visible []*model.Campaign
	for i := range sh.list {
		if c := &sh.list[i]; c.Visible(now) && now.Sub(c.SendAt) < sh.retained {
			if visible == nil {
				visible = make([]*model.Campaign, 0, len(sh.list)-i)
			}
			visible = append(visible, c)
		}
	}
	return sh, visible, nil
}

// entriesFor picks from visible the campaigns shown to the reader r.
func entriesFor(sh *shown, visible []*model.Campaign, r store.CampaignReader, personID string, now time.Time) (entries, error) {
	var out entries
	if !r.Found {
		return out, nil
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
	out = entries{sh: sh, personID: personID, locale: r.Locale, rank: sh.rank, now: now, list: make([]entry, 0, len(visible))}
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
	return notificationOf(c, personID, locale, kind, importance, renderEntryData(c, locale, c.StatusAt(now)))
}

// renderEntryData is c's entry data in locale with status.
func renderEntryData(c model.Campaign, locale, status string) json.RawMessage {
	raw, _ := model.MarshalJSON(entryData{CampaignID: c.ID, CampaignKind: c.Kind, Status: status, StartsAt: c.StartsAt,
		EndsAt: c.EndsAt, ServiceItemIDs: c.ServiceItemIDs, Rules: model.RulesText(c.Rules).In(locale), ImageFileID: c.ImageFileID})
	return raw
}

// notificationOf is campaign c's message-center entry for one person, with its data rendered.
func notificationOf(c model.Campaign, personID, locale, kind, importance string, data json.RawMessage) model.Notification {
	return model.Notification{ID: c.ID, RecipientID: personID, Kind: kind, Category: string(planner.CategoryPlatform),
		Importance: importance, Title: c.Title.In(locale), Body: c.Body.In(locale), Data: data, CreatedAt: c.SendAt,
		EventKey: kind + ":" + c.ID}
}

// Lookup finds the notification an off-app delivery of a campaign carries
// ("campaign:<campaign>:<person>"), rendered for that person; deliver.Service.Lookup.
func (s *Service) Lookup(ctx context.Context, recipientID, id string) (_ model.Notification, err error) {
	defer model.WrapOp(&err, "campaign: lookup", id)
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

// ShownTo returns the campaigns personID is shown at now (notify.BroadcastSource): the message
// center merges them into the person's list, counts and read marks.
func (s *Service) ShownTo(ctx context.Context, personID string, now time.Time) (_ notify.Shown, err error) {
	defer model.WrapOp(&err, "campaign: shown to", personID)
	es, err := s.entriesOf(ctx, personID, now)
	if err != nil {
		return notify.Shown{}, err
	}
	return es.shown(), nil
}

// ShownWithInbox is ShownTo together with the page iq of personID's notifications
// (notify.BroadcastSource): while campaigns run, both reads go to the store at once
// (store.InboxWithCampaignReader, one round trip on PostgreSQL); when none runs, the page is
// only the notifications.
func (s *Service) ShownWithInbox(ctx context.Context, iq store.InboxQuery, now time.Time) (_ notify.Shown, _ []model.Notification, err error) {
	defer model.WrapOp(&err, "campaign: shown with inbox", iq.RecipientID)
	sh, visible, err := s.visibleAt(ctx, now)
	if err != nil {
		return notify.Shown{}, nil, err
	}
	if len(visible) == 0 {
		rows, err := s.Store.Inbox(ctx, iq)
		return notify.Shown{}, rows, err
	}
	rows, r, err := s.Store.InboxWithCampaignReader(ctx, iq, notify.SettingDefaultPreferences, sh.orders)
	if err != nil {
		return notify.Shown{}, nil, err
	}
	es, err := entriesFor(sh, visible, r, iq.RecipientID, now)
	if err != nil {
		return notify.Shown{}, nil, err
	}
	return es.shown(), rows, nil
}

// MarkShownRead records in tx that personID read the campaigns ids (opened: and opened their
// detail); notify.BroadcastSource.
func (s *Service) MarkShownRead(ctx context.Context, tx *store.Tx, personID string, ids []string, opened bool, now time.Time) (_ int64, err error) {
	defer model.WrapOp(&err, "campaign: mark shown read", personID)
	return tx.MarkCampaignsRead(ctx, personID, ids, opened, now)
}
