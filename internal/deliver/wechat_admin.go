package deliver

import (
	"context"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/homebell/homebell/internal/deliver/wechat"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/store"
)

// WeChat bindings, authorisations and templates (Y3): the platform backend binds people and
// reports what they granted; operators map kinds to templates. The API validates shapes; these
// methods own the rules and the writes.

var (
	reOpenID     = regexp.MustCompile(`^[A-Za-z0-9_-]{6,64}$`)
	reTemplateID = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)
)

// BindWeChat binds a known person to openid; created is false when the person had a binding.
func (s *Service) BindWeChat(ctx context.Context, personID, openid string) (b model.WeChatBinding, created bool, err error) {
	defer model.WrapOp(&err, "deliver: bind wechat", personID)
	if !reOpenID.MatchString(openid) {
		return b, false, model.Invalid(model.FieldError{Field: "openid", Message: "must be 6 to 64 letters, digits, - or _"})
	}
	b = model.WeChatBinding{PersonID: personID, OpenID: openid}
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Person(ctx, personID); err != nil {
			return err
		}
		created, err = tx.PutWeChatBinding(ctx, &b, tx.Now())
		return err
	})
	return b, created, err
}

// UnbindWeChat removes a person's binding; their ledger stays (WeChat keeps the authorisations).
func (s *Service) UnbindWeChat(ctx context.Context, personID string) (err error) {
	defer model.WrapOp(&err, "deliver: unbind wechat", personID)
	return s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteWeChatBinding(ctx, personID) })
}

// Results a mini-program's wx.requestSubscribeMessage gives per template.
var subscribeResults = []string{"accept", "reject", "ban", "filter"}

// WeChatLedger is a person's WeChat state: their binding (nil when unbound), balances and newest
// entries.
type WeChatLedger struct {
	PersonID string                    `json:"person_id"`
	Binding  *model.WeChatBinding      `json:"binding"`
	Balances []model.WeChatBalance     `json:"balances"`
	Entries  []model.WeChatLedgerEntry `json:"entries"`
}

