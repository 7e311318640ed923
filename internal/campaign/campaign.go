// Package campaign runs promotions and new-service announcements (P1, P2): operators write a
// campaign, it is stored once and shown to its audience in their message centers on read (see
// inbox.go), online audience members are woken by one hub broadcast, and off-app pushes are fanned
// out by durable jobs in batches that honour switches, receiving windows and a frequency cap.
package campaign

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/homebell/homebell/internal/auth"
	"github.com/homebell/homebell/internal/deliver"
	"github.com/homebell/homebell/internal/files"
	"github.com/homebell/homebell/internal/jobs"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/notify/planner"
	"github.com/homebell/homebell/internal/store"
)

// Job kinds.
const (
	JobGoLive = "campaign.go_live" // at the send time: mark live, wake open apps, start the fan-out
	JobBatch  = "campaign.batch"   // one page of the audience: plan and enqueue its pushes
	JobPush   = "campaign.push"    // people whose push waited for their receiving window
)

// SettingFrequencyCap is the settings key of the operators' frequency cap (model.FrequencyCap).
const SettingFrequencyCap = "campaign_frequency_cap"

// DefaultBatchSize is how many people one fan-out job plans.
const DefaultBatchSize = 1000

// Service runs campaigns.
type Service struct {
	Store  *store.Store
	Jobs   *jobs.Runner
	Notify *notify.Service
	// Deliver sends the pushes; nil leaves campaigns in message centers only.
	Deliver *deliver.Service
	// Files checks that a campaign's image is an uploaded file (nil: image ids are not checked).
	Files *files.Service
	// Broadcast sends one frame to every open stream (hub.Broadcast); nil in tests without a hub.
	Broadcast func(data []byte)
	Now       func() time.Time
	// BatchSize is how many people one fan-out job plans (DefaultBatchSize when 0).
	BatchSize int

	mu         sync.Mutex
	cache      *shown
	gen        uint64 // counts invalidations: a load begun before one is not kept
	refreshing bool   // a reader is reloading an expired cache; the others keep using it meanwhile
}

// Register adds the campaign job handlers to r.
func (s *Service) Register(r *jobs.Runner) {
	r.Handle(JobGoLive, s.runGoLive)
	r.Handle(JobBatch, s.runBatch)
	r.Handle(JobPush, s.runPush)
}

func (s *Service) batchSize() int {
	if s.BatchSize > 0 {
		return s.BatchSize
	}
	return DefaultBatchSize
}

// KindOf is the notification kind a campaign appears as.
func KindOf(c model.Campaign) string {
	if c.Kind == model.CampaignNewService {
		return notify.KindNewService
	}
	return notify.KindPromotion
}

func writer(p auth.Principal) error {
	if !p.Is(model.RoleOperator, model.RolePlatform) {
		return model.Errorf(model.CodeForbidden, "only operators and the platform write campaigns")
	}
	return nil
}

// checkRefs names the service items that do not exist, and an image the writer may not use: an
// operator's own upload (POST /v1/files), or for a service key any stored file.
func (s *Service) checkRefs(ctx context.Context, p auth.Principal, q *store.Queries, c model.Campaign) error {
	var v model.Validator
	if c.ImageFileID != "" && s.Files != nil {
		var err error
		if p.Is(model.RolePlatform) {
			_, err = q.File(ctx, c.ImageFileID)
		} else {
			_, err = s.Files.Get(ctx, p.ID, c.ImageFileID)
		}
		if model.IsCode(err, model.CodeNotFound) {
			v.Check(false, "image_file_id", "is not an image you uploaded (POST /v1/files)")
		} else if err != nil {
			return err
		}
	}
	for _, id := range c.ServiceItemIDs {
		if _, err := q.ServiceItem(ctx, id); model.IsCode(err, model.CodeNotFound) {
			v.Check(false, "service_item_ids", fmt.Sprintf("service item %q does not exist", id))
		} else if err != nil {
			return err
		}
	}
	for _, id := range c.Audience.ServiceItemIDs {
		if _, err := q.ServiceItem(ctx, id); model.IsCode(err, model.CodeNotFound) {
			v.Check(false, "audience.service_item_ids", fmt.Sprintf("service item %q does not exist", id))
		} else if err != nil {
			return err
		}
	}
	return v.Err()
}

