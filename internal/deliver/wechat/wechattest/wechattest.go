// Package wechattest is a local stand-in for WeChat's subscribe-message API (Y3), for tests. It
// checks every request the way the real service does — the access-token flow (app id and secret,
// tokens that expire or are replaced), the template id, the touser openid, every data field
// against its type's rules, the page, miniprogram_state and lang — and keeps its own count of each
// person's one-time authorisations, answering 43101 when none is left. Its checks are written
// from WeChat's documentation, independently of package wechat's fitting, so a mistake in one is
// caught by the other.
package wechattest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"unicode"
	"unicode/utf8"
)

// Server is the stand-in. Its zero value is not usable: call New.
type Server struct {
	*httptest.Server
	AppID, Secret string

	mu        sync.Mutex
	templates map[string][]string // template id -> field keys
	users     map[string]bool     // openids
	pages     map[string]bool
	grants    map[[2]string]int // (openid, template) -> one-time authorisations left
	tokens    map[string]bool   // valid access tokens
	n         int
	fetches   int
	sent      []Sent
	answers   []int
	failNext  []int
}

// Sent is a message WeChat accepted.
type Sent struct {
	ToUser           string
	TemplateID       string
	Page             string
	MiniprogramState string
	Lang             string
	Data             map[string]string
}

// New starts a stand-in for the mini-program appID with secret; it stops when the test ends.
func New(t testing.TB, appID, secret string) *Server {
	s := &Server{AppID: appID, Secret: secret, templates: map[string][]string{}, users: map[string]bool{},
		pages: map[string]bool{}, grants: map[[2]string]int{}, tokens: map[string]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /cgi-bin/token", s.token)
	mux.HandleFunc("POST /cgi-bin/message/subscribe/send", s.send)
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// AddTemplate makes a template known with its field keys ("thing1", "time2", …).
func (s *Server) AddTemplate(id string, keys ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.templates[id] = keys
}

// AddUser makes an openid known (a person who opened the mini-program).
func (s *Server) AddUser(openid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[openid] = true
}

// AddPage makes a page path of the mini-program known.
func (s *Server) AddPage(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pages[path] = true
}

// Grant records n more one-time authorisations of openid for template (what the person's taps
// on "允许" gave WeChat).
func (s *Server) Grant(openid, template string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.grants[[2]string{openid, template}] += n
}

// Grants returns the authorisations openid has left for template.
func (s *Server) Grants(openid, template string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.grants[[2]string{openid, template}]
}

// ExpireTokens makes every token issued so far invalid (the next send with one gets 40001).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens = map[string]bool{}
}

// TokenFetches counts successful token requests.
func (s *Server) TokenFetches() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetches
}

// FailNext makes the next sends answer these error codes, in order, whatever they carry.
func (s *Server) FailNext(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext = append(s.failNext, codes...)
}

// Sent returns the messages accepted so far.
func (s *Server) Sent() []Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Sent(nil), s.sent...)
}

// Answers returns the errcode of every send request so far, in order (0 = accepted).
func (s *Server) Answers() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.answers...)
}

func answer(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(v)
}

func errAnswer(w http.ResponseWriter, code int, msg string) {
	answer(w, map[string]any{"errcode": code, "errmsg": msg})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case q.Get("grant_type") != "client_credential":
		errAnswer(w, 40002, "invalid grant_type")
	case q.Get("appid") != s.AppID:
		errAnswer(w, 40013, "invalid appid")
	case q.Get("secret") != s.Secret:
		errAnswer(w, 40125, "invalid appsecret")
	default:
		s.n++
		s.fetches++
		tok := fmt.Sprintf("ACCESS_TOKEN_%d", s.n)
		// A new token replaces the old ones (WeChat keeps the old one valid for a few minutes
		// only; the stand-in drops it at once, which is the case that hurts).
		s.tokens = map[string]bool{tok: true}
		answer(w, map[string]any{"access_token": tok, "expires_in": 7200})
	}
}

// message is the request body as WeChat documents it.
type message struct {
	ToUser           string                       `json:"touser"`
	TemplateID       string                       `json:"template_id"`
	Page             string                       `json:"page"`
	MiniprogramState string                       `json:"miniprogram_state"`
	Lang             string                       `json:"lang"`
	Data             map[string]map[string]string `json:"data"`
}

