package support

import (
	"context"
	"strings"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// SettingBusinessHours is the settings key of the support desk's business hours (I3).
const SettingBusinessHours = "support_business_hours"

// BusinessHours returns the operators' business hours, or the defaults.
func (s *Service) BusinessHours(ctx context.Context, q *store.Queries) (_ model.BusinessHours, err error) {
	defer model.WrapOp(&err, "support: business hours", "")
	b := model.DefaultBusinessHours()
	if _, err := q.Setting(ctx, SettingBusinessHours, &b); err != nil {
		return b, err
	}
	return b, nil
}

// PutBusinessHours sets the business hours (operators).
func (s *Service) PutBusinessHours(ctx context.Context, a Actor, b model.BusinessHours) (_ model.BusinessHours, err error) {
	defer model.WrapOp(&err, "support: put business hours", "")
	if !a.isStaff() {
		return b, model.Errorf(model.CodeForbidden, "only operators set business hours")
	}
	if b.TimeZone == "" {
		b.TimeZone = model.DefaultTimeZone
	}
	if b.Days == nil {
		b.Days = map[string]model.DayHours{}
	}
	if err := b.Validate(); err != nil {
		return b, err
	}
	err = s.write(ctx, "business hours", func(tx *store.Tx) error { return tx.PutSetting(ctx, SettingBusinessHours, b, tx.Now()) })
	return b, err
}

// AgentView is an agent's support settings with their name.
type AgentView struct {
	model.SupportAgent
	Name string `json:"name"`
}

// Agents lists every agent with their capacity and away state (operators).
func (s *Service) Agents(ctx context.Context, a Actor) (_ []AgentView, err error) {
	defer model.WrapOp(&err, "support: agents", "")
	if !a.isStaff() {
		return nil, model.Errorf(model.CodeForbidden, "only operators see agents' settings")
	}
	people, err := s.Store.People(ctx, model.RoleAgent, "", 1000)
	if err != nil {
		return nil, err
	}
	rows, err := s.Store.SupportAgents(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[string]model.SupportAgent{}
	for _, r := range rows {
		byID[r.AgentID] = r
	}
	out := make([]AgentView, 0, len(people))
	for _, p := range people {
		r, ok := byID[p.ID]
		if !ok {
			r = model.SupportAgent{AgentID: p.ID, Capacity: model.DefaultAgentCapacity}
		}
		out = append(out, AgentView{SupportAgent: r, Name: p.Name})
	}
	return out, nil
}

// SetCapacity sets how many conversations an agent holds at once (operators; 1-50).
func (s *Service) SetCapacity(ctx context.Context, a Actor, agentID string, capacity int) (_ model.SupportAgent, err error) {
	defer model.WrapOp(&err, "support: set capacity", agentID)
	if !a.isStaff() {
		return model.SupportAgent{}, model.Errorf(model.CodeForbidden, "only operators set capacities")
	}
	if capacity < 1 || capacity > 50 {
		return model.SupportAgent{}, model.Invalid(model.FieldError{Field: "capacity", Message: "must be 1-50"})
	}
	var out model.SupportAgent
	err = s.write(ctx, "agent capacity", func(tx *store.Tx) error {
		p, err := tx.Person(ctx, agentID)
		if err != nil || p.Role != model.RoleAgent {
			return model.Errorf(model.CodeNotFound, "agent %q not found", agentID)
		}
		if err := tx.EnsureSupportAgent(ctx, agentID, tx.Now()); err != nil {
			return err
		}
		if err := tx.SetAgentCapacity(ctx, agentID, capacity, tx.Now()); err != nil {
			return err
		}
		// More room: the queue is offered again.
		if err := s.drain(ctx, tx); err != nil {
			return err
		}
		out, err = tx.SupportAgent(ctx, agentID)
		return err
	})
	return out, err
}

// Me returns the calling agent's support settings (made on first use).
func (s *Service) Me(ctx context.Context, a Actor) (_ model.SupportAgent, err error) {
	defer model.WrapOp(&err, "support: me", "")
	return s.SetAway(ctx, a, nil)
}

// SetAway sets whether the calling agent is away (nil leaves it), and returns their settings.
func (s *Service) SetAway(ctx context.Context, a Actor, away *bool) (_ model.SupportAgent, err error) {
	defer model.WrapOp(&err, "support: set away", "")
	if a.Role != model.RoleAgent {
		return model.SupportAgent{}, model.Errorf(model.CodeForbidden, "only agents have a support status")
	}
	var out model.SupportAgent
	err = s.write(ctx, "agent status", func(tx *store.Tx) error {
		if err := tx.EnsureSupportAgent(ctx, a.ID, tx.Now()); err != nil {
			return err
		}
		if away != nil {
			if err := tx.SetAgentAway(ctx, a.ID, *away, tx.Now()); err != nil {
				return err
			}
			if !*away {
				// Back: the queue is offered to them at once (if they are online).
				if err := s.drain(ctx, tx); err != nil {
					return err
				}
			}
		}
		var err error
		out, err = tx.SupportAgent(ctx, a.ID)
		return err
	})
	return out, err
}

// CannedReplies lists the canned replies (agents and operators).
func (s *Service) CannedReplies(ctx context.Context, a Actor) (_ []model.CannedReply, err error) {
	defer model.WrapOp(&err, "support: canned replies", "")
	if !a.isStaff() && a.Role != model.RoleAgent {
		return nil, model.Errorf(model.CodeForbidden, "canned replies are for agents and operators")
	}
	return s.Store.CannedReplies(ctx)
}

// PutCannedReply creates (id "") or changes a canned reply (operators).
func (s *Service) PutCannedReply(ctx context.Context, a Actor, id string, c model.CannedReply) (_ model.CannedReply, err error) {
	defer model.WrapOp(&err, "support: put canned reply", id)
	if !a.isStaff() {
		return c, model.Errorf(model.CodeForbidden, "only operators manage canned replies")
	}
	c.Title, c.Text = strings.TrimSpace(c.Title), strings.TrimSpace(c.Text)
	if err := c.Validate(); err != nil {
		return c, err
	}
	err = s.write(ctx, "canned reply", func(tx *store.Tx) error {
		if id != "" {
			old, err := tx.CannedReply(ctx, id)
			if err != nil {
				return err
			}
			c.ID, c.CreatedAt, c.CreatedBy = old.ID, old.CreatedAt, old.CreatedBy
		} else {
			c.ID, c.CreatedBy = "", a.ID
		}
		return tx.PutCannedReply(ctx, &c, tx.Now())
	})
	return c, err
}

// DeleteCannedReply removes a canned reply (operators).
func (s *Service) DeleteCannedReply(ctx context.Context, a Actor, id string) (err error) {
	defer model.WrapOp(&err, "support: delete canned reply", id)
	if !a.isStaff() {
		return model.Errorf(model.CodeForbidden, "only operators manage canned replies")
	}
	return s.write(ctx, "delete canned reply", func(tx *store.Tx) error { return tx.DeleteCannedReply(ctx, id) })
}

// FillCanned fills a canned reply's variables: {customer}, {order_no} and {worker}; a variable
// with no value becomes "".
func FillCanned(text string, vars map[string]string) string {
	r := strings.NewReplacer("{customer}", vars["customer"], "{order_no}", vars["order_no"], "{worker}", vars["worker"])
	return r.Replace(text)
}