// normalize fills what the writer may leave out: send now, and the list without duplicates.
func (s *Service) normalize(c *model.Campaign, now time.Time) {
	if c.SendAt.IsZero() || c.SendAt.Before(now) {
		c.SendAt = now
	}
	c.SendAt = c.SendAt.UTC().Truncate(time.Microsecond)
	if c.ServiceItemIDs == nil {
		c.ServiceItemIDs = []string{}
	}
	if c.Rules == nil {
		c.Rules = []model.PromotionRule{}
	}
	if len(c.Audience.PersonIDs) > 0 {
		ids := slices.Clone(c.Audience.PersonIDs)
		slices.Sort(ids)
		c.Audience.PersonIDs = slices.Compact(ids)
	}
	c.RulesText = model.RulesText(c.Rules)
}

// Create stores a new campaign and schedules it to go live at its send time (now when omitted).
func (s *Service) Create(ctx context.Context, p auth.Principal, c model.Campaign) (_ model.Campaign, err error) {
	defer model.WrapOp(&err, "campaign: create", "")
	if err := writer(p); err != nil {
		return c, err
	}
	now := s.Now()
	s.normalize(&c, now)
	if err := c.Validate(); err != nil {
		return c, err
	}
	c.ID, c.State, c.Version, c.CreatedBy = model.NewID(), model.CampaignScheduled, 1, p.ID
	c.CreatedAt, c.UpdatedAt = now.UTC(), now.UTC()
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.checkRefs(ctx, p, &tx.Queries, c); err != nil {
			return err
		}
		return s.save(ctx, tx, &c, 0)
	})
	if err != nil {
		return c, err
	}
	return s.present(c, now), nil
}

// save inserts (fromVersion 0) or updates c, its list and its go-live job, and drops the cache after commit.
func (s *Service) save(ctx context.Context, tx *store.Tx, c *model.Campaign, fromVersion int) error {
	list := c.Audience.PersonIDs
	if c.Audience.Kind == model.AudienceList {
		c.Audience.ListSize = len(list)
	} else {
		c.Audience.ListSize = 0
	}
	var err error
	if fromVersion == 0 {
		err = tx.InsertCampaign(ctx, c)
	} else {
		err = tx.UpdateCampaign(ctx, c, fromVersion)
	}
	if err != nil {
		return err
	}
	if list != nil || fromVersion != 0 {
		if err := tx.ReplaceCampaignMembers(ctx, c.ID, list); err != nil {
			return err
		}
	}
	if err := s.Jobs.Schedule(ctx, tx, JobGoLive, "campaign:"+c.ID+":live", c.SendAt, idPayload{CampaignID: c.ID}, 5); err != nil {
		return err
	}
	tx.AfterCommit(s.invalidate)
	return nil
}

// idPayload is the payload of a go-live job.
type idPayload struct {
	CampaignID string `json:"campaign_id"`
}

// editable loads a campaign a writer may still change: scheduled and not yet due.
func (s *Service) editable(ctx context.Context, q *store.Queries, id string, now time.Time) (model.Campaign, error) {
	c, err := q.Campaign(ctx, id)
	if err != nil {
		return c, err
	}
	if c.State != model.CampaignScheduled || !now.Before(c.SendAt) {
		return c, model.Errorf(model.CodeInvalidTransition, "campaign %s has %s; only a campaign that has not gone yet can change",
			id, map[bool]string{true: "been cancelled", false: "gone out"}[c.State == model.CampaignCancelled])
	}
	return c, nil
}

// Update replaces a campaign that has not gone yet (P1: edit before it goes).
func (s *Service) Update(ctx context.Context, p auth.Principal, id string, in model.Campaign) (_ model.Campaign, err error) {
	defer model.WrapOp(&err, "campaign: update", id)
	if err := writer(p); err != nil {
		return in, err
	}
	now := s.Now()
	s.normalize(&in, now)
	if err := in.Validate(); err != nil {
		return in, err
	}
	var out model.Campaign
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		old, err := s.editable(ctx, &tx.Queries, id, now)
		if err != nil {
			return err
		}
		if err := s.checkRefs(ctx, p, &tx.Queries, in); err != nil {
			return err
		}
		in.ID, in.State, in.Version, in.CreatedBy, in.CreatedAt, in.UpdatedAt = id, model.CampaignScheduled, old.Version+1,
			old.CreatedBy, old.CreatedAt, now.UTC()
		if in.Audience.Kind == model.AudienceList && in.Audience.PersonIDs == nil {
			return model.Invalid(model.FieldError{Field: "audience.person_ids", Message: "send the whole list again"})
		}
		out = in
		return s.save(ctx, tx, &out, old.Version)
	})
	if err != nil {
		return out, err
	}
	return s.present(out, now), nil
}

