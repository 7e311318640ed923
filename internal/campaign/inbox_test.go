package campaign

import (
	"reflect"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// TestEntryDataCachedPerLanguageAndStatus: an entry rendered through the cache is the entry
// rendered anew, in each language and on each side of the campaign's end (its status changes).
func TestEntryDataCachedPerLanguageAndStatus(t *testing.T) {
	t0 := time.Date(2026, 5, 4, 2, 0, 0, 0, time.UTC)
	starts, ends := t0.Add(-time.Hour), t0.Add(time.Hour)
	c := model.Campaign{ID: "c1", Kind: model.CampaignPromotion, Title: model.Text{ZH: "活动", EN: "Offer"},
		Body: model.Text{ZH: "优惠", EN: "Save"}, ServiceItemIDs: []string{"daily-cleaning"},
		Rules:    []model.PromotionRule{{Type: model.RuleSpendSave, ThresholdCents: 20000, SaveCents: 3000}},
		Audience: model.Audience{Kind: model.AudienceAll}, SendAt: starts, StartsAt: &starts, EndsAt: &ends,
		State: model.CampaignLive, Version: 1}
	sh := &shown{list: []model.Campaign{c}, rank: map[string]string{KindOf(c): "normal"}}
	for round := range 2 { // the second round reads the cache
		for _, now := range []time.Time{t0, ends.Add(time.Minute)} {
			for _, locale := range []string{"zh-CN", "en"} {
				es := entries{sh: sh, personID: "p1", locale: locale, rank: sh.rank, now: now,
					list: []entry{{c: &sh.list[0], kind: KindOf(c)}}}
				got := es.notification(es.list[0])
				want := entryNotification(c, "p1", locale, KindOf(c), "normal", now)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("round %d, %s at %s:\n got %+v (%s)\nwant %+v (%s)", round, locale, now, got, got.Data, want, want.Data)
				}
			}
		}
	}
	if len(sh.data) != 4 {
		t.Errorf("cached %d documents, want 4 (two languages, two statuses)", len(sh.data))
	}
}
