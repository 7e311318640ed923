package wechat_test

import (
	"context"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/homebell/homebell/internal/deliver/wechat"
	"github.com/homebell/homebell/internal/deliver/wechat/wechattest"
)

// Y3: text is fitted to each field type's limit by character, never inside one, so Chinese
// text (three bytes a character) is cut at the right place and stays valid UTF-8; and the
// stand-in, which checks values the way WeChat does, takes what Fit makes.
func TestY3FitTruncatesChineseByCharacter(t *testing.T) {
	for _, c := range []struct {
		typ  wechat.FieldType
		in   string
		want string
	}{
		{wechat.Thing, "日常保洁", "日常保洁"},
		{wechat.Thing, "浦东新区张江高科技园区碧波路690号3号楼", "浦东新区张江高科技园区碧波路690号3…"},
		{wechat.Thing, "一二三四五六七八九十一二三四五六七八九十", "一二三四五六七八九十一二三四五六七八九十"},  // exactly 20
		{wechat.Thing, "一二三四五六七八九十一二三四五六七八九十一", "一二三四五六七八九十一二三四五六七八九…"}, // 21
		{wechat.Thing, "Deep cleaning of the kitchen and both bathrooms", "Deep cleaning of th…"},
		{wechat.Thing, "厨房\n重点   清洁", "厨房 重点 清洁"},
		{wechat.Thing, "家电清洗😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀", "家电清洗😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀…"},
		{wechat.ShortThing, "服务即将开始", "服务即将…"},
		{wechat.Phrase, "已接单", "已接单"},
		{wechat.Phrase, "服务时间已变更", "服务时间已"},
		{wechat.Phrase, "OK已接单!", "已接单"},
		{wechat.Name, "王阿姨", "王阿姨"},
		{wechat.Name, "欧阳娜娜娜娜娜娜娜娜娜娜", "欧阳娜娜娜娜娜娜娜娜"},
		{wechat.Name, "Alexandria Ocasio-Cortez", "Alexandria Ocasio-Co"},
		{wechat.Name, "Li 小龙女士的名字很长很长很长", "Li 小龙女士的名字"},
		{wechat.CharacterString, "01a22784-7a4e-7075-8c99-5f51a723cb8d", "01a22784-7a4e-7075-8c99-5f51a723"},
		{wechat.CharacterString, "订单 HB-2026-0001", "HB-2026-0001"},
		{wechat.Number, "共 3 次", "3"},
		{wechat.PhoneNumber, "电话：138-0000-0001", "138-0000-0001"},
		{wechat.Letter, "abc中文def", "abcdef"},
		{wechat.CarNumber, "沪A 12345 挂", "沪A12345挂"},
	} {
		got := wechat.Fit(c.typ, c.in)
		if got != c.want {
			t.Errorf("Fit(%s, %q) = %q, want %q", c.typ, c.in, got, c.want)
		}
		if !utf8.ValidString(got) {
			t.Errorf("Fit(%s, %q) is not valid UTF-8", c.typ, c.in)
		}
		if l := wechat.Limit(c.typ); l > 0 && utf8.RuneCountInString(got) > l && c.typ != wechat.Name {
			t.Errorf("Fit(%s, %q) has %d characters, limit %d", c.typ, c.in, utf8.RuneCountInString(got), l)
		}
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 3, 3, 1, 5, 0, 0, time.UTC)
	for typ, want := range map[wechat.FieldType]string{wechat.Time: "2026年3月3日 09:05", wechat.Date: "2026年3月3日",
		wechat.Thing: "3月3日 09:05"} {
		if got := wechat.FormatTime(typ, at, sh); got != want {
			t.Errorf("FormatTime(%s) = %q, want %q", typ, got, want)
		}
	}
	if got := wechat.FormatAmount(15050); got != "¥150.50" {
		t.Errorf("FormatAmount = %q", got)
	}
}