// Cancel cancels a campaign that has not gone yet.
func (s *Service) Cancel(ctx context.Context, p auth.Principal, id string) (_ model.Campaign, err error) {
	defer model.WrapOp(&err, "campaign: cancel", id)
	if err := writer(p); err != nil {
		return model.Campaign{}, err
	}
	now := s.Now()
	var c model.Campaign
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = s.editable(ctx, &tx.Queries, id, now)
		if err != nil {
			return err
		}
		from := c.Version
		t := now.UTC()
		c.State, c.CancelledAt, c.UpdatedAt, c.Version = model.CampaignCancelled, &t, t, c.Version+1
		if err := tx.UpdateCampaign(ctx, &c, from); err != nil {
			return err
		}
		if err := s.Jobs.Cancel(ctx, tx, "campaign:"+id+":live"); err != nil {
			return err
		}
		tx.AfterCommit(s.invalidate)
		return nil
	})
	if err != nil {
		return c, err
	}
	return s.present(c, now), nil
}

// present fills the fields computed at now.
func (s *Service) present(c model.Campaign, now time.Time) model.Campaign {
	c.Status = c.StatusAt(now)
	c.RulesText = model.RulesText(c.Rules)
	c.Audience.PersonIDs = nil
	return c
}

// Detail is a campaign as its reader sees it: for operators with its numbers; for a customer with
// the service items it names and their read state.
type Detail struct {
	model.Campaign
	Stats *model.CampaignStats `json:"stats,omitempty"`
	Items []model.ServiceItem  `json:"items"`
}

// Get returns a campaign. Operators and the platform see any, with stats; anyone else only a
// campaign shown in their own message center (otherwise it does not exist for them), and reading
// it counts as opening its detail (and reads it).
func (s *Service) Get(ctx context.Context, p auth.Principal, id string) (_ Detail, err error) {
	defer model.WrapOp(&err, "campaign: get", id)
	now := s.Now()
	var d Detail
	if p.Is(model.RoleOperator, model.RolePlatform) {
		c, err := s.Store.Campaign(ctx, id)
		if err != nil {
			return d, err
		}
		st, err := s.Store.CampaignStats(ctx, id)
		if err != nil {
			return d, err
		}
		d = Detail{Campaign: s.present(c, now), Stats: &st}
	} else {
		es, err := s.entriesOf(ctx, p.ID, now)
		if err != nil {
			return d, err
		}
		var found *model.Campaign
		for _, e := range es.list {
			if e.c.ID == id {
				c := *e.c
				found = &c
			}
		}
		if found == nil {
			return d, model.Errorf(model.CodeNotFound, "campaign %q not found", id)
		}
		d = Detail{Campaign: s.present(*found, now)}
		if _, err := s.Notify.MarkOpened(ctx, p.ID, id, es.shown()); err != nil {
			return d, err
		}
	}
	d.Items = []model.ServiceItem{}
	for _, iid := range d.ServiceItemIDs {
		it, err := s.Store.ServiceItem(ctx, iid)
		if model.IsCode(err, model.CodeNotFound) {
			continue
		}
		if err != nil {
			return d, err
		}
		d.Items = append(d.Items, it)
	}
	return d, nil
}

// MayReadFile admits a person to a campaign's image when the campaign is shown to them (a
// files.ReadRule).
func (s *Service) MayReadFile(ctx context.Context, personID, fileID string) (_ bool, err error) {
	defer model.WrapOp(&err, "campaign: may read file", fileID)
	es, err := s.entriesOf(ctx, personID, s.Now())
	if err != nil {
		return false, err
	}
	for _, e := range es.list {
		if e.c.ImageFileID == fileID {
			return true, nil
		}
	}
	return false, nil
}

// Summary is one line of the operators' campaign list.
type Summary struct {
	model.Campaign
	Stats model.CampaignStats `json:"stats"`
}

