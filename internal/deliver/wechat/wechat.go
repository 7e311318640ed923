// Package wechat sends WeChat mini-program subscribe messages (Y3) through the platform's own
// WeChat account: it fetches access tokens and posts messages to the subscribe-message API, and
// fits notice text to the limits of each template field type. Caching the token for every node and
// keeping the authorisation ledger are deliver's work; this package only speaks WeChat's HTTP API.
package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is WeChat's API server.
const DefaultBaseURL = "https://api.weixin.qq.com"

// WeChat's error codes that homebell acts on.
const (
	ErrBusy            = -1    // system busy: try again later
	ErrInvalidToken    = 40001 // the access token is invalid (refreshed elsewhere, or expired)
	ErrInvalidOpenID   = 40003 // touser is not an openid of this mini-program
	ErrInvalidTemplate = 40037 // template_id unknown to this mini-program
	ErrTokenExpired    = 42001 // the access token expired
	ErrInvalidPage     = 41030 // page is not a page of the mini-program
	ErrNoAuthorisation = 43101 // the person has no authorisation left for this template (or refused it)
	ErrBadField        = 47003 // a data field is missing, unknown or breaks its type's rules
)

// Mini-program versions a message may open (miniprogram_state).
var States = []string{"formal", "trial", "developer"}

// Client talks to WeChat's API for one mini-program.
type Client struct {
	BaseURL string // DefaultBaseURL when empty
	AppID   string
	Secret  string
	HTTP    *http.Client // a client with a 10 s timeout when nil
}

func (c *Client) base() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

func (c *Client) http() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// Answer is WeChat's JSON answer: errcode 0 is success.
type Answer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
	MsgID   int64  `json:"msgid,omitempty"`
}

// Token is an access token and how long it lives.
type Token struct {
	AccessToken string
	ExpiresIn   time.Duration
}

// FetchToken asks WeChat for a new access token (GET /cgi-bin/token, grant_type
// client_credential). Every fetch invalidates the previous token after a short overlap, so
// callers share one token across nodes.
func (c *Client) FetchToken(ctx context.Context) (Token, error) {
	q := url.Values{"grant_type": {"client_credential"}, "appid": {c.AppID}, "secret": {c.Secret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base()+"/cgi-bin/token?"+q.Encode(), nil)
	if err != nil {
		return Token{}, fmt.Errorf("wechat: token: %w", err)
	}
	var out struct {
		Answer
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := c.do(req, &out); err != nil {
		return Token{}, fmt.Errorf("wechat: token: %w", err)
	}
	if out.ErrCode != 0 || out.AccessToken == "" {
		return Token{}, fmt.Errorf("wechat: token: errcode %d: %s", out.ErrCode, out.ErrMsg)
	}
	return Token{AccessToken: out.AccessToken, ExpiresIn: time.Duration(out.ExpiresIn) * time.Second}, nil
}

// Message is one subscribe message (POST /cgi-bin/message/subscribe/send).
type Message struct {
	ToUser           string           `json:"touser"`
	TemplateID       string           `json:"template_id"`
	Page             string           `json:"page,omitempty"`
	MiniprogramState string           `json:"miniprogram_state,omitempty"`
	Lang             string           `json:"lang,omitempty"`
	Data             map[string]Value `json:"data"`
}

// Value is one template field's value, as WeChat wants it: {"value": "…"}.
type Value struct {
	Value string `json:"value"`
}

// Send posts m with the access token. A transport failure or a non-JSON answer is an error;
// WeChat's own refusals come back in Answer.
func (c *Client) Send(ctx context.Context, accessToken string, m Message) (Answer, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return Answer{}, fmt.Errorf("wechat: send: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		c.base()+"/cgi-bin/message/subscribe/send?access_token="+url.QueryEscape(accessToken), bytes.NewReader(body))
	if err != nil {
		return Answer{}, fmt.Errorf("wechat: send: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	var a Answer
	if err := c.do(req, &a); err != nil {
		return Answer{}, fmt.Errorf("wechat: send: %w", err)
	}
	return a, nil
}

func (c *Client) do(req *http.Request, out any) error {
	res, err := c.http().Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", res.StatusCode)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return errors.New("answer is not JSON")
	}
	return nil
}

// Lang is the lang of a message for a homebell locale: zh_CN, or en_US for English.
func Lang(locale string) string {
	if strings.HasPrefix(strings.ToLower(locale), "en") {
		return "en_US"
	}
	return "zh_CN"
}
