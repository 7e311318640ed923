package api

import (
	"net/http"
	"strings"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/notify/planner"
)

// Notification settings (S1-S3) and their operator side: importance per kind, retention per
// category, and the defaults of people who never chose. The rules themselves (platform may be off
// entirely; service and exception are only muted) live in the planner; these handlers store what
// people choose and show the effective result.

// effective spells out preferences as the planner applies them: every category switch present
// (missing = on), empty maps instead of null, the overall alert style set.
func effective(p planner.Preferences) planner.Preferences {
	cats := map[planner.Category]bool{}
	for _, c := range notify.Categories {
		on, ok := p.Categories[c]
		cats[c] = on || !ok
	}
	p.Categories = cats
	if p.Kinds == nil {
		p.Kinds = map[string]bool{}
	}
	if p.CategoryAlert == nil {
		p.CategoryAlert = map[planner.Category]planner.AlertStyle{}
	}
	if !p.Alert.Valid() {
		p.Alert = planner.AlertSound
	}
	if p.TimeZone == "" {
		p.TimeZone = planner.DefaultTimeZone
	}
	return p
}

// checkPreferences validates preferences field by field (for the problem document), then with the
// planner's own Validate as the last word.
func checkPreferences(p planner.Preferences) error {
	var v model.Validator
	for c := range p.Categories {
		v.Check(c.Valid(), "categories."+string(c), "is not a category (service, exception, platform, interaction)")
	}
	for k := range p.Kinds {
		_, ok := notify.KindByID(k)
		v.Check(ok, "kinds."+k, "is not a kind of the catalogue (GET /v1/kinds)")
	}
	v.Check(p.Alert == "" || p.Alert.Valid(), "alert", "must be sound, vibration or badge")
	for c, s := range p.CategoryAlert {
		v.Check(c.Valid(), "category_alert."+string(c), "is not a category (service, exception, platform, interaction)")
		v.Check(s == "" || s.Valid(), "category_alert."+string(c), "must be sound, vibration or badge")
	}
	if p.Window != nil {
		start := planner.ReceivingWindow{Start: p.Window.Start, End: "00:00"}
		end := planner.ReceivingWindow{Start: "00:00", End: p.Window.End}
		v.Check(start.Validate() == nil, "window.start", "must be a time of day HH:MM (00:00-23:59)")
		v.Check(end.Validate() == nil, "window.end", "must be a time of day HH:MM (00:00-23:59)")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		msg := strings.TrimPrefix(err.Error(), planner.ErrInvalidPreferences.Error()+": ")
		return model.Invalid(model.FieldError{Field: "preferences", Message: msg})
	}
	return nil
}

// getPreferences shows the caller's effective settings: GET /v1/me/preferences.
func (a *API) getPreferences(w http.ResponseWriter, r *http.Request) error {
	p, err := a.Store.Person(r.Context(), principal(r).ID)
	if err != nil {
		return err
	}
	prefs, err := a.Notify.PreferencesOf(r.Context(), &a.Store.Queries, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, effective(prefs))
}

// putPreferences stores the caller's choice: PUT /v1/me/preferences. The time zone is the
// profile's (PATCH /v1/me); sending another one here is refused rather than silently ignored.
func (a *API) putPreferences(w http.ResponseWriter, r *http.Request) error {
	var in planner.Preferences
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if err := checkPreferences(in); err != nil {
		return err
	}
	out, err := a.Notify.SavePreferences(r.Context(), principal(r).ID, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, effective(out))
}

// kindInfo is one catalogue kind for settings screens.
type kindInfo struct {
	ID                string `json:"id"`
	Category          string `json:"category"`
	Importance        string `json:"importance"`
	DefaultImportance string `json:"default_importance"`
	Label             string `json:"label"`
	// Audience is the roles that can receive the kind: settings screens list a person only theirs.
	Audience []model.Role `json:"audience"`
}

// importanceOverrides reads the operators' importance per kind.
func (a *API) importanceOverrides(r *http.Request) (map[string]string, error) {
	m := map[string]string{}
	if _, err := a.Store.Setting(r.Context(), notify.SettingImportance, &m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]string{}
	}
	return m, nil
}