// List lists campaigns newest first with their numbers (operators).
func (s *Service) List(ctx context.Context, p auth.Principal, beforeAt time.Time, beforeID string, limit int) (_ []Summary, err error) {
	defer model.WrapOp(&err, "campaign: list", "")
	if err := writer(p); err != nil {
		return nil, err
	}
	now := s.Now()
	cs, err := s.Store.Campaigns(ctx, beforeAt, beforeID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Summary, 0, len(cs))
	for _, c := range cs {
		st, err := s.Store.CampaignStats(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, Summary{Campaign: s.present(c, now), Stats: st})
	}
	return out, nil
}

// Estimate is the audience size before sending.
type Estimate struct {
	// Audience is how many people the audience names now.
	Audience int `json:"audience"`
	// Reachable is how many of them will see it: those who have not switched platform news, or
	// this kind of campaign, off (S1). Receiving windows and the frequency cap shape pushes,
	// not who sees it in the message center.
	Reachable int `json:"reachable"`
}

// Estimate counts the people an audience names now and those of them who will see a campaign of
// kind (model.CampaignPromotion or model.CampaignNewService; "" is a promotion).
func (s *Service) Estimate(ctx context.Context, p auth.Principal, a model.Audience, kind string) (_ Estimate, err error) {
	defer model.WrapOp(&err, "campaign: estimate", "")
	if err := writer(p); err != nil {
		return Estimate{}, err
	}
	if err := a.Validate(); err != nil {
		return Estimate{}, err
	}
	n, err := s.Store.CountAudience(ctx, a, "")
	if err != nil {
		return Estimate{}, err
	}
	kindID := KindOf(model.Campaign{Kind: kind})
	off := func(prefs planner.Preferences) bool {
		if on, ok := prefs.Categories[planner.CategoryPlatform]; ok && !on {
			return true
		}
		on, ok := prefs.Kinds[kindID]
		return ok && !on
	}
	defaults := planner.DefaultPreferences()
	if _, err := s.Store.Setting(ctx, notify.SettingDefaultPreferences, &defaults); err != nil {
		return Estimate{}, err
	}
	// A person's own preferences replace the operators' defaults. With news on by default, only
	// documents that mention it can switch it off; with it off by default, only a person's own
	// document can switch it on.
	mention := "platform"
	if off(defaults) {
		mention = ""
	}
	docs, err := s.Store.PreferencesMentioning(ctx, mention)
	if err != nil {
		return Estimate{}, err
	}
	var differ []string
	for id, raw := range docs {
		prefs := planner.DefaultPreferences()
		if err := json.Unmarshal(raw, &prefs); err != nil {
			return Estimate{}, fmt.Errorf("campaign: preferences of %s: %w", id, err)
		}
		if off(prefs) != off(defaults) {
			differ = append(differ, id)
		}
	}
	m, err := s.Store.CountAudienceAmong(ctx, a, differ)
	if err != nil {
		return Estimate{}, err
	}
	if off(defaults) {
		return Estimate{Audience: n, Reachable: m}, nil
	}
	return Estimate{Audience: n, Reachable: n - m}, nil
}

// FrequencyCap reads the operators' frequency cap.
func (s *Service) FrequencyCap(ctx context.Context, q *store.Queries) (_ model.FrequencyCap, err error) {
	defer model.WrapOp(&err, "campaign: frequency cap", "")
	f := model.DefaultFrequencyCap()
	_, err = q.Setting(ctx, SettingFrequencyCap, &f)
	return f, err
}

// SetFrequencyCap stores the operators' frequency cap.
func (s *Service) SetFrequencyCap(ctx context.Context, p auth.Principal, f model.FrequencyCap) (_ model.FrequencyCap, err error) {
	defer model.WrapOp(&err, "campaign: set frequency cap", "")
	if err := writer(p); err != nil {
		return f, err
	}
	if err := f.Validate(); err != nil {
		return f, err
	}
	return f, s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.PutSetting(ctx, SettingFrequencyCap, f, tx.Now()) })
}

// PutServiceItem creates or replaces a catalogue item (operators). A new item published active is
// announced to every customer at once (P2); created reports whether the item is new.
func (s *Service) PutServiceItem(ctx context.Context, p auth.Principal, it model.ServiceItem) (_ model.ServiceItem, _ bool, err error) {
	defer model.WrapOp(&err, "campaign: put service item", "")
	if err := writer(p); err != nil {
		return it, false, err
	}
	if err := it.Validate(); err != nil {
		return it, false, err
	}
	now := s.Now()
	var created bool
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		wasActive := false
		if old, err := tx.ServiceItem(ctx, it.ID); err == nil {
			wasActive = old.Active
		} else if !model.IsCode(err, model.CodeNotFound) {
			return err
		}
		var err error
		if created, err = tx.UpsertServiceItem(ctx, &it, now); err != nil {
			return err
		}
		if it.Active && (created || !wasActive) {
			c := announcement(it, p, now)
			return s.save(ctx, tx, &c, 0)
		}
		return nil
	})
	return it, created, err
}

