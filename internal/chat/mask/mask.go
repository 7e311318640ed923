// Package mask hides contact details typed into chats (X5): Chinese mobile numbers, landlines,
// WeChat and QQ handles, and e-mail addresses, however they are spelled — with spaces, dashes or
// dots, a +86 or 0086 prefix, full-width or circled digits, digits written as Chinese numerals
// (一三八…, 幺), or mixtures of them.
//
// A recognisable mobile keeps its first three and last four digits (138****5678), so both sides
// can still tell which number was meant; everything else becomes Placeholder. Prices, order
// numbers, times, dates, addresses with house numbers and other short numbers are left alone.
//
// Mask is pure and idempotent: Mask(Mask(s).Text).Text == Mask(s).Text. The chat service runs it
// on write, stores the visible text, keeps the original for operators, and tells the sender which
// kinds were hidden (Result.Kinds) in their language.
package mask

import (
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// Kind is what sort of contact detail was masked. The values are stable API codes.
type Kind string

// The kinds of contact detail Mask recognises.
const (
	Phone    Kind = "phone"    // a Chinese mobile number (shown as 138****5678)
	Landline Kind = "landline" // a fixed-line number with its area code, or a 400/800 number
	WeChat   Kind = "wechat"   // a WeChat id after 微信 / vx / V信 …
	QQ       Kind = "qq"       // a QQ number after QQ / 扣扣 / 加我q …
	Email    Kind = "email"    // an e-mail address, also written as "name#qq.com" or "name (at) 163 dot com"
)

// Placeholder replaces every masked detail except a recognisable mobile number.
const Placeholder = "[联系方式已隐藏]"

// Match is one contact detail found in the input. Start and End are byte offsets into the input
// (after invalid UTF-8 was replaced by U+FFFD, which leaves valid input unchanged). Matches can
// overlap (a mobile number that is also someone's WeChat id); overlapping finds are replaced as one.
type Match struct {
	Kind  Kind `json:"kind"`
	Start int  `json:"start"`
	End   int  `json:"end"`
}

// Result is the visible text and what was hidden from it.
type Result struct {
	Text    string  // the text to store and show, contact details replaced
	Matches []Match // what was found, in input order; empty when nothing was masked
}

// Masked reports whether anything was hidden.
func (r Result) Masked() bool { return len(r.Matches) > 0 }

// Kinds lists the distinct kinds hidden, in order of first appearance.
func (r Result) Kinds() []Kind {
	var out []Kind
	for _, m := range r.Matches {
		seen := false
		for _, k := range out {
			seen = seen || k == m.Kind
		}
		if !seen {
			out = append(out, m.Kind)
		}
	}
	return out
}

// Mask returns s with its contact details hidden. It never fails; invalid UTF-8 in s becomes
// U+FFFD in the result.
func Mask(s string) Result {
	s = strings.ToValidUTF8(s, "\uFFFD")
	t := newText(s)
	var found []find
	found = t.phones(found)
	found = t.handles(found)
	found = t.emails(found)
	if len(found) == 0 {
		return Result{Text: s}
	}
	return t.replace(found)
}

// find is one detection in rune indexes [start, end) of the text; repl is its replacement when it
// is replaced alone (a mobile's 138****5678), "" for Placeholder.
type find struct {
	kind       Kind
	start, end int
	repl       string
}

// text is the input as runes, each also folded to a normal form in which full-width characters
// are ASCII, ASCII letters are lower case and every spelling of a digit is an ASCII digit. Folding
// is rune for rune, so an index into norm is an index into the input.
type text struct {
	s       string
	off     []int  // byte offset in s of rune i; off[len] = len(s)
	norm    []rune // folded runes
	class   []int8 // digit spelling class of rune i (0 = not a digit)
	barrier []bool // rune i is part of an already-masked mobile (138****5678)
	ns      string // string(norm)
	nsRune  []int  // rune index of each byte offset of ns (for regexp results)
}

// Digit spelling classes: a run of digits of one class is one chunk; chunks of different classes
// may touch (138一二三四5678).
const (
	notDigit int8 = iota
	asciiDigit
	wideDigit
	hanDigit
	circledDigit
)

var hanDigits = map[rune]rune{
	'零': '0', '〇': '0',
	'一': '1', '壹': '1', '幺': '1', '么': '1',
	'二': '2', '贰': '2',
	'三': '3', '叁': '3',
	'四': '4', '肆': '4',
	'五': '5', '伍': '5',
	'六': '6', '陆': '6',
	'七': '7', '柒': '7',
	'八': '8', '捌': '8',
	'九': '9', '玖': '9',
}

func fold(r rune) (rune, int8) {
	switch {
	case r >= '0' && r <= '9':
		return r, asciiDigit
	case r >= '０' && r <= '９':
		return r - '０' + '0', wideDigit
	case r >= '①' && r <= '⑨':
		return r - '①' + '1', circledDigit
	case r == '⓪':
		return '0', circledDigit
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		r -= 0xFEE0
	case r == 0x3000 || r == 0x00A0:
		r = ' '
	}
	if d, ok := hanDigits[r]; ok {
		return d, hanDigit
	}
	if r >= 'A' && r <= 'Z' {
		r += 'a' - 'A'
	}
	return r, notDigit
}

func newText(s string) *text {
	n := utf8.RuneCountInString(s)
	t := &text{s: s, off: make([]int, 0, n+1), norm: make([]rune, 0, n), class: make([]int8, 0, n)}
	for i, r := range s {
		f, c := fold(r)
		t.off = append(t.off, i)
		t.norm = append(t.norm, f)
		t.class = append(t.class, c)
	}
	t.off = append(t.off, len(s))
	t.ns = string(t.norm)
	t.nsRune = make([]int, len(t.ns)+1)
	ri := 0
	for b := 0; b < len(t.ns); {
		_, size := utf8.DecodeRuneInString(t.ns[b:])
		for k := 0; k < size; k++ {
			t.nsRune[b+k] = ri
		}
		b += size
		ri++
	}
	t.nsRune[len(t.ns)] = ri
	t.barrier = make([]bool, len(t.norm))
	for i := 0; i+11 <= len(t.norm); i++ {
		if t.isMaskedMobile(i) {
			for k := i; k < i+11; k++ {
				t.barrier[k] = true
			}
			i += 10
		}
	}
	return t
}

// isMaskedMobile reports whether norm[i:i+11] reads ddd****dddd, the form Mask gives a mobile.
// Such a run is never read as digits again, which keeps Mask idempotent.
func (t *text) isMaskedMobile(i int) bool {
	for k := 0; k < 11; k++ {
		r := t.norm[i+k]
		if k >= 3 && k < 7 {
			if r != '*' {
				return false
			}
		} else if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func (t *text) digit(i int) bool { return t.class[i] != notDigit && !t.barrier[i] }

// separator reports whether a rune may stand between the digit groups of one phone number.
func separator(r rune) bool {
	switch r {
	case ' ', '\t', '-', '.', '_', '/', '(', ')', '·', '—', '–', '‐', '−', ',', '，', '、':
		return true
	}
	return false
}

// chunk is a maximal run of digits of one spelling class.
type chunk struct {
	start, end int // rune indexes
	digits     string
}

// phones finds mobile and landline numbers: it reads the text as groups of digit chunks joined by
// at most three separators, and within each group tries every run of whole chunks, earliest and
// then longest first, against the number plans.
func (t *text) phones(found []find) []find {
	var group []chunk
	flush := func() {
		found = t.phonesIn(group, found)
		group = group[:0]
	}
	i := 0
	for i < len(t.norm) {
		if !t.digit(i) {
			i++
			continue
		}
		start := i
		c := t.class[i]
		var b strings.Builder
		for i < len(t.norm) && t.digit(i) && t.class[i] == c {
			b.WriteRune(t.norm[i])
			i++
		}
		if len(group) > 0 {
			prev := group[len(group)-1].end
			gap := start - prev
			ok := gap <= 3
			for k := prev; ok && k < start; k++ {
				ok = separator(t.norm[k])
			}
			if !ok {
				flush()
			}
		}
		group = append(group, chunk{start: start, end: i, digits: b.String()})
	}
	flush()
	return found
}

func (t *text) phonesIn(group []chunk, found []find) []find {
	for i := 0; i < len(group); {
		plus := group[i].start > 0 && t.norm[group[i].start-1] == '+'
		bestJ, bestKind, bestNat, bestD := -1, Kind(""), "", ""
		d := ""
		for j := i; j < len(group); j++ {
			d += group[j].digits
			if len(d) > 15 {
				break
			}
			if k, nat := classify(d, plus); k != "" {
				bestJ, bestKind, bestNat, bestD = j, k, nat, d
			}
		}
		if bestJ < 0 {
			i++
			continue
		}
		f := find{kind: bestKind, start: group[i].start, end: group[bestJ].end}
		if plus && strings.HasPrefix(bestD, "86") && (f.start < 2 || !t.digit(f.start-2)) {
			f.start-- // the + of +86 goes with the number
		}
		if bestKind == Phone {
			f.repl = bestNat[:3] + "****" + bestNat[7:]
		}
		found = append(found, f)
		i = bestJ + 1
	}
	return found
}

// classify tells whether the digits d (in their written order, separators removed) form a
// Chinese mobile or fixed-line number; nat is the national number (11 digits for a mobile).
// plus says a + stood before them.
func classify(d string, plus bool) (kind Kind, nat string) {
	n := d
	intl := false
	switch {
	case strings.HasPrefix(n, "0086"):
		n, intl = n[4:], true
	case strings.HasPrefix(n, "86") && (plus || len(n) == 13):
		n, intl = n[2:], true
	}
	if len(n) == 11 && n[0] == '1' && n[1] >= '3' && n[1] <= '9' {
		return Phone, n
	}
	if !intl && len(n) == 12 && n[0] == '0' && n[1] == '1' && n[2] >= '3' && n[2] <= '9' {
		return Phone, n[1:] // a mobile dialled with a trunk 0
	}
	if intl && n != "" && n[0] != '0' {
		n = "0" + n // +86 10 1234 5678 is 010-1234 5678
	}
	if landline(n) {
		return Landline, n
	}
	if !intl && len(n) == 10 && (strings.HasPrefix(n, "400") || strings.HasPrefix(n, "800")) {
		return Landline, n
	}
	return "", ""
}

// landline: 010 and 02x take 8-digit local numbers; 0xxx (x ≥ 3) areas take 7 or 8.
func landline(n string) bool {
	if len(n) < 11 || len(n) > 12 || n[0] != '0' {
		return false
	}
	switch {
	case n[1] == '1':
		return n[2] == '0' && len(n) == 11
	case n[1] == '2':
		return len(n) == 11
	case n[1] >= '3' && n[1] <= '9':
		return true
	}
	return false
}

// keyword introduces a handle: 微信 abc123, vx: wang_88, 加我q 12345678.
type keyword struct {
	word  []rune
	kind  Kind
	ascii bool // must stand alone: no ASCII letter right before or after it
}

var keywords = func() []keyword {
	var ks []keyword
	add := func(kind Kind, ascii bool, words ...string) {
		for _, w := range words {
			ks = append(ks, keyword{word: []rune(w), kind: kind, ascii: ascii})
		}
	}
	add(WeChat, false, "微信", "威信", "薇信", "徽信", "维信", "微芯", "v信", "绿泡泡", "卫星号", "微❤", "薇❤", "威❤")
	add(WeChat, true, "vx", "wx", "weixin", "wechat", "v")
	add(QQ, false, "扣扣", "企鹅号", "企鹅")
	add(QQ, true, "qq", "q")
	// Longest first, so "qq" wins over "q" at the same place.
	sort.SliceStable(ks, func(i, j int) bool { return len(ks[i].word) > len(ks[j].word) })
	return ks
}()

// gapRune may stand between a keyword and its handle: 微信号是: abc123, QQ（12345678）.
func gapRune(r rune) bool {
	switch r {
	case ' ', '\t', ':', '-', '=', '号', '是', '为', '码', '账', '的', '就', '搜', '加', '我', '(', ')',
		'"', '\'', '“', '”', ',', '，', '>', '~', '【', '】', '「', '」', '：', '❤', '\uFE0F':
		return true
	}
	return false
}

func asciiLetter(r rune) bool { return r >= 'a' && r <= 'z' }

// handleRune may be part of a handle. '*' counts so that a masked mobile inside a handle does
// not shorten it (which would make a second Mask see a different handle).
func handleRune(r rune) bool {
	return asciiLetter(r) || (r >= '0' && r <= '9') || r == '_' || r == '-' || r == '*'
}

// handles finds WeChat and QQ handles that follow a keyword.
func (t *text) handles(found []find) []find {
	for i := range t.norm {
		for _, k := range keywords {
			end := i + len(k.word)
			if end > len(t.norm) || !runesEqual(t.norm[i:end], k.word) {
				continue
			}
			if k.ascii && ((i > 0 && asciiLetter(t.norm[i-1])) || (end < len(t.norm) && asciiLetter(t.norm[end]))) {
				continue
			}
			if f, ok := t.handleAfter(end, k.kind); ok {
				found = append(found, f)
			}
			break
		}
	}
	return found
}

func runesEqual(a, b []rune) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (t *text) handleAfter(i int, kind Kind) (find, bool) {
	for n := 0; i < len(t.norm) && n < 12; n++ {
		if gapRune(t.norm[i]) {
			i++
			continue
		}
		// "微信id: abc" — an ASCII "id" standing alone is part of the gap.
		if i+1 < len(t.norm) && t.norm[i] == 'i' && t.norm[i+1] == 'd' && (i+2 == len(t.norm) || !handleRune(t.norm[i+2])) {
			i += 2
			continue
		}
		break
	}
	start := i
	for i < len(t.norm) && handleRune(t.norm[i]) {
		i++
	}
	h := t.norm[start:i]
	if len(h) == 0 || h[0] == '-' || h[0] == '_' || h[0] == '*' {
		return find{}, false
	}
	allDigits, hasStar := true, false
	for _, r := range h {
		allDigits = allDigits && r >= '0' && r <= '9'
		hasStar = hasStar || r == '*'
	}
	if allDigits && i < len(t.norm) && strings.ContainsRune("元块¥$%万千百kw", t.norm[i]) {
		return find{}, false // 微信 150000元 is an amount
	}
	ok := false
	switch kind {
	case WeChat:
		// WeChat ids start with a letter; people also use their mobile or QQ number.
		// A '*' only appears in a handle that holds an already-masked mobile.
		ok = len(h) >= 6 && (asciiLetter(h[0]) || !hasStar)
	case QQ:
		ok = allDigits && len(h) >= 5 && len(h) <= 11 && h[0] != '0'
	}
	if !ok {
		return find{}, false
	}
	return find{kind: kind, start: start, end: i}, true
}

var (
	emailPlain = regexp.MustCompile(`[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}`)
	// name#qq.com, name (at) 163 dot com, name艾特qq点com
	emailSpelled = regexp.MustCompile(`[a-z0-9][a-z0-9._%+-]*\s*(?:#|\(at\)|\[at\]|\{at\}|\sat\s|艾特|圈a)\s*[a-z0-9-]+(?:\s*(?:\.|\(dot\)|\[dot\]|\sdot\s|点)\s*[a-z0-9-]+)*?\s*(?:\.|\(dot\)|\[dot\]|\sdot\s|点)\s*(?:com|cn|net|org|edu|gov|io|me|cc|hk|tw)\b`)
)

func (t *text) emails(found []find) []find {
	for _, re := range []*regexp.Regexp{emailPlain, emailSpelled} {
		for _, m := range re.FindAllStringIndex(t.ns, -1) {
			found = append(found, find{kind: Email, start: t.nsRune[m[0]], end: t.nsRune[m[1]]})
		}
	}
	return found
}

// replace builds the visible text: overlapping finds are replaced together by Placeholder, except
// that finds covering exactly the same runes keep a mobile's own form.
func (t *text) replace(found []find) Result {
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].start != found[j].start {
			return found[i].start < found[j].start
		}
		return found[i].end > found[j].end
	})
	var res Result
	var b strings.Builder
	last := 0 // rune index up to which the input has been copied
	for i := 0; i < len(found); {
		start, end := found[i].start, found[i].end
		repl := found[i].repl
		same := true
		j := i + 1
		for ; j < len(found) && found[j].start < end; j++ {
			if found[j].start != start || found[j].end != end {
				same = false
			}
			if found[j].end > end {
				end = found[j].end
			}
			if repl == "" {
				repl = found[j].repl
			}
		}
		if !same || repl == "" {
			repl = Placeholder
		}
		for k := i; k < j; k++ {
			m := Match{Kind: found[k].kind, Start: t.off[found[k].start], End: t.off[found[k].end]}
			dup := false
			for _, p := range res.Matches {
				dup = dup || p == m
			}
			if !dup {
				res.Matches = append(res.Matches, m)
			}
		}
		b.WriteString(t.s[t.off[last]:t.off[start]])
		b.WriteString(repl)
		last = end
		i = j
	}
	b.WriteString(t.s[t.off[last]:])
	res.Text = b.String()
	return res
}
