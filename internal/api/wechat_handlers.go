package api

import (
	"net/http"

	"github.com/homebell/homebell/internal/deliver"
	"github.com/homebell/homebell/internal/deliver/wechat"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
)

// WeChat subscribe messages (Y3): the platform binds people and reports their authorisations;
// operators map kinds to templates and read a person's ledger.

func (a *API) putWeChatBinding(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		OpenID string `json:"openid"`
	}
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	b, created, err := a.Deliver.BindWeChat(r.Context(), r.PathValue("id"), in.OpenID)
	if err != nil {
		return err
	}
	return writeUpserted(w, created, b)
}

func (a *API) deleteWeChatBinding(w http.ResponseWriter, r *http.Request) error {
	if err := a.Deliver.UnbindWeChat(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) postWeChatAuthorizations(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		PersonID string            `json:"person_id"`
		ReportID string            `json:"report_id"`
		Results  map[string]string `json:"results"`
	}
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	if !model.ValidID(in.PersonID) {
		return model.Invalid(model.FieldError{Field: "person_id", Message: "is required"})
	}
	l, err := a.Deliver.RecordWeChatAuthorisations(r.Context(), in.PersonID, in.ReportID, in.Results)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

func (a *API) getWeChatLedger(w http.ResponseWriter, r *http.Request) error {
	l, err := a.Deliver.WeChatLedgerOf(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, l)
}

// wechatKind is a kind a template may be mapped for, named for the operators' screen.
type wechatKind struct {
	ID   string     `json:"id"`
	Name model.Text `json:"name"`
}

// wechatTemplates is the operators' screen's whole state: the mappings, and what they can be
// made of.
type wechatTemplates struct {
	Items      []model.WeChatTemplate `json:"items"`
	Kinds      []wechatKind           `json:"kinds"`
	Sources    []deliver.WeChatSource `json:"sources"`
	FieldTypes []wechatFieldType      `json:"field_types"`
	Configured bool                   `json:"configured"`
}

type wechatFieldType struct {
	Type  wechat.FieldType `json:"type"`
	Limit int              `json:"limit"`
}

func (a *API) listWeChatTemplates(w http.ResponseWriter, r *http.Request) error {
	ts, err := a.Store.WeChatTemplates(r.Context())
	if err != nil {
		return err
	}
	out := wechatTemplates{Items: ts, Sources: deliver.WeChatSources, Configured: a.Deliver.WeChat != nil}
	for _, id := range deliver.WorthWeChatKinds() {
		k, _ := notify.KindByID(id)
		out.Kinds = append(out.Kinds, wechatKind{ID: id, Name: k.Name})
	}
	for _, t := range wechat.FieldTypes {
		out.FieldTypes = append(out.FieldTypes, wechatFieldType{Type: t, Limit: wechat.Limit(t)})
	}
	return writeJSON(w, http.StatusOK, out)
}

// wechatTemplateInput is a mapping as operators write it.
type wechatTemplateInput struct {
	Kind       string              `json:"kind"`
	TemplateID string              `json:"template_id"`
	Title      string              `json:"title"`
	Page       string              `json:"page"`
	Fields     []model.WeChatField `json:"fields"`
	Active     *bool               `json:"active"`
}

func (in wechatTemplateInput) template(id string) model.WeChatTemplate {
	return model.WeChatTemplate{ID: id, Kind: in.Kind, TemplateID: in.TemplateID, Title: in.Title, Page: in.Page,
		Fields: in.Fields, Active: in.Active == nil || *in.Active}
}

func (a *API) postWeChatTemplate(w http.ResponseWriter, r *http.Request) error {
	var in wechatTemplateInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	t := in.template("")
	if err := a.Deliver.CreateWeChatTemplate(r.Context(), &t); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, t)
}

func (a *API) putWeChatTemplate(w http.ResponseWriter, r *http.Request) error {
	var in wechatTemplateInput
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	t := in.template(r.PathValue("id"))
	if err := a.Deliver.UpdateWeChatTemplate(r.Context(), &t); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, t)
}

func (a *API) deleteWeChatTemplate(w http.ResponseWriter, r *http.Request) error {
	if err := a.Deliver.DeleteWeChatTemplate(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