// Announce makes a new-service campaign for an existing item (an operator's "announce" action).
// Title and body default to the item's name and description; the audience to all customers.
func (s *Service) Announce(ctx context.Context, p auth.Principal, itemID string, in model.Campaign) (_ model.Campaign, err error) {
	defer model.WrapOp(&err, "campaign: announce", itemID)
	if err := writer(p); err != nil {
		return in, err
	}
	it, err := s.Store.ServiceItem(ctx, itemID)
	if err != nil {
		return in, err
	}
	c := announcement(it, p, s.Now())
	if in.Title.ZH != "" || in.Title.EN != "" {
		c.Title = in.Title
	}
	if in.Body.ZH != "" || in.Body.EN != "" {
		c.Body = in.Body
	}
	if in.Audience.Kind != "" {
		c.Audience = in.Audience
	}
	c.SendAt, c.ImageFileID, c.EndsAt = in.SendAt, in.ImageFileID, in.EndsAt
	c.ID, c.CreatedAt = "", time.Time{}
	return s.Create(ctx, p, c)
}

// announcement is the new-service campaign of an item, to all customers, now.
func announcement(it model.ServiceItem, p auth.Principal, now time.Time) model.Campaign {
	body := it.Description
	if body.ZH == "" {
		body.ZH = it.Name.In(model.LocaleZH)
	}
	if body.EN == "" {
		body.EN = it.Name.In(model.LocaleEN)
	}
	c := model.Campaign{ID: model.NewID(), Kind: model.CampaignNewService,
		Title: model.Text{ZH: "新服务上线：" + it.Name.In(model.LocaleZH), EN: "New service: " + it.Name.In(model.LocaleEN)},
		Body:  body, ServiceItemIDs: []string{it.ID}, Rules: []model.PromotionRule{},
		Audience: model.Audience{Kind: model.AudienceAll}, SendAt: now.UTC().Truncate(time.Microsecond),
		State: model.CampaignScheduled, Version: 1, CreatedBy: p.ID, CreatedAt: now.UTC(), UpdatedAt: now.UTC()}
	c.RulesText = model.RulesText(nil)
	return c
}

// runGoLive marks a due campaign live, wakes every open app with one broadcast, and starts the
// off-app fan-out.
func (s *Service) runGoLive(ctx context.Context, j model.Job) error {
	var p idPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("campaign: payload: %w", err)
	}
	now := s.Now()
	var c model.Campaign
	went := false
	err := s.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		c, err = tx.Campaign(ctx, p.CampaignID)
		if model.IsCode(err, model.CodeNotFound) {
			return nil
		}
		if err != nil || c.State != model.CampaignScheduled || now.Before(c.SendAt) {
			return err // cancelled, live already, or moved later (its job was moved too)
		}
		from := c.Version
		c.State, c.Version, c.UpdatedAt = model.CampaignLive, c.Version+1, now.UTC()
		if err := tx.UpdateCampaign(ctx, &c, from); err != nil {
			return err
		}
		went = true
		tx.AfterCommit(s.invalidate)
		if s.Deliver == nil || !c.Pushable(now) {
			return nil
		}
		return s.Jobs.Schedule(ctx, tx, JobBatch, batchKey(c.ID, ""), now, batchPayload{CampaignID: c.ID}, 5)
	})
	if err != nil || !went {
		return err
	}
	if s.Broadcast != nil {
		raw, _ := json.Marshal(map[string]string{"campaign_id": c.ID, "kind": KindOf(c)})
		s.Broadcast(raw)
	}
	return nil
}

func batchKey(id, after string) string { return "campaign:" + id + ":batch:" + after }

// batchPayload is the payload of a fan-out job: a page of the audience after After, or (JobPush)
// the people whose push waited for their window.
type batchPayload struct {
	CampaignID string   `json:"campaign_id"`
	After      string   `json:"after,omitempty"`
	PersonIDs  []string `json:"person_ids,omitempty"`
	Batch      string   `json:"batch,omitempty"`
}