// listKinds is the catalogue as settings screens need it: GET /v1/kinds. Labels are in the
// caller's language (?locale= overrides; service keys get zh-CN by default).
func (a *API) listKinds(w http.ResponseWriter, r *http.Request) error {
	locale := model.LocaleZH
	if me := principal(r); me.Role != model.RolePlatform {
		if p, err := a.Store.Person(r.Context(), me.ID); err == nil {
			locale = p.Locale
		}
	}
	if l := r.URL.Query().Get("locale"); l != "" {
		if l != model.LocaleZH && l != model.LocaleEN {
			return model.Invalid(model.FieldError{Field: "locale", Message: "must be zh-CN or en"})
		}
		locale = l
	}
	overrides, err := a.importanceOverrides(r)
	if err != nil {
		return err
	}
	items := make([]kindInfo, 0, len(notify.Kinds()))
	for _, k := range notify.Kinds() {
		imp := k.Importance
		if o, err := planner.ParseImportance(overrides[k.ID]); err == nil {
			imp = o
		}
		items = append(items, kindInfo{ID: k.ID, Category: string(k.Category), Importance: string(imp),
			DefaultImportance: string(k.Importance), Label: k.Label(locale), Audience: k.Audience()})
	}
	return writeJSON(w, http.StatusOK, page[kindInfo]{Items: items})
}

// getImportance shows the operators' overrides: GET /v1/admin/importance.
func (a *API) getImportance(w http.ResponseWriter, r *http.Request) error {
	m, err := a.importanceOverrides(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, m)
}

// putImportance replaces the overrides: PUT /v1/admin/importance {kind: importance}. A kind left
// out goes back to the catalogue's importance. New notifications carry the new importance; stored
// ones keep theirs.
func (a *API) putImportance(w http.ResponseWriter, r *http.Request) error {
	in := map[string]string{}
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	var v model.Validator
	out := make(map[string]string, len(in))
	for kind, s := range in {
		_, ok := notify.KindByID(kind)
		v.Check(ok, kind, "is not a kind of the catalogue (GET /v1/kinds)")
		imp, err := planner.ParseImportance(s)
		v.Check(err == nil, kind, "must be critical, high, normal or low")
		out[kind] = string(imp)
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := a.Notify.SaveImportance(r.Context(), out); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// getRetention shows how long each category is kept: GET /v1/admin/retention.
func (a *API) getRetention(w http.ResponseWriter, r *http.Request) error {
	rt, err := a.Store.RetentionDays(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rt)
}

// retentionInput has pointers so a missing field is told apart from 0 (missing = the default).
type retentionInput struct {
	ServiceDays     *int `json:"service_days"`
	ExceptionDays   *int `json:"exception_days"`
	PlatformDays    *int `json:"platform_days"`
	InteractionDays *int `json:"interaction_days"`
}

// putRetention sets the retention: PUT /v1/admin/retention. The next daily purge applies it.
func (a *API) putRetention(w http.ResponseWriter, r *http.Request) error {
	var in retentionInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	rt := model.DefaultRetention()
	var v model.Validator
	for _, f := range []struct {
		name string
		in   *int
		out  *int
	}{{"service_days", in.ServiceDays, &rt.ServiceDays}, {"exception_days", in.ExceptionDays, &rt.ExceptionDays},
		{"platform_days", in.PlatformDays, &rt.PlatformDays}, {"interaction_days", in.InteractionDays, &rt.InteractionDays}} {
		if f.in != nil {
			v.Check(*f.in >= 1 && *f.in <= 3650, f.name, "must be from 1 to 3650 days")
			*f.out = *f.in
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := a.Notify.SaveRetention(r.Context(), rt); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, rt)
}

// getDefaultPreferences shows what people who never chose get: GET /v1/admin/default-preferences.
func (a *API) getDefaultPreferences(w http.ResponseWriter, r *http.Request) error {
	p := planner.DefaultPreferences()
	if _, err := a.Store.Setting(r.Context(), notify.SettingDefaultPreferences, &p); err != nil {
		return err
	}
	p.TimeZone = ""
	out := effective(p)
	out.TimeZone = "" // each person's own zone applies
	return writeJSON(w, http.StatusOK, out)
}

// putDefaultPreferences sets them: PUT /v1/admin/default-preferences. A time zone is refused:
// windows are always read in each person's own zone.
func (a *API) putDefaultPreferences(w http.ResponseWriter, r *http.Request) error {
	var in planner.Preferences
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if in.TimeZone != "" {
		return model.Invalid(model.FieldError{Field: "time_zone", Message: "defaults have no time zone: each person's own applies"})
	}
	if err := checkPreferences(in); err != nil {
		return err
	}
	// Store the spelled-out form: a person without preferences reads it as their own.
	stored := effective(in)
	stored.TimeZone = ""
	if err := a.Notify.SaveDefaultPreferences(r.Context(), stored); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, stored)
}
