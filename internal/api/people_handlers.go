package api

import (
	"net/http"
	"time"

	"github.com/homebell/homebell/internal/auth"
	"github.com/homebell/homebell/internal/booking"
	"github.com/homebell/homebell/internal/model"
)

func (a *API) getMe(w http.ResponseWriter, r *http.Request) error {
	p, err := a.Store.Person(r.Context(), principal(r).ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, p)
}

func (a *API) patchMe(w http.ResponseWriter, r *http.Request) error {
	var in booking.ProfilePatch
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	out, err := a.Booking.UpdateProfile(r.Context(), principal(r).ID, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// personInput is a person as the platform sends it.
type personInput struct {
	Role      model.Role `json:"role"`
	Name      string     `json:"name"`
	AvatarURL string     `json:"avatar_url"`
	Bio       string     `json:"bio"`
	Phone     string     `json:"phone"`
	Locale    string     `json:"locale"`
	TimeZone  string     `json:"time_zone"`
	Area      string     `json:"area"`
}

func (in personInput) person(id string) model.Person {
	return model.Person{ID: id, Role: in.Role, Name: in.Name, AvatarURL: in.AvatarURL, Bio: in.Bio,
		Phone: in.Phone, Locale: in.Locale, TimeZone: in.TimeZone, Area: in.Area}
}

// checkFields: the person's own rules (the id comes from the path and is checked there).
func (in personInput) checkFields(v *model.Validator) {
	p := in.person("p")
	p.Normalize()
	v.Add(p.Validate(), "id")
}

func (a *API) putPerson(w http.ResponseWriter, r *http.Request) error {
	var in personInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	p := in.person(r.PathValue("id"))
	created, err := a.Booking.SyncPerson(r.Context(), &p)
	if err != nil {
		return err
	}
	return writeUpserted(w, created, p)
}

// getPerson shows a full record to the person themself, operators and the platform; everyone
// else sees only the public card (X5: no phone numbers).
func (a *API) getPerson(w http.ResponseWriter, r *http.Request) error {
	p, err := a.Booking.Person(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	me := principal(r)
	if me.ID == p.ID || me.Is(model.RoleOperator, model.RolePlatform) {
		return writeJSON(w, http.StatusOK, p)
	}
	return writeJSON(w, http.StatusOK, p.Card())
}

func (a *API) listPeople(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	role := model.Role(r.URL.Query().Get("role"))
	if role != "" && !role.Valid() {
		return model.Invalid(model.FieldError{Field: "role", Message: "must be customer, worker, agent or operator"})
	}
	ps, err := a.Store.People(r.Context(), role, r.URL.Query().Get("cursor"), limit+1)
	if err != nil {
		return err
	}
	out := page[model.Person]{Items: ps}
	if len(ps) > limit {
		out.Items = ps[:limit]
		out.NextCursor = ps[limit-1].ID
	}
	if out.Items == nil {
		out.Items = []model.Person{}
	}
	return writeJSON(w, http.StatusOK, out)
}

func (a *API) listServiceItems(w http.ResponseWriter, r *http.Request) error {
	all := r.URL.Query().Get("all") == "true" && principal(r).Is(model.RoleOperator, model.RolePlatform)
	items, err := a.Store.ServiceItems(r.Context(), all)
	if err != nil {
		return err
	}
	if items == nil {
		items = []model.ServiceItem{}
	}
	return writeJSON(w, http.StatusOK, page[model.ServiceItem]{Items: items})
}

func (a *API) getServiceItem(w http.ResponseWriter, r *http.Request) error {
	it, err := a.Store.ServiceItem(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, it)
}

type serviceItemInput struct {
	Name            model.Text `json:"name"`
	Description     model.Text `json:"description"`
	Features        model.Text `json:"features"`
	Advantages      model.Text `json:"advantages"`
	Suits           model.Text `json:"suits"`
	DurationMinutes int        `json:"duration_minutes"`
	PriceCents      int64      `json:"price_cents"`
	Active          *bool      `json:"active"`
}

func (in serviceItemInput) item(id string) model.ServiceItem {
	return model.ServiceItem{ID: id, Name: in.Name, Description: in.Description, Features: in.Features,
		Advantages: in.Advantages, Suits: in.Suits, DurationMinutes: in.DurationMinutes, PriceCents: in.PriceCents,
		Active: in.Active == nil || *in.Active}
}

// checkFields: the item's own rules (the id comes from the path and is checked there).
func (in serviceItemInput) checkFields(v *model.Validator) {
	v.Add(in.item("s").Validate(), "id")
}

func (a *API) putServiceItem(w http.ResponseWriter, r *http.Request) error {
	var in serviceItemInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	it := in.item(r.PathValue("id"))
	// A new item published active is announced to customers (P2).
	it, created, err := a.Campaigns.PutServiceItem(r.Context(), principal(r), it)
	if err != nil {
		return err
	}
	return writeUpserted(w, created, it)
}

// demoPeople lists the seeded people a visitor may sign in as (demo mode only).
func (a *API) demoPeople(w http.ResponseWriter, r *http.Request) error {
	if a.DevSecret == nil {
		return model.Errorf(model.CodeNotFound, "the development sign-in exists only in demo mode")
	}
	ps, err := a.Store.People(r.Context(), "", "", 100)
	if err != nil {
		return err
	}
	cards := make([]model.Card, 0, len(ps))
	for _, p := range ps {
		cards = append(cards, p.Card())
	}
	return writeJSON(w, http.StatusOK, page[model.Card]{Items: cards})
}

type signInInput struct {
	PersonID string `json:"person_id"`
}

// demoSignIn issues a development token for a seeded person (demo mode only).
func (a *API) demoSignIn(w http.ResponseWriter, r *http.Request) error {
	if a.DevSecret == nil {
		return model.Errorf(model.CodeNotFound, "the development sign-in exists only in demo mode")
	}
	var in signInInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	p, err := a.Store.Person(r.Context(), in.PersonID)
	if err != nil {
		return err
	}
	tok, err := auth.Mint(a.DevSecret, p.ID, p.Role, a.Now(), 12*time.Hour)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"token": tok, "person": p})
}