// runBatch plans one page of the audience. The next page's job is committed first, so pages run
// side by side on the runner's workers (and on every node).
func (s *Service) runBatch(ctx context.Context, j model.Job) error {
	var p batchPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("campaign: payload: %w", err)
	}
	c, err := s.Store.Campaign(ctx, p.CampaignID)
	if model.IsCode(err, model.CodeNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.Now()
	if !c.Pushable(now) {
		return nil // cancelled or ended: no more pushes
	}
	_, _, err = s.planPage(ctx, c, p.After, now)
	return err
}

// planPage plans the page of c's audience after the id after: it reads the page, commits the next
// page's job when this one is full, then plans and writes this one. It reports the page's size
// (0: the audience has been walked) and its last id.
func (s *Service) planPage(ctx context.Context, c model.Campaign, after string, now time.Time) (int, string, error) {
	pg, err := s.page(ctx, c, now)
	if err != nil {
		return 0, "", err
	}
	pg.After, pg.Limit = after, s.batchSize()
	cands, err := s.Store.PushCandidates(ctx, pg)
	if err != nil || len(cands) == 0 {
		return 0, "", err
	}
	last := cands[len(cands)-1].PersonID
	if len(cands) == pg.Limit {
		if err := s.Store.InTx(ctx, func(tx *store.Tx) error {
			return s.Jobs.Schedule(ctx, tx, JobBatch, batchKey(c.ID, last), now, batchPayload{CampaignID: c.ID, After: last}, 5)
		}); err != nil {
			return 0, "", err
		}
	}
	_, err = s.decide(ctx, c, cands, "p:"+after, false, now)
	return len(cands), last, err
}

// page is the fan-out page of c without its bounds: which people, and which facts its audience needs.
func (s *Service) page(ctx context.Context, c model.Campaign, now time.Time) (store.PushPage, error) {
	fcap, err := s.FrequencyCap(ctx, &s.Store.Queries)
	if err != nil {
		return store.PushPage{}, err
	}
	pg := store.PushPage{Since: now.Add(-time.Duration(fcap.Days) * 24 * time.Hour),
		WithOrders: c.Audience.NeedsOrders() || newCustomersOnly(c)}
	if c.Audience.Kind == model.AudienceList {
		pg.ListID = c.ID
	}
	return pg, nil
}

// runPush pushes to people whose receiving window has opened since their batch ran.
func (s *Service) runPush(ctx context.Context, j model.Job) error {
	var p batchPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return fmt.Errorf("campaign: payload: %w", err)
	}
	c, err := s.Store.Campaign(ctx, p.CampaignID)
	if model.IsCode(err, model.CodeNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := s.Now()
	if !c.Pushable(now) {
		return nil
	}
	_, err = s.plan(ctx, c, p.PersonIDs, p.Batch, true, now)
	return err
}

// Plan is what planning one batch decided (for tests and the benchmark).
type Plan struct {
	Audience, Pushed, Capped, Deferred, Off int
}

// plan plans the people ids (a page's people whose window has opened, or any ids in tests).
func (s *Service) plan(ctx context.Context, c model.Campaign, ids []string, batch string, deferred bool, now time.Time) (Plan, error) {
	if len(ids) == 0 {
		return Plan{}, nil
	}
	pg, err := s.page(ctx, c, now)
	if err != nil {
		return Plan{}, err
	}
	pg.IDs = slices.Clone(ids)
	slices.Sort(pg.IDs)
	cands, err := s.Store.PushCandidates(ctx, pg)
	if err != nil {
		return Plan{}, err
	}
	return s.decide(ctx, c, cands, batch, deferred, now)
}

