package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Campaign kinds: a promotion (P1) or a new service item's announcement (P2).
const (
	CampaignPromotion  = "promotion"
	CampaignNewService = "new_service"
)

// Campaign states as stored; CampaignEnded is shown (never stored) once a promotion's end passed.
const (
	CampaignScheduled = "scheduled" // waiting for its send time; may be edited or cancelled
	CampaignLive      = "live"      // sent: shown to its audience, pushed in batches
	CampaignCancelled = "cancelled" // cancelled before it went
	CampaignEnded     = "ended"     // a promotion after its end time: still listed, never pushed
)

// Audience kinds of a campaign.
const (
	AudienceAll          = "all"           // every customer
	AudienceNewCustomers = "new_customers" // customers without a completed order
	AudienceItems        = "items"         // customers who completed an order of one of ServiceItemIDs
	AudienceAreas        = "areas"         // customers whose profile area, an order's area, or an order's address prefix is one of Areas
	AudienceList         = "list"          // the people the platform backend listed
)

// Audience says who a campaign is for. It is evaluated when a person reads their message center,
// so a customer who joins it later (becomes one, completes an order) sees a running campaign.
type Audience struct {
	Kind           string   `json:"kind"`
	ServiceItemIDs []string `json:"service_item_ids,omitempty"`
	Areas          []string `json:"areas,omitempty"`
	// PersonIDs is the explicit list (kind list) as sent; it is stored as a membership table and
	// not echoed back (ListSize says how many).
	PersonIDs []string `json:"person_ids,omitempty"`
	ListSize  int      `json:"list_size,omitempty"`
}

// Promotion rule types.
const (
	RuleSpendSave   = "spend_save"   // spend ThresholdCents, save SaveCents
	RulePercentOff  = "percent_off"  // Percent off, at most CapCents (0 = no cap)
	RuleNewCustomer = "new_customer" // only for customers without a completed order
)

// PromotionRule is one structured rule of a promotion (P1).
type PromotionRule struct {
	Type           string `json:"type"`
	ThresholdCents int64  `json:"threshold_cents,omitempty"`
	SaveCents      int64  `json:"save_cents,omitempty"`
	Percent        int    `json:"percent,omitempty"`
	CapCents       int64  `json:"cap_cents,omitempty"`
}

// yuan formats fen as yuan without needless decimals: 20000 → "¥200", 1250 → "¥12.50".
func yuan(cents int64) string {
	if cents%100 == 0 {
		return "¥" + strconv.FormatInt(cents/100, 10)
	}
	return fmt.Sprintf("¥%d.%02d", cents/100, cents%100)
}

// Text renders the rule for customers in both languages.
func (r PromotionRule) Text() Text {
	switch r.Type {
	case RuleSpendSave:
		return Text{ZH: "满" + yuan(r.ThresholdCents) + "减" + yuan(r.SaveCents),
			EN: "Spend " + yuan(r.ThresholdCents) + ", save " + yuan(r.SaveCents)}
	case RulePercentOff:
		// 20% off is "8折" in Chinese; 15% off is "8.5折".
		tenths := 100 - r.Percent
		zhe := strconv.Itoa(tenths / 10)
		if tenths%10 != 0 {
			zhe += "." + strconv.Itoa(tenths%10)
		}
		t := Text{ZH: zhe + "折", EN: strconv.Itoa(r.Percent) + "% off"}
		if r.CapCents > 0 {
			t.ZH += "，最多减" + yuan(r.CapCents)
			t.EN += ", up to " + yuan(r.CapCents) + " off"
		}
		return t
	case RuleNewCustomer:
		return Text{ZH: "仅限新客户（首次下单）", EN: "New customers only (first order)"}
	}
	return Text{}
}

// RulesText renders all rules, one per line, in both languages.
func RulesText(rules []PromotionRule) Text {
	var zh, en []string
	for _, r := range rules {
		t := r.Text()
		zh, en = append(zh, t.ZH), append(en, t.EN)
	}
	return Text{ZH: strings.Join(zh, "；"), EN: strings.Join(en, "; ")}
}

