package mask

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestX5MasksContactSpellings: real-looking ways people type a phone number, a WeChat or QQ handle
// or an e-mail address into an order chat. want is the exact visible text.
func TestX5MasksContactSpellings(t *testing.T) {
	const P = Placeholder
	cases := []struct {
		in, want string
		kinds    []Kind
	}{
		// Mobiles.
		{"我电话13812345678", "我电话138****5678", []Kind{Phone}},
		{"电话 138 1234 5678 到了打给我", "电话 138****5678 到了打给我", []Kind{Phone}},
		{"138-1234-5678", "138****5678", []Kind{Phone}},
		{"138.1234.5678", "138****5678", []Kind{Phone}},
		{"+86 138 1234 5678", "138****5678", []Kind{Phone}},
		{"+8613812345678", "138****5678", []Kind{Phone}},
		{"0086-138-1234-5678", "138****5678", []Kind{Phone}},
		{"8613812345678", "138****5678", []Kind{Phone}},
		{"手机：１３８１２３４５６７８", "手机：138****5678", []Kind{Phone}},
		{"打我１３８-１２３４-５６７８", "打我138****5678", []Kind{Phone}},
		{"一三八一二三四五六七八", "138****5678", []Kind{Phone}},
		{"幺三八 幺二三四 五六七八", "138****5678", []Kind{Phone}},
		{"138一二三四5678", "138****5678", []Kind{Phone}},
		{"壹叁捌壹贰叁肆伍陆柒捌", "138****5678", []Kind{Phone}},
		{"1 3 8 1 2 3 4 5 6 7 8", "138****5678", []Kind{Phone}},
		{"(+86) 159-0000-1111", "(159****1111", []Kind{Phone}},
		{"号码是15900001111，晚上打", "号码是159****1111，晚上打", []Kind{Phone}},
		{"13812345678一直开机", "138****5678一直开机", []Kind{Phone}},
		{"到了call我18612345678!", "到了call我186****5678!", []Kind{Phone}},
		{"tel:199 8888 7777", "tel:199****7777", []Kind{Phone}},
		{"①③⑧①②③④⑤⑥⑦⑧", "138****5678", []Kind{Phone}},
		{"013812345678", "138****5678", []Kind{Phone}},
		{"2026-11-29 13812345678", "2026-11-29 138****5678", []Kind{Phone}},
		{"电话138，1234，5678", "电话138****5678", []Kind{Phone}},
		{"13812345678、13987654321都能打", "138****5678、139****4321都能打", []Kind{Phone}},
		// Landlines and service numbers.
		{"座机010-12345678", "座机" + P, []Kind{Landline}},
		{"021 5555 6666", P, []Kind{Landline}},
		{"(021) 5555-6666", "(" + P, []Kind{Landline}},
		{"0755-8888 6666 转 123", P + " 转 123", []Kind{Landline}},
		{"0571-8765432", P, []Kind{Landline}},
		{"+86 10 1234 5678", P, []Kind{Landline}},
		{"400-123-4567", P, []Kind{Landline}},
		// WeChat.
		{"微信 abc123", "微信 " + P, []Kind{WeChat}},
		{"加我微信：wang_ayi88 方便联系", "加我微信：" + P + " 方便联系", []Kind{WeChat}},
		{"vx: Li-Shifu2026", "vx: " + P, []Kind{WeChat}},
		{"VX号 zhangsan666", "VX号 " + P, []Kind{WeChat}},
		{"V信lily_0915", "V信" + P, []Kind{WeChat}},
		{"威信 abcdef", "威信 " + P, []Kind{WeChat}},
		{"wx：hello_world", "wx：" + P, []Kind{WeChat}},
		{"加v wxid_abcd1234", "加v " + P, []Kind{WeChat}},
		{"微信号是ＡＢＣ１２３", "微信号是" + P, []Kind{WeChat}},
		{"微信同手机 13812345678", "微信同手机 138****5678", []Kind{Phone}},
		{"微信13812345678", "微信138****5678", []Kind{WeChat, Phone}},
		{"微信id: wang88a", "微信id: " + P, []Kind{WeChat}},
		{"薇❤ lily_0915", "薇❤ " + P, []Kind{WeChat}},
		{"加v❤️abc12345", "加v❤️" + P, []Kind{WeChat}},
		// QQ.
		{"加我q 12345678", "加我q " + P, []Kind{QQ}},
		{"QQ：987654321", "QQ：" + P, []Kind{QQ}},
		{"扣扣 10001", "扣扣 " + P, []Kind{QQ}},
		{"q号 8888866", "q号 " + P, []Kind{QQ}},
		{"企鹅 一二三四五六七八", "企鹅 " + P, []Kind{QQ}},
		// E-mail.
		{"邮箱 wang.ayi@163.com", "邮箱 " + P, []Kind{Email}},
		{"发我 12345678@qq.com 谢谢", "发我 " + P + " 谢谢", []Kind{Email}},
		{"ｌｉ＠ｅｘａｍｐｌｅ．ｃｎ", P, []Kind{Email}},
		{"wang#qq.com", P, []Kind{Email}},
		{"li (at) 163 dot com", P, []Kind{Email}},
		{"13812345678@139.com", P, []Kind{Email, Phone}},
		// Several at once.
		{"电话13812345678 微信abc123", "电话138****5678 微信" + P, []Kind{Phone, WeChat}},
	}
	if len(cases) < 30 {
		t.Fatalf("only %d spellings", len(cases))
	}
	for _, c := range cases {
		r := Mask(c.in)
		if r.Text != c.want {
			t.Errorf("Mask(%q).Text = %q, want %q", c.in, r.Text, c.want)
			continue
		}
		got := r.Kinds()
		slices.Sort(got)
		want := slices.Clone(c.kinds)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("Mask(%q).Kinds() = %v, want %v", c.in, r.Kinds(), c.kinds)
		}
		for _, m := range r.Matches {
			if m.Start < 0 || m.End > len(c.in) || m.Start >= m.End {
				t.Errorf("Mask(%q): bad match %+v", c.in, m)
			}
		}
	}
}