// decide decides, for a page of candidates, who is in c's audience and gets a push now, later
// (their window is closed: a job at its opening), or not (switched off, capped, nowhere to push),
// and writes the pushes in one transaction. deferred marks a re-run of people whose window opened:
// they are counted in the audience once, by their first batch.
func (s *Service) decide(ctx context.Context, c model.Campaign, cands []store.PushCandidate, batch string, deferred bool, now time.Time) (Plan, error) {
	var out Plan
	kind := KindOf(c)
	eps, err := s.Store.WebhookEndpoints(ctx, true)
	if err != nil {
		return out, err
	}
	var wanted []model.WebhookEndpoint
	for _, ep := range eps {
		if ep.Wants(kind) {
			wanted = append(wanted, ep)
		}
	}
	defaults := planner.DefaultPreferences()
	if _, err := s.Store.Setting(ctx, notify.SettingDefaultPreferences, &defaults); err != nil {
		return out, err
	}
	fcap, err := s.FrequencyCap(ctx, &s.Store.Queries)
	if err != nil {
		return out, err
	}
	importance, err := s.importance(ctx, kind)
	if err != nil {
		return out, err
	}
	n := planner.Notification{Kind: kind, Category: planner.CategoryPlatform, Importance: planner.Importance(importance)}
	// Many people store the same preferences document: each distinct one is parsed once a page.
	parsed := map[string]planner.Preferences{}
	type push struct {
		*store.PushCandidate
		alert string
	}
	var pushes []push
	later := map[time.Time][]string{}
	for i := range cands {
		f := &cands[i]
		if !f.Exists || !includes(c, f.AudienceFacts) {
			continue
		}
		out.Audience++
		prefs := defaults
		if f.Prefs != nil {
			var ok bool
			if prefs, ok = parsed[string(f.Prefs)]; !ok {
				prefs = planner.DefaultPreferences()
				if err := json.Unmarshal(f.Prefs, &prefs); err != nil {
					return out, fmt.Errorf("campaign: preferences of %s: %w", f.PersonID, err)
				}
				parsed[string(f.Prefs)] = prefs
			}
		}
		prefs.TimeZone = f.TimeZone
		pl := planner.PlanFor(n, prefs, now)
		if !pl.OffApp.Send {
			out.Off++
			continue
		}
		if f.Subs == 0 && len(wanted) == 0 {
			continue // nowhere to push: the message center shows it
		}
		if pl.OffApp.At.After(now) {
			// A promotion waits for the window; it never takes the urgent-before-window exception.
			at := pl.OffApp.At.UTC().Truncate(time.Minute).Add(time.Minute)
			later[at] = append(later[at], f.PersonID)
			out.Deferred++
			continue
		}
		if f.Recent >= fcap.Pushes {
			out.Capped++
			continue
		}
		pushes = append(pushes, push{f, string(pl.OffApp.Alert)})
	}
	var subs map[string][]model.PushSubscription
	if slices.ContainsFunc(pushes, func(f push) bool { return f.Subs > 0 }) {
		if subs, err = s.Store.PushSubscriptionsBetween(ctx, pushes[0].PersonID, pushes[len(pushes)-1].PersonID); err != nil {
			return out, err
		}
	}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if len(pushes) > 0 {
			ids := make([]string, len(pushes))
			for i, f := range pushes {
				ids[i] = f.PersonID
			}
			fresh, err := tx.InsertCampaignPushes(ctx, c.ID, ids, now)
			if err != nil {
				return err
			}
			isNew := make(map[string]bool, len(fresh))
			for _, id := range fresh {
				isNew[id] = true
			}
			for _, f := range pushes {
				if !isNew[f.PersonID] {
					continue // pushed by an earlier run of this batch
				}
				n := entryNotification(c, f.PersonID, f.Locale, kind, importance, now)
				n.ID = store.CampaignDeliveryPrefix(c.ID) + f.PersonID
				if err := s.Deliver.Enqueue(ctx, tx, n, f.alert, subs[f.PersonID], wanted); err != nil {
					return err
				}
				out.Pushed++
			}
		}
		aud := out.Audience
		if deferred {
			aud = 0
		}
		if err := tx.PutCampaignBatch(ctx, c.ID, batch, aud, out.Capped, out.Deferred, now); err != nil {
			return err
		}
		for at, ids := range later {
			b := batch + "@" + strconv.FormatInt(at.Unix(), 10)
			if err := s.Jobs.Schedule(ctx, tx, JobPush, "campaign:"+c.ID+":push:"+b, at,
				batchPayload{CampaignID: c.ID, PersonIDs: ids, Batch: b}, 5); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// newCustomersOnly reports whether a promotion's rules limit it to new customers.
func newCustomersOnly(c model.Campaign) bool {
	for _, r := range c.Rules {
		if r.Type == model.RuleNewCustomer {
			return true
		}
	}
	return false
}

// includes reports whether the person of f is in c's audience: its audience rule, and a
// new-customer-only promotion only for customers without a completed order.
func includes(c model.Campaign, f model.AudienceFacts) bool {
	if !c.Audience.Includes(c.ID, f) {
		return false
	}
	return !newCustomersOnly(c) || f.Completed == 0
}
