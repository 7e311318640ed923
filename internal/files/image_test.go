package files

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"testing"

	"github.com/homebell/homebell/internal/model"
)

var testLimits = limits{maxPixels: DefaultMaxPixels, thumbSide: ThumbnailSide}

func TestSniff(t *testing.T) {
	webpBytes, _ := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	cases := []struct {
		name string
		b    []byte
		want string
	}{
		{"png", PNGBytes(t, Gradient(4, 4)), model.ContentTypePNG},
		{"jpeg", JPEGWithExif(t, Gradient(4, 4), 1), model.ContentTypeJPEG},
		{"webp", webpBytes, model.ContentTypeWebP},
		{"html", []byte("<!DOCTYPE html><script>alert(1)</script>"), ""},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), ""},
		{"svg after a BOM and XML declaration", []byte("\xef\xbb\xbf<?xml version=\"1.0\"?><svg/>"), ""},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), ""},
		{"pdf", []byte("%PDF-1.7"), ""},
		{"riff but not webp", []byte("RIFF\x00\x00\x00\x00WAVEfmt "), ""},
		{"truncated png signature", []byte("\x89PNG\r\n"), ""},
		{"empty", nil, ""},
	}
	for _, c := range cases {
		got, ok := Sniff(c.b)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("%s: Sniff = %q, %v; want %q", c.name, got, ok, c.want)
		}
	}
}

func TestProcessStoresTheRealType(t *testing.T) {
	// A PNG is a PNG whatever it is called; the name plays no part in process.
	p, err := process(PNGBytes(t, Gradient(40, 30)), testLimits)
	if err != nil {
		t.Fatal(err)
	}
	if p.contentType != model.ContentTypePNG || p.width != 40 || p.height != 30 || p.thumb != nil {
		t.Errorf("processed = %s %d×%d thumb %v", p.contentType, p.width, p.height, p.thumb != nil)
	}
	if got := cleanFilename(`C:\photos\厨房 水槽.jpg`, p.contentType); got != "厨房 水槽.png" {
		t.Errorf("cleanFilename = %q", got)
	}
	if got := cleanFilename("../../\x00\"evil\";.html", model.ContentTypeJPEG); got != "evil.jpg" {
		t.Errorf("cleanFilename = %q", got)
	}
}

func TestProcessRefusesPixelBombBeforeDecoding(t *testing.T) {
	bomb := PixelBomb(50000, 50000)
	if len(bomb) > 100 {
		t.Fatalf("the bomb is %d bytes; it should be tiny", len(bomb))
	}
	_, err := process(bomb, testLimits)
	// Decoding would have failed on the token IDAT (invalid) or needed 10 GB; the header check
	// answers first.
	if !model.IsCode(err, model.CodeImageTooLarge) {
		t.Fatalf("err = %v, want %s", err, model.CodeImageTooLarge)
	}
	// Within the limit, the same broken image is decoded and found unreadable.
	if _, err := process(PixelBomb(100, 100), testLimits); !model.IsCode(err, model.CodeInvalid) {
		t.Fatalf("small broken PNG: err = %v, want invalid", err)
	}
}

func TestProcessStripsExifAndAppliesOrientation(t *testing.T) {
	src := JPEGWithExif(t, Gradient(60, 20), 6) // stored sideways: the camera says rotate 90° clockwise
	if !bytes.Contains(src, []byte(Secret)) || jpegOrientation(src) != 6 {
		t.Fatal("test image has no Exif")
	}
	p, err := process(src, testLimits)
	if err != nil {
		t.Fatal(err)
	}
	if p.contentType != model.ContentTypeJPEG {
		t.Fatalf("content type %s", p.contentType)
	}
	for _, bad := range [][]byte{[]byte("Exif"), []byte(Secret), {0xFF, 0xE1}} {
		if bytes.Contains(p.data, bad) {
			t.Errorf("stored JPEG still contains %q", bad)
		}
	}
	if p.width != 20 || p.height != 60 {
		t.Errorf("size %d×%d, want 20×60 (upright)", p.width, p.height)
	}
	// The top-left source pixel (dark) ends up top-right after a clockwise quarter turn.
	img, err := jpeg.Decode(bytes.NewReader(p.data))
	if err != nil {
		t.Fatal(err)
	}
	r, _, _, _ := img.At(19, 0).RGBA()
	l, _, _, _ := img.At(0, 0).RGBA()
	if r >= l {
		t.Errorf("orientation not applied: top-right red %d ≥ top-left red %d", r>>8, l>>8)
	}
}