func (s *Server) send(w http.ResponseWriter, r *http.Request) {
	code, msg := s.check(r)
	s.mu.Lock()
	s.answers = append(s.answers, code)
	s.mu.Unlock()
	if code != 0 {
		errAnswer(w, code, msg)
		return
	}
	answer(w, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": 1000 + len(s.Sent())})
}

func (s *Server) check(r *http.Request) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.tokens[r.URL.Query().Get("access_token")] {
		return 40001, "invalid credential, access_token is invalid or not latest"
	}
	if len(s.failNext) > 0 {
		code := s.failNext[0]
		s.failNext = s.failNext[1:]
		return code, "forced by the test"
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		return 47001, "data format error: content type " + ct
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return 47001, "data format error"
	}
	var m message
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return 47001, "data format error: " + err.Error()
	}
	if !s.users[m.ToUser] {
		return 40003, "invalid openid"
	}
	keys, ok := s.templates[m.TemplateID]
	if !ok {
		return 40037, "invalid template id"
	}
	if m.Page != "" {
		path, _, _ := strings.Cut(m.Page, "?")
		if !s.pages[path] || len(m.Page) > 1024 {
			return 41030, "invalid page"
		}
	}
	switch m.MiniprogramState {
	case "", "formal", "trial", "developer":
	default:
		return 47001, "data format error: miniprogram_state"
	}
	switch m.Lang {
	case "", "zh_CN", "en_US", "zh_HK", "zh_TW":
	default:
		return 47001, "data format error: lang"
	}
	for k := range m.Data {
		if !contains(keys, k) {
			return 47003, "argument invalid! data." + k + " is not a field of the template"
		}
	}
	for _, k := range keys {
		v, ok := m.Data[k]
		if !ok {
			return 47003, "argument invalid! data." + k + ".value is empty"
		}
		if why := checkValue(k, v["value"]); why != "" {
			return 47003, "argument invalid! data." + k + ".value " + why
		}
	}
	g := [2]string{m.ToUser, m.TemplateID}
	if s.grants[g] <= 0 {
		return 43101, "user refuse to accept the msg"
	}
	s.grants[g]--
	data := map[string]string{}
	for k, v := range m.Data {
		data[k] = v["value"]
	}
	s.sent = append(s.sent, Sent{ToUser: m.ToUser, TemplateID: m.TemplateID, Page: m.Page,
		MiniprogramState: m.MiniprogramState, Lang: m.Lang, Data: data})
	return 0, ""
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

var (
	reNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	reLetter = regexp.MustCompile(`^[A-Za-z]+$`)
	reTime   = regexp.MustCompile(`^([0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日 |[0-9]{4}-[0-9]{2}-[0-9]{2} )?[0-9]{1,2}:[0-9]{2}$`)
	reDate   = regexp.MustCompile(`^([0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日|[0-9]{4}-[0-9]{2}-[0-9]{2})( [0-9]{1,2}:[0-9]{2})?$`)
	reAmount = regexp.MustCompile(`^[¥￥$]?[0-9]{1,10}(\.[0-9]{1,2})?元?$`)
	rePhone  = regexp.MustCompile(`^[0-9+\-() ]+$`)
)

// checkValue applies the rules of the field type key names (WeChat's "参数值内容限制说明"); a
// range "a~b" is allowed for times and dates. It returns why v is refused, or "".
func checkValue(key, v string) string {
	typ := strings.TrimRightFunc(key, func(r rune) bool { return r >= '0' && r <= '9' })
	n := utf8.RuneCountInString(v)
	if n == 0 {
		return "is empty"
	}
	long := func(max int) string {
		if n > max {
			return fmt.Sprintf("is too long (%d > %d characters)", n, max)
		}
		return ""
	}
	switch typ {
	case "thing":
		return long(20)
	case "short_thing":
		return long(5)
	case "number":
		if !reNumber.MatchString(v) {
			return "is not a number"
		}
		return long(32)
	case "letter":
		if !reLetter.MatchString(v) {
			return "is not letters only"
		}
		return long(32)
	case "symbol":
		for _, r := range v {
			if !unicode.IsPunct(r) && !unicode.IsSymbol(r) {
				return "is not symbols only"
			}
		}
		return long(5)
	case "character_string":
		for _, r := range v {
			if r <= ' ' || r >= utf8.RuneSelf {
				return "has a character that is not a digit, letter or symbol"
			}
		}
		return long(32)
	case "time", "date":
		re := reTime
		if typ == "date" {
			re = reDate
		}
		for _, part := range strings.Split(v, "~") {
			if !re.MatchString(part) {
				return "is not a " + typ
			}
		}
		return ""
	case "amount":
		if !reAmount.MatchString(v) {
			return "is not an amount"
		}
		return ""
	case "phone_number":
		if !rePhone.MatchString(v) {
			return "is not a phone number"
		}
		return long(17)
	case "car_number":
		return long(8)
	case "name":
		for _, r := range v {
			if unicode.Is(unicode.Han, r) {
				return long(10)
			}
		}
		return long(20)
	case "phrase":
		for _, r := range v {
			if !unicode.Is(unicode.Han, r) {
				return "is not Chinese characters only"
			}
		}
		return long(5)
	}
	return "has an unknown type"
}
