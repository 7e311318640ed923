package files

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/webp"

	"github.com/homebell/homebell/internal/model"
)

// Sniff names the image type of b from its leading bytes — JPEG, PNG or WebP — whatever the file
// was called or claimed to be. ok is false for anything else (HTML, SVG, GIF, PDF, …).
func Sniff(b []byte) (contentType string, ok bool) {
	switch {
	case len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return model.ContentTypeJPEG, true
	case len(b) >= 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return model.ContentTypePNG, true
	case len(b) >= 16 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP" &&
		(string(b[12:16]) == "VP8 " || string(b[12:16]) == "VP8L" || string(b[12:16]) == "VP8X"):
		return model.ContentTypeWebP, true
	}
	return "", false
}

// processed is an upload made safe to serve: re-encoded pixels without metadata, and a thumbnail.
type processed struct {
	contentType   string
	data          []byte
	width, height int
	thumb         []byte // nil: the image is its own thumbnail
	thumbW        int
	thumbH        int
}

// limits bound the work one upload may cause.
type limits struct {
	maxPixels int64 // width × height
	thumbSide int   // longest side of a thumbnail
}

func decodeConfig(ct string, b []byte) (image.Config, error) {
	r := bytes.NewReader(b)
	switch ct {
	case model.ContentTypeJPEG:
		return jpeg.DecodeConfig(r)
	case model.ContentTypePNG:
		return png.DecodeConfig(r)
	default:
		return webp.DecodeConfig(r)
	}
}

func decode(ct string, b []byte) (image.Image, error) {
	r := bytes.NewReader(b)
	switch ct {
	case model.ContentTypeJPEG:
		return jpeg.Decode(r)
	case model.ContentTypePNG:
		return png.Decode(r)
	default:
		return webp.Decode(r)
	}
}

// process checks an upload's declared size before decoding anything, decodes it, and encodes the
// pixels again: JPEG as JPEG (the EXIF orientation applied, every metadata segment dropped), PNG
// as PNG (text and other ancillary chunks dropped), WebP as JPEG — or PNG when it has
// transparency. Re-encoding is what strips metadata: nothing of the upload but its pixels survives.
func process(b []byte, lim limits) (processed, error) {
	ct, ok := Sniff(b)
	if !ok {
		return processed{}, model.Errorf(model.CodeUnsupportedMedia, "only JPEG, PNG and WebP images can be uploaded")
	}
	cfg, err := decodeConfig(ct, b)
	if err != nil {
		return processed{}, model.Invalid(model.FieldError{Field: "file", Message: "is not a readable " + ct + " image"})
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return processed{}, model.Invalid(model.FieldError{Field: "file", Message: "the image has no pixels"})
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > lim.maxPixels {
		return processed{}, model.Errorf(model.CodeImageTooLarge, "the image is %d×%d pixels; at most %d megapixels are accepted",
			cfg.Width, cfg.Height, lim.maxPixels/1_000_000)
	}
	img, err := decode(ct, b)
	if err != nil {
		return processed{}, model.Invalid(model.FieldError{Field: "file", Message: "is not a readable " + ct + " image"})
	}
	if ct == model.ContentTypeJPEG {
		img = orient(img, jpegOrientation(b))
	}
	out := processed{contentType: ct}
	if ct == model.ContentTypeWebP {
		out.contentType = model.ContentTypeJPEG
		if !opaque(img) {
			out.contentType = model.ContentTypePNG
		}
	}
	if out.data, err = encode(out.contentType, img); err != nil {
		return processed{}, err
	}
	bd := img.Bounds()
	out.width, out.height = bd.Dx(), bd.Dy()
	out.thumbW, out.thumbH = out.width, out.height
	if tw, th := fit(out.width, out.height, lim.thumbSide); tw != out.width || th != out.height {
		t := thumbnail(img, tw, th)
		if out.thumb, err = encode(out.contentType, t); err != nil {
			return processed{}, err
		}
		out.thumbW, out.thumbH = tw, th
	}
	return out, nil
}

func encode(ct string, img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if ct == model.ContentTypePNG {
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(&buf, img)
	} else {
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85})
	}
	if err != nil {
		return nil, fmt.Errorf("files: encode %s: %w", ct, err)
	}
	return buf.Bytes(), nil
}

func opaque(img image.Image) bool {
	if o, ok := img.(interface{ Opaque() bool }); ok {
		return o.Opaque()
	}
	return false
}

// fit scales w×h down so that its longer side is at most side.
func fit(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, int(int64(h)*int64(side)/int64(w)))
	}
	return max(1, int(int64(w)*int64(side)/int64(h))), side
}

// thumbnail shrinks img to w×h with a box filter: each thumbnail pixel is the mean of the source
// pixels it covers, which does not alias however large the reduction.
func thumbnail(img image.Image, w, h int) image.Image {
	b := img.Bounds()
	src, ok := img.(*image.RGBA)
	if !ok || src.Rect.Min != (image.Point{}) {
		src = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	}
	sw, sh := src.Bounds().Dx(), src.Bounds().Dy()
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		y0, y1 := y*sh/h, max((y+1)*sh/h, y*sh/h+1)
		for x := 0; x < w; x++ {
			x0, x1 := x*sw/w, max((x+1)*sw/w, x*sw/w+1)
			var r, g, bl, a, n uint64
			for sy := y0; sy < y1; sy++ {
				row := src.Pix[sy*src.Stride:]
				for sx := x0; sx < x1; sx++ {
					p := row[sx*4 : sx*4+4]
					r += uint64(p[0])
					g += uint64(p[1])
					bl += uint64(p[2])
					a += uint64(p[3])
					n++
				}
			}
			d := dst.Pix[y*dst.Stride+x*4:]
			d[0], d[1], d[2], d[3] = uint8(r/n), uint8(g/n), uint8(bl/n), uint8(a/n)
		}
	}
	return dst
}

// jpegOrientation reads the EXIF Orientation tag (1–8) from a JPEG's APP1 segment; 1 when there is
// none. Phones store photos as the sensor saw them and record the rotation here; since the EXIF
// segment is dropped, the rotation is applied to the pixels instead.
func jpegOrientation(b []byte) int {
	i := 2
	for i+4 <= len(b) && b[i] == 0xFF {
		marker := b[i+1]
		if marker == 0xDA || marker == 0xD9 { // start of scan, end of image
			break
		}
		n := int(binary.BigEndian.Uint16(b[i+2:]))
		if n < 2 || i+2+n > len(b) {
			break
		}
		seg := b[i+4 : i+2+n]
		if marker == 0xE1 && len(seg) > 6 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	ifd := int(bo.Uint32(t[4:]))
	if ifd < 8 || ifd+2 > len(t) {
		return 1
	}
	count := int(bo.Uint16(t[ifd:]))
	for k := 0; k < count; k++ {
		e := ifd + 2 + 12*k
		if e+12 > len(t) {
			break
		}
		if bo.Uint16(t[e:]) == 0x0112 { // Orientation, SHORT
			if v := int(bo.Uint16(t[e+8:])); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient turns img upright according to an EXIF orientation.
func orient(img image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 { // 5–8 swap the axes
		dw, dh = h, w
	}
	src := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(src, src.Bounds(), img, b.Min, draw.Src)
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			copy(dst.Pix[dy*dst.Stride+dx*4:dy*dst.Stride+dx*4+4], src.Pix[y*src.Stride+x*4:y*src.Stride+x*4+4])
		}
	}
	return dst
}