// RecordWeChatAuthorisations credits one authorisation per template the person accepted in one
// wx.requestSubscribeMessage call, as the platform reports it. reportID names the call: the same
// report again credits nothing, so a person's balance never exceeds what WeChat granted.
func (s *Service) RecordWeChatAuthorisations(ctx context.Context, personID, reportID string, results map[string]string) (_ WeChatLedger, err error) {
	defer model.WrapOp(&err, "deliver: record wechat authorisations", personID)
	var v model.Validator
	v.Check(len(reportID) <= 64 && reTemplateID.MatchString(reportID),
		"report_id", "required: 1 to 64 letters, digits, - or _ naming the request")
	v.Check(len(results) > 0 && len(results) <= 20, "results", "1 to 20 templates (WeChat asks for at most 3 at once)")
	for tpl, r := range results {
		v.Check(reTemplateID.MatchString(tpl), "results", "template id "+tpl+" is not a WeChat template id")
		v.Check(slices.Contains(subscribeResults, r), "results", "result of "+tpl+" must be accept, reject, ban or filter")
	}
	if err := v.Err(); err != nil {
		return WeChatLedger{}, err
	}
	tpls := make([]string, 0, len(results))
	for tpl := range results {
		tpls = append(tpls, tpl)
	}
	slices.Sort(tpls)
	err = s.Store.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Person(ctx, personID); err != nil {
			return err
		}
		for _, tpl := range tpls {
			if results[tpl] != "accept" {
				continue
			}
			if _, err := tx.ChangeWeChatBalance(ctx, personID, tpl, model.LedgerGranted, reportID, 1, tx.Now()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return WeChatLedger{}, err
	}
	return s.WeChatLedgerOf(ctx, personID)
}

// WeChatLedgerOf reads a person's WeChat state.
func (s *Service) WeChatLedgerOf(ctx context.Context, personID string) (_ WeChatLedger, err error) {
	defer model.WrapOp(&err, "deliver: wechat ledger of", personID)
	if _, err := s.Store.Person(ctx, personID); err != nil {
		return WeChatLedger{}, err
	}
	l := WeChatLedger{PersonID: personID}
	if b, err := s.Store.WeChatBinding(ctx, personID); err == nil {
		l.Binding = &b
	} else if !model.IsCode(err, model.CodeNotFound) {
		return l, err
	}
	if l.Balances, err = s.Store.WeChatBalances(ctx, personID); err != nil {
		return l, err
	}
	l.Entries, err = s.Store.WeChatLedgerEntries(ctx, personID, 100)
	return l, err
}

// checkWeChatTemplate validates a mapping as operators give it.
func checkWeChatTemplate(t *model.WeChatTemplate) error {
	var v model.Validator
	t.TemplateID = strings.TrimSpace(t.TemplateID)
	if _, ok := notify.KindByID(t.Kind); !ok {
		v.Check(false, "kind", "unknown notification kind")
	} else {
		v.Check(slices.Contains(WorthWeChatKinds(), t.Kind), "kind",
			"this kind never spends a WeChat authorisation (only action-needed, time-critical and money notices do)")
	}
	v.Check(reTemplateID.MatchString(t.TemplateID), "template_id", "required: the WeChat template id (letters, digits, - and _)")
	v.Check(utf8.RuneCountInString(t.Title) <= 50, "title", "at most 50 characters")
	v.Check(len(t.Page) <= 512 && !strings.HasPrefix(t.Page, "/") && !strings.ContainsAny(t.Page, " \t\r\n"), "page",
		"a mini-program page path without a leading / (e.g. pages/order/detail?id={order_id}), at most 512 characters")
	v.Check(len(t.Fields) > 0 && len(t.Fields) <= 20, "fields", "1 to 20 fields")
	seen := map[string]bool{}
	for _, f := range t.Fields {
		_, ok := wechat.TypeOfKey(f.Key)
		v.Check(ok, "fields", "key "+f.Key+" names no WeChat field type (thing1, time2, amount3 …)")
		v.Check(!seen[f.Key], "fields", "key "+f.Key+" appears twice")
		seen[f.Key] = true
		v.Check(ValidWeChatSource(f.Source) && utf8.RuneCountInString(f.Source) <= 100, "fields", "source "+f.Source+" of "+f.Key+" is not a notice variable")
		if err := model.CheckText("fields", f.Source, false); err != nil {
			return err
		}
	}
	for _, s := range []struct{ f, v string }{{"title", t.Title}, {"page", t.Page}} {
		if err := model.CheckText(s.f, s.v, false); err != nil {
			return err
		}
	}
	return v.Err()
}

// CreateWeChatTemplate stores a new mapping; one per kind.
func (s *Service) CreateWeChatTemplate(ctx context.Context, t *model.WeChatTemplate) (err error) {
	defer model.WrapOp(&err, "deliver: create wechat template", "")
	if err := checkWeChatTemplate(t); err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.InsertWeChatTemplate(ctx, t, tx.Now()) })
}

// UpdateWeChatTemplate replaces mapping t.ID with t.
func (s *Service) UpdateWeChatTemplate(ctx context.Context, t *model.WeChatTemplate) (err error) {
	defer model.WrapOp(&err, "deliver: update wechat template", "")
	if err := checkWeChatTemplate(t); err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(tx *store.Tx) error {
		old, err := tx.WeChatTemplate(ctx, t.ID)
		if err != nil {
			return err
		}
		t.CreatedAt = old.CreatedAt
		return tx.UpdateWeChatTemplate(ctx, t, tx.Now())
	})
}

// DeleteWeChatTemplate removes a mapping: the kind no longer goes to WeChat.
func (s *Service) DeleteWeChatTemplate(ctx context.Context, id string) (err error) {
	defer model.WrapOp(&err, "deliver: delete wechat template", id)
	return s.Store.InTx(ctx, func(tx *store.Tx) error { return tx.DeleteWeChatTemplate(ctx, id) })
}