// Campaign is one promotion or new-service announcement. It is stored once, however large its
// audience; each member sees it in their message center on read (DESIGN.md "Broadcasts").
type Campaign struct {
	ID             string          `json:"id"`
	Kind           string          `json:"kind"`
	Title          Text            `json:"title"`
	Body           Text            `json:"body"`
	ImageFileID    string          `json:"image_file_id,omitempty"`
	ServiceItemIDs []string        `json:"service_item_ids"`
	Rules          []PromotionRule `json:"rules"`
	RulesText      Text            `json:"rules_text"`
	Audience       Audience        `json:"audience"`
	SendAt         time.Time       `json:"send_at"`
	StartsAt       *time.Time      `json:"starts_at"`
	EndsAt         *time.Time      `json:"ends_at"`
	State          string          `json:"state"`  // scheduled, live, cancelled
	Status         string          `json:"status"` // State, or ended once EndsAt passed
	CreatedBy      string          `json:"created_by"`
	Version        int             `json:"version"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	CancelledAt    *time.Time      `json:"cancelled_at"`
}

// StatusAt is what the campaign shows at now: ended once a promotion's end passed.
func (c Campaign) StatusAt(now time.Time) string {
	if c.State != CampaignCancelled && c.EndsAt != nil && !now.Before(*c.EndsAt) {
		return CampaignEnded
	}
	if c.State == CampaignScheduled && !now.Before(c.SendAt) {
		return CampaignLive // due; its go-live job is running
	}
	return c.State
}

// Visible reports whether the campaign shows in its audience's message centers at now.
func (c Campaign) Visible(now time.Time) bool {
	return c.State != CampaignCancelled && !now.Before(c.SendAt)
}

// Pushable reports whether off-app pushes of the campaign may still go out at now.
func (c Campaign) Pushable(now time.Time) bool {
	return c.Visible(now) && (c.EndsAt == nil || now.Before(*c.EndsAt))
}

// ValidAudience checks an audience and names every bad field under prefix.
func (a Audience) validate(v *Validator, prefix string) {
	switch a.Kind {
	case AudienceAll, AudienceNewCustomers:
	case AudienceItems:
		v.Check(len(a.ServiceItemIDs) >= 1 && len(a.ServiceItemIDs) <= 50, prefix+".service_item_ids", "1 to 50 service item ids for audience items")
		for _, id := range a.ServiceItemIDs {
			if !ValidID(id) {
				v.Check(false, prefix+".service_item_ids", "each must be an id")
				break
			}
		}
	case AudienceAreas:
		v.Check(len(a.Areas) >= 1 && len(a.Areas) <= 50, prefix+".areas", "1 to 50 areas for audience areas")
		for _, ar := range a.Areas {
			if strings.TrimSpace(ar) == "" || utf8.RuneCountInString(ar) > 64 {
				v.Check(false, prefix+".areas", "each area is 1 to 64 characters")
				break
			}
		}
	case AudienceList:
		v.Check(len(a.PersonIDs) >= 1 && len(a.PersonIDs) <= 100_000, prefix+".person_ids", "1 to 100000 person ids for audience list")
		for _, id := range a.PersonIDs {
			if !ValidID(id) {
				v.Check(false, prefix+".person_ids", "each must be a person id")
				break
			}
		}
	default:
		v.Check(false, prefix+".kind", "must be all, new_customers, items, areas or list")
	}
	if a.Kind != AudienceItems {
		v.Check(len(a.ServiceItemIDs) == 0, prefix+".service_item_ids", "only for audience items")
	}
	if a.Kind != AudienceAreas {
		v.Check(len(a.Areas) == 0, prefix+".areas", "only for audience areas")
	}
	if a.Kind != AudienceList {
		v.Check(len(a.PersonIDs) == 0, prefix+".person_ids", "only for audience list")
	}
}

// Validate checks the audience on its own (the estimate endpoint).
func (a Audience) Validate() error {
	var v Validator
	a.validate(&v, "audience")
	return v.Err()
}

func checkText(v *Validator, t Text, field string, required bool, maxLen int) {
	if required {
		v.Check(strings.TrimSpace(t.ZH) != "", field+".zh-CN", "is required")
		v.Check(strings.TrimSpace(t.EN) != "", field+".en", "is required")
	}
	v.Check(utf8.RuneCountInString(t.ZH) <= maxLen, field+".zh-CN", fmt.Sprintf("at most %d characters", maxLen))
	v.Check(utf8.RuneCountInString(t.EN) <= maxLen, field+".en", fmt.Sprintf("at most %d characters", maxLen))
}

// Validate checks a campaign before it is stored and names every bad field. now is the time of
// the request: a send time in the past means "now" to the service, which sets it before calling.
func (c Campaign) Validate() error {
	var v Validator
	v.Check(c.Kind == CampaignPromotion || c.Kind == CampaignNewService, "kind", "must be promotion or new_service")
	checkText(&v, c.Title, "title", true, 100)
	checkText(&v, c.Body, "body", true, 2000)
	v.Check(c.ImageFileID == "" || ValidID(c.ImageFileID), "image_file_id", "must be a file id from POST /v1/files")
	v.Check(len(c.ServiceItemIDs) <= 50, "service_item_ids", "at most 50")
	for _, id := range c.ServiceItemIDs {
		if !ValidID(id) {
			v.Check(false, "service_item_ids", "each must be a service item id")
			break
		}
	}
	if c.Kind == CampaignNewService {
		v.Check(len(c.ServiceItemIDs) == 1, "service_item_ids", "a new_service campaign names exactly one service item")
		v.Check(len(c.Rules) == 0, "rules", "only promotions have rules")
	}
	if c.Kind == CampaignPromotion {
		v.Check(len(c.ServiceItemIDs) >= 1, "service_item_ids", "a promotion applies to at least one service item")
		v.Check(c.StartsAt != nil, "starts_at", "is required for a promotion (RFC 3339)")
		v.Check(c.EndsAt != nil, "ends_at", "is required for a promotion (RFC 3339)")
	}
	if c.StartsAt != nil && c.EndsAt != nil {
		v.Check(c.EndsAt.After(*c.StartsAt), "ends_at", "must be after starts_at")
		v.Check(c.EndsAt.Sub(*c.StartsAt) <= 366*24*time.Hour, "ends_at", "at most a year after starts_at")
	}
	if c.EndsAt != nil {
		v.Check(c.EndsAt.After(c.SendAt), "ends_at", "must be after send_at")
	}
	v.Check(!c.SendAt.IsZero(), "send_at", "is required (RFC 3339), or omit it to send now")
	v.Check(len(c.Rules) <= 10, "rules", "at most 10")
	for i, r := range c.Rules {
		f := fmt.Sprintf("rules[%d]", i)
		switch r.Type {
		case RuleSpendSave:
			v.Check(r.ThresholdCents > 0 && r.ThresholdCents <= 100_000_000, f+".threshold_cents", "must be 1..100000000")
			v.Check(r.SaveCents > 0 && r.SaveCents < r.ThresholdCents, f+".save_cents", "must be positive and below threshold_cents")
			v.Check(r.Percent == 0 && r.CapCents == 0, f, "spend_save takes only threshold_cents and save_cents")
		case RulePercentOff:
			v.Check(r.Percent >= 1 && r.Percent <= 99, f+".percent", "must be 1..99")
			v.Check(r.CapCents >= 0 && r.CapCents <= 100_000_000, f+".cap_cents", "must be 0..100000000 (0 = no cap)")
			v.Check(r.ThresholdCents == 0 && r.SaveCents == 0, f, "percent_off takes only percent and cap_cents")
		case RuleNewCustomer:
			v.Check(r.ThresholdCents == 0 && r.SaveCents == 0 && r.Percent == 0 && r.CapCents == 0, f, "new_customer takes no amounts")
		default:
			v.Check(false, f+".type", "must be spend_save, percent_off or new_customer")
		}
	}
	c.Audience.validate(&v, "audience")
	return v.Err()
}

// CampaignStats are a campaign's numbers (P1): who it was for, pushed and delivered off-app,
// read in the message center, and (promotions) whose detail was opened.
type CampaignStats struct {
	Audience  int `json:"audience"`  // audience members the fan-out found (switches not yet applied)
	Pushed    int `json:"pushed"`    // people an off-app push was sent to
	Capped    int `json:"capped"`    // people the frequency cap kept from a push (they still see it)
	Deferred  int `json:"deferred"`  // people whose push waits for their receiving window
	Delivered int `json:"delivered"` // off-app deliveries that reached a push service or gateway
	Read      int `json:"read"`      // people who read it in the message center
	Opened    int `json:"opened"`    // people who opened its detail
}

// FrequencyCap bounds platform pushes per person (P1): at most Pushes in Days days.
type FrequencyCap struct {
	Pushes int `json:"pushes"`
	Days   int `json:"days"`
}

// DefaultFrequencyCap is at most 2 platform pushes per person per week.
func DefaultFrequencyCap() FrequencyCap { return FrequencyCap{Pushes: 2, Days: 7} }

// Validate checks an operator's cap.
func (f FrequencyCap) Validate() error {
	var v Validator
	v.Check(f.Pushes >= 0 && f.Pushes <= 100, "pushes", "must be 0..100 (0 = no platform pushes)")
	v.Check(f.Days >= 1 && f.Days <= 90, "days", "must be 1..90")
	return v.Err()
}

// AudienceFacts are what audience rules need to know about one person, read once per message-center
// request (or per fan-out batch) and matched against every live campaign in memory.
type AudienceFacts struct {
	PersonID  string
	Role      Role
	Area      string          // the profile's area
	Completed int             // completed orders
	Items     map[string]bool // service items of completed orders
	Areas     map[string]bool // areas of orders
	Addresses []string        // order addresses, for areas matched by prefix ("浦东新区 …")
	Lists     map[string]bool // campaigns whose explicit list names the person
}

// Includes reports whether the person of f is in the audience of campaign id.
func (a Audience) Includes(id string, f AudienceFacts) bool {
	if a.Kind == AudienceList {
		return f.Lists[id]
	}
	if f.Role != RoleCustomer {
		return false
	}
	switch a.Kind {
	case AudienceAll:
		return true
	case AudienceNewCustomers:
		return f.Completed == 0
	case AudienceItems:
		for _, it := range a.ServiceItemIDs {
			if f.Items[it] {
				return true
			}
		}
	case AudienceAreas:
		for _, ar := range a.Areas {
			if f.Area == ar || f.Areas[ar] {
				return true
			}
			for _, addr := range f.Addresses {
				if strings.HasPrefix(addr, ar) {
					return true
				}
			}
		}
	}
	return false
}

// NeedsOrders reports whether matching the audience reads the person's orders.
func (a Audience) NeedsOrders() bool {
	return a.Kind == AudienceNewCustomers || a.Kind == AudienceItems || a.Kind == AudienceAreas
}
