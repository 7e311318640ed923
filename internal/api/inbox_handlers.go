package api

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/notify"
	"github.com/homebell/homebell/internal/notify/planner"
	"github.com/homebell/homebell/internal/store"
)

// The message center (S4, S5): every person reads and marks only their own notifications; the
// routes live under /v1/me and take the person from the credential, never from the path.

// inboxItem is one message-center entry as clients see it.
type inboxItem struct {
	ID         string          `json:"id"`
	Kind       string          `json:"kind"`
	Category   string          `json:"category"`
	Importance string          `json:"importance"`
	Title      string          `json:"title"`
	Body       string          `json:"body"`
	Data       json.RawMessage `json:"data"`
	OrderID    *string         `json:"order_id"`
	Alert      string          `json:"alert"`
	CreatedAt  time.Time       `json:"created_at"`
	ReadAt     *time.Time      `json:"read_at"`
}

func toInboxItem(n model.Notification) inboxItem {
	it := inboxItem{ID: n.ID, Kind: n.Kind, Category: n.Category, Importance: n.Importance, Title: n.Title,
		Body: n.Body, Data: n.Data, Alert: n.Alert, CreatedAt: n.CreatedAt, ReadAt: n.ReadAt}
	if n.OrderID != "" {
		it.OrderID = &n.OrderID
	}
	if len(it.Data) == 0 {
		it.Data = json.RawMessage("{}")
	}
	return it
}

// inboxCursor is the sort key of the last row of a page. Clients treat the encoded form as opaque.
type inboxCursor struct {
	Sort       string    `json:"s"`
	Importance int       `json:"i,omitempty"`
	CreatedAt  time.Time `json:"t"`
	ID         string    `json:"id"`
}

func encodeInboxCursor(sort string, k store.InboxKey) string {
	raw, _ := json.Marshal(inboxCursor{Sort: sort, Importance: k.Importance, CreatedAt: k.CreatedAt, ID: k.ID})
	return base64.RawURLEncoding.EncodeToString(raw)
}

func decodeInboxCursor(s, sort string) (*store.InboxKey, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	var c inboxCursor
	if err := json.Unmarshal(raw, &c); err != nil || c.Sort != sort || c.ID == "" || c.CreatedAt.IsZero() {
		return nil, false
	}
	return &store.InboxKey{Importance: c.Importance, CreatedAt: c.CreatedAt, ID: c.ID}, true
}

// getInbox lists the caller's message center: GET /v1/me/inbox.
func (a *API) getInbox(w http.ResponseWriter, r *http.Request) error {
	qs := r.URL.Query()
	var v model.Validator
	sort := qs.Get("sort")
	if sort == "" {
		sort = "time"
	}
	v.Check(sort == "time" || sort == "importance", "sort", "must be time or importance")
	iq := store.InboxQuery{RecipientID: principal(r).ID, ByImportance: sort == "importance",
		Category: qs.Get("category"), Kind: qs.Get("kind"), OrderID: qs.Get("order_id"), Search: qs.Get("q")}
	v.Check(iq.Category == "" || planner.Category(iq.Category).Valid(), "category",
		"must be service, exception, platform or interaction")
	if iq.Kind != "" {
		k, ok := notify.KindByID(iq.Kind)
		v.Check(ok, "kind", "is not a kind of the catalogue (GET /v1/kinds)")
		if ok {
			v.Check(iq.Category == "" || iq.Category == string(k.Category), "kind", "is not of the category asked for")
			// The kind's category lets the query use the category index (see store.Inbox).
			iq.Category = string(k.Category)
		}
	}
	switch qs.Get("unread") {
	case "", "false":
	case "true":
		iq.UnreadOnly = true
	default:
		v.Check(false, "unread", "must be true or false")
	}
	v.Check(len(iq.OrderID) <= 100, "order_id", "at most 100 characters")
	v.Check(utf8.RuneCountInString(iq.Search) <= 100, "q", "at most 100 characters")
	limit, err := queryInt(r, "limit", 20, 1, 100)
	if err != nil {
		return err
	}
	if c := qs.Get("cursor"); c != "" {
		k, ok := decodeInboxCursor(c, sort)
		v.Check(ok, "cursor", "is not a next_cursor of this sort order")
		iq.After = k
	}
	if err := v.Err(); err != nil {
		return err
	}
	iq.Limit = limit + 1 // one more tells whether a next page exists
	rows, err := a.Notify.Inbox(r.Context(), iq)
	if err != nil {
		return err
	}
	out := page[inboxItem]{Items: make([]inboxItem, 0, min(len(rows), limit))}
	if len(rows) > limit {
		rows = rows[:limit]
		out.NextCursor = encodeInboxCursor(sort, store.InboxKeyOf(rows[limit-1]))
	}
	for _, n := range rows {
		out.Items = append(out.Items, toInboxItem(n))
	}
	return writeJSON(w, http.StatusOK, out)
}

// getUnread answers the badge counts: GET /v1/me/inbox/unread.
func (a *API) getUnread(w http.ResponseWriter, r *http.Request) error {
	c, err := a.Notify.Unread(r.Context(), principal(r).ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, c)
}

// postRead marks notifications read: POST /v1/me/inbox/read.
func (a *API) postRead(w http.ResponseWriter, r *http.Request) error {
	var in notify.ReadSelection
	if err := decodeJSON(w, r, a.Cfg.MaxBodyBytes, &in); err != nil {
		return err
	}
	var v model.Validator
	set := 0
	if in.IDs != nil {
		set++
	}
	if in.Category != "" {
		set++
	}
	if in.All {
		set++
	}
	v.Check(set == 1, "ids", "send exactly one of ids, category or all:true")
	v.Check(in.IDs == nil || (len(in.IDs) >= 1 && len(in.IDs) <= 500), "ids", "1 to 500 ids")
	for _, id := range in.IDs {
		if id == "" || len(id) > 100 {
			v.Check(false, "ids", "each id is 1 to 100 characters")
			break
		}
	}
	v.Check(in.Category == "" || planner.Category(in.Category).Valid(), "category",
		"must be service, exception, platform or interaction")
	if err := v.Err(); err != nil {
		return err
	}
	out, err := a.Notify.MarkRead(r.Context(), principal(r).ID, in)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"marked": out.Marked, "unread": out.Unread})
}