// TestX5LeavesInnocentTextAlone: prices, order numbers, times, dates, addresses and other numbers
// that look like digits but are no contact.
func TestX5LeavesInnocentTextAlone(t *testing.T) {
	innocent := []string{
		"深度保洁 ¥150，已付款",
		"一共150元，另加材料费 30 元",
		"订单号 HB2026112900012345",
		"订单 HB20261129-0007 已完成",
		"明天 14:30 到，大概两个小时",
		"预约 2026-11-29 14:30-16:30",
		"改到12月1日上午十点",
		"2026/12/01 09:00",
		"地址：世纪大道100号2栋1203室",
		"浦东新区张杨路 1590 弄 12 号 801",
		"3 个卧室 2 个卫生间，大约 120 平米",
		"退款 1,280.00 元已到账",
		"我一三五在家，二四六上班",
		"第一次用，给五星",
		"微信支付 150 元",
		"用微信付了，12000 元的大单",
		"QQ音乐放首歌",
		"Wi-Fi 密码 homebell2026",
		"门禁密码 #1203#",
		"v2.0 版本 APP 可以用",
		"工号 100345，评分 4.9",
		"价格区间 100-200 元，周期 7 天",
		"2026年11月29日 下午三点半",
		"",
		"好的👌谢谢师傅！",
		"两个房间 1,200 元，三个 1,500 元、四个 1,800 元",
		"师傅 8:30、10:30、13:30 都可以",
	}
	if len(innocent) < 15 {
		t.Fatalf("only %d innocent texts", len(innocent))
	}
	for _, s := range innocent {
		if r := Mask(s); r.Text != s || r.Masked() {
			t.Errorf("Mask(%q) = %q %+v, want it left alone", s, r.Text, r.Matches)
		}
	}
}

func TestX5MatchesPointIntoInput(t *testing.T) {
	in := "电话 138 1234 5678，邮箱 a@b.cn"
	r := Mask(in)
	want := []string{"138 1234 5678", "a@b.cn"}
	if len(r.Matches) != len(want) {
		t.Fatalf("matches %+v", r.Matches)
	}
	for i, m := range r.Matches {
		if got := in[m.Start:m.End]; got != want[i] {
			t.Errorf("match %d = %q, want %q", i, got, want[i])
		}
	}
}

func TestX5InvalidUTF8(t *testing.T) {
	r := Mask("a\xff13812345678\xfe")
	if !utf8.ValidString(r.Text) || r.Text != "a\uFFFD138****5678\uFFFD" {
		t.Fatalf("got %q", r.Text)
	}
}

var mobileRun = regexp.MustCompile(`\d+`)

// checkProperties asserts what must hold for any input.
func checkProperties(t *testing.T, in string) Result {
	t.Helper()
	r := Mask(in)
	if !utf8.ValidString(r.Text) {
		t.Fatalf("Mask(%q) = %q: not valid UTF-8", in, r.Text)
	}
	if again := Mask(r.Text); again.Text != r.Text {
		t.Fatalf("not idempotent: Mask(%q) = %q, masked again = %q", in, r.Text, again.Text)
	}
	// No mobile survives as a run of digits, neither as typed nor once all digit spellings fold.
	folded := make([]rune, 0, len(r.Text))
	for _, c := range r.Text {
		f, _ := fold(c)
		folded = append(folded, f)
	}
	for _, s := range []string{r.Text, string(folded)} {
		for _, run := range mobileRun.FindAllString(s, -1) {
			if len(run) == 11 && run[0] == '1' && run[1] >= '3' {
				t.Fatalf("Mask(%q) = %q: mobile %s survives", in, r.Text, run)
			}
		}
	}
	return r
}

func TestX5Properties(t *testing.T) {
	for _, s := range []string{
		"13 5 12345 13812345678",
		"微信 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa8613812345678",
		"138 12345678@qq.com",
		"5+8613812345678",
		"13512345 13812345678一",
		"138****5678@qq.com",
	} {
		checkProperties(t, s)
	}
}

func FuzzMask(f *testing.F) {
	for _, s := range []string{
		"电话 138 1234 5678", "+86 138-1234-5678", "一三八一二三四五六七八", "微信 abc123", "加我q 12345678",
		"a@b.com", "021 5555 6666", "订单号 HB2026112900012345", "明天 14:30 到", "¥150",
	} {
		f.Add(s, "")
	}
	f.Add("AAAA", "113812345678") // the same digits inside a longer number stay: not a phone
	f.Fuzz(func(t *testing.T, prefix, suffix string) {
		checkProperties(t, prefix+suffix)
		// A mobile number set apart by punctuation is masked whatever surrounds it.
		for _, spelled := range []string{"13812345678", "138 1234 5678", "一三八-一二三四-五六七八", "１３８１２３４５６７８"} {
			in := prefix + "，电话：" + spelled + "，" + suffix
			r := checkProperties(t, in)
			// (The suffix may hold the same digits inside a longer number, an order number say,
			// which is left alone: only the number set apart must be gone.)
			if strings.Contains(r.Text, "，电话："+spelled+"，") {
				t.Fatalf("Mask(%q) = %q: %s survives", in, r.Text, spelled)
			}
		}
	})
}