func TestOrientAllEight(t *testing.T) {
	// A 3×2 image whose pixel (x, y) has red = 10x+y+1; check where the corner (0,0) lands.
	src := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for y := 0; y < 2; y++ {
		for x := 0; x < 3; x++ {
			src.Set(x, y, color.RGBA{uint8(10*x + y + 1), 0, 0, 255})
		}
	}
	want := map[int]image.Point{1: {0, 0}, 2: {2, 0}, 3: {2, 1}, 4: {0, 1}, 5: {0, 0}, 6: {1, 0}, 7: {1, 2}, 8: {0, 2}}
	for o, at := range want {
		got := orient(src, o)
		if r, _, _, _ := got.At(at.X, at.Y).RGBA(); r>>8 != 1 {
			t.Errorf("orientation %d: (0,0) not at %v", o, at)
		}
		if b := got.Bounds(); (o >= 5) != (b.Dx() == 2) {
			t.Errorf("orientation %d: bounds %v", o, b)
		}
	}
}

func TestProcessMakesThumbnail(t *testing.T) {
	p, err := process(PNGBytes(t, Gradient(1000, 500)), testLimits)
	if err != nil {
		t.Fatal(err)
	}
	if p.thumbW != 320 || p.thumbH != 160 || p.thumb == nil {
		t.Fatalf("thumbnail %d×%d", p.thumbW, p.thumbH)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(p.thumb))
	if err != nil || cfg.Width != 320 || cfg.Height != 160 {
		t.Fatalf("thumbnail decodes as %+v, %v", cfg, err)
	}
	// Box filtering keeps the gradient: the right edge is redder than the left.
	img, _ := png.Decode(bytes.NewReader(p.thumb))
	l, _, _, _ := img.At(0, 80).RGBA()
	r, _, _, _ := img.At(319, 80).RGBA()
	if r <= l {
		t.Errorf("thumbnail lost the picture: left %d right %d", l, r)
	}
}

func TestProcessWebP(t *testing.T) {
	cases := []struct {
		file, want string
	}{
		{"testdata/blue-purple-pink.lossy.webp", model.ContentTypeJPEG},        // opaque → JPEG
		{"testdata/gopher-doc.with-alpha.lossless.webp", model.ContentTypePNG}, // transparency → PNG
	}
	for _, c := range cases {
		b, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := process(b, testLimits)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if got, _ := Sniff(p.data); got != c.want || p.contentType != c.want {
			t.Errorf("%s stored as %s (bytes sniff as %s), want %s", c.file, p.contentType, got, c.want)
		}
	}
}

func TestProcessRefusesWhatIsNoImage(t *testing.T) {
	for name, b := range map[string][]byte{
		"html":                []byte("<html><body onload=alert(1)>"),
		"svg":                 []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
		"png header and html": append([]byte("\x89PNG\r\n\x1a\n"), "<html>"...),
	} {
		_, err := process(b, testLimits)
		code := model.ErrorCode(err)
		if code != model.CodeUnsupportedMedia && code != model.CodeInvalid {
			t.Errorf("%s: err = %v", name, err)
		}
		if name != "png header and html" && code != model.CodeUnsupportedMedia {
			t.Errorf("%s: code %s, want %s", name, code, model.CodeUnsupportedMedia)
		}
	}
}

// FuzzSniff: Sniff never panics and only ever names the three types, each with its signature;
// whatever it admits, process answers with a result or a coded error, never a panic.
func FuzzSniff(f *testing.F) {
	f.Add(PNGBytes(f, Gradient(3, 2)))
	f.Add(JPEGWithExif(f, Gradient(3, 2), 6))
	f.Add(PixelBomb(50000, 50000))
	f.Add([]byte("RIFF\x00\x00\x00\x00WEBPVP8L"))
	f.Add([]byte("<svg/>"))
	if b, err := os.ReadFile("testdata/gopher-doc.with-alpha.lossless.webp"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ct, ok := Sniff(b)
		switch {
		case !ok:
			if ct != "" {
				t.Fatalf("not ok but %q", ct)
			}
			return
		case ct == model.ContentTypeJPEG && !bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}),
			ct == model.ContentTypePNG && !bytes.HasPrefix(b, []byte("\x89PNG")),
			ct == model.ContentTypeWebP && !bytes.HasPrefix(b, []byte("RIFF")):
			t.Fatalf("%q sniffed as %s", b[:min(len(b), 16)], ct)
		}
		p, err := process(b, limits{maxPixels: 1 << 20, thumbSide: 32})
		if err != nil {
			if c := model.ErrorCode(err); c != model.CodeInvalid && c != model.CodeImageTooLarge {
				t.Fatalf("process: %v", err)
			}
			return
		}
		if got, _ := Sniff(p.data); got != p.contentType || got == model.ContentTypeWebP {
			t.Fatalf("stored %s as %s", got, p.contentType)
		}
	})
}