// Y3: what Fit and the formats make passes the stand-in's checks, field type by field type; and
// the stand-in refuses what WeChat refuses.
func TestY3StandInChecksFieldsLikeWeChat(t *testing.T) {
	wx := wechattest.New(t, "wxapp", "secret")
	keys := []string{"thing1", "phrase2", "name3", "character_string4", "time5", "date6", "amount7", "number8", "short_thing9"}
	wx.AddTemplate("TPL", keys...)
	wx.AddUser("openid-1")
	wx.AddPage("pages/index")
	wx.Grant("openid-1", "TPL", 10)
	c := &wechat.Client{BaseURL: wx.URL, AppID: "wxapp", Secret: "secret"}
	ctx := context.Background()
	if _, err := (&wechat.Client{BaseURL: wx.URL, AppID: "wxapp", Secret: "wrong"}).FetchToken(ctx); err == nil {
		t.Error("a wrong secret got a token")
	}
	tok, err := c.FetchToken(ctx)
	if err != nil || tok.ExpiresIn != 7200*time.Second {
		t.Fatalf("token: %+v %v", tok, err)
	}
	long := "浦东新区张江高科技园区碧波路690号3号楼1单元"
	sh, _ := time.LoadLocation("Asia/Shanghai")
	at := time.Date(2026, 3, 3, 1, 5, 0, 0, time.UTC)
	data := map[string]wechat.Value{
		"thing1": {Value: wechat.Fit(wechat.Thing, long)}, "phrase2": {Value: wechat.Fit(wechat.Phrase, "服务时间已变更")},
		"name3": {Value: wechat.Fit(wechat.Name, "欧阳娜娜娜娜娜娜娜娜娜娜")}, "character_string4": {Value: wechat.Fit(wechat.CharacterString, "订单 01a22784-7a4e-7075-8c99-5f51a723cb8d")},
		"time5": {Value: wechat.FormatTime(wechat.Time, at, sh)}, "date6": {Value: wechat.FormatTime(wechat.Date, at, sh)},
		"amount7": {Value: wechat.FormatAmount(15000)}, "number8": {Value: wechat.Fit(wechat.Number, "3 次")},
		"short_thing9": {Value: wechat.Fit(wechat.ShortThing, "服务即将开始")},
	}
	msg := wechat.Message{ToUser: "openid-1", TemplateID: "TPL", Page: "pages/index?x=1", MiniprogramState: "formal", Lang: "zh_CN", Data: data}
	if a, err := c.Send(ctx, tok.AccessToken, msg); err != nil || a.ErrCode != 0 {
		t.Fatalf("fitted values: %+v %v", a, err)
	}
	bad := func(name string, change func(m *wechat.Message), code int) {
		t.Helper()
		m := msg
		m.Data = map[string]wechat.Value{}
		for k, v := range msg.Data {
			m.Data[k] = v
		}
		change(&m)
		a, err := c.Send(ctx, tok.AccessToken, m)
		if err != nil || a.ErrCode != code {
			t.Errorf("%s: %+v %v, want %d", name, a, err, code)
		}
	}
	bad("thing of 21 characters", func(m *wechat.Message) {
		m.Data["thing1"] = wechat.Value{Value: "一二三四五六七八九十一二三四五六七八九十一"}
	}, wechat.ErrBadField)
	bad("phrase with a letter", func(m *wechat.Message) { m.Data["phrase2"] = wechat.Value{Value: "OK"} }, wechat.ErrBadField)
	bad("Chinese in a character_string", func(m *wechat.Message) { m.Data["character_string4"] = wechat.Value{Value: "订单1"} }, wechat.ErrBadField)
	bad("time without a clock", func(m *wechat.Message) { m.Data["time5"] = wechat.Value{Value: "明天"} }, wechat.ErrBadField)
	bad("missing field", func(m *wechat.Message) { delete(m.Data, "amount7") }, wechat.ErrBadField)
	bad("unknown openid", func(m *wechat.Message) { m.ToUser = "someone" }, wechat.ErrInvalidOpenID)
	bad("unknown template", func(m *wechat.Message) { m.TemplateID = "NOPE" }, wechat.ErrInvalidTemplate)
	bad("unknown page", func(m *wechat.Message) { m.Page = "pages/nope" }, wechat.ErrInvalidPage)
	bad("bad state", func(m *wechat.Message) { m.MiniprogramState = "beta" }, 47001)
	bad("bad lang", func(m *wechat.Message) { m.Lang = "fr_FR" }, 47001)
	wx.ExpireTokens()
	if a, _ := c.Send(ctx, tok.AccessToken, msg); a.ErrCode != wechat.ErrInvalidToken {
		t.Errorf("an expired token: %+v", a)
	}
}
