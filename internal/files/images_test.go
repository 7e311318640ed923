package files

// Image builders shared by this package's tests and the whole-program tests (package files_test).

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// Secret is a text put into test images' metadata; it must not survive an upload.
const Secret = "home-of-lin-xiao-31.2304N-121.4737E"

// Gradient is a w×h opaque image with some structure, so encoders have real work.
func Gradient(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x * 255 / max(w, 1)), uint8(y * 255 / max(h, 1)), uint8((x + y) % 256), 255})
		}
	}
	return img
}

// PNGBytes encodes img as PNG.
func PNGBytes(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// JPEGWithExif encodes img as JPEG with an APP1 Exif segment right after SOI, as a phone camera
// writes it: IFD0 with Orientation and ImageDescription (Secret), and a GPS IFD with latitude and
// longitude.
func JPEGWithExif(t testing.TB, img image.Image, orientation uint16) []byte {
	t.Helper()
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	be := binary.BigEndian
	// TIFF: header (8), IFD0 at 8 with 3 entries (2 + 3×12 + 4 = 42) → 50; description text at 50;
	// GPS IFD after it; rationals after that.
	desc := append([]byte(Secret), 0)
	descOff := 50
	gpsOff := descOff + len(desc)
	gpsEntries := 4
	ratOff := gpsOff + 2 + gpsEntries*12 + 4
	var tiff []byte
	tiff = append(tiff, "MM\x00\x2a\x00\x00\x00\x08"...)
	entry := func(tag, typ uint16, count, value uint32) {
		var e [12]byte
		be.PutUint16(e[0:], tag)
		be.PutUint16(e[2:], typ)
		be.PutUint32(e[4:], count)
		be.PutUint32(e[8:], value)
		tiff = append(tiff, e[:]...)
	}
	tiff = be.AppendUint16(tiff, 3)
	entry(0x010E, 2, uint32(len(desc)), uint32(descOff)) // ImageDescription
	entry(0x0112, 3, 1, uint32(orientation)<<16)         // Orientation, SHORT left-justified
	entry(0x8825, 4, 1, uint32(gpsOff))                  // GPSInfo IFD
	tiff = be.AppendUint32(tiff, 0)
	tiff = append(tiff, desc...)
	tiff = be.AppendUint16(tiff, uint16(gpsEntries))
	entry(0x0001, 2, 2, uint32('N')<<24)    // GPSLatitudeRef
	entry(0x0002, 5, 3, uint32(ratOff))     // GPSLatitude
	entry(0x0003, 2, 2, uint32('E')<<24)    // GPSLongitudeRef
	entry(0x0004, 5, 3, uint32(ratOff+3*8)) // GPSLongitude
	tiff = be.AppendUint32(tiff, 0)
	for _, v := range []uint32{31, 1, 13, 1, 4951, 100, 121, 1, 28, 1, 2532, 100} {
		tiff = be.AppendUint32(tiff, v)
	}
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	var out bytes.Buffer
	out.Write(plain.Bytes()[:2]) // SOI
	out.Write([]byte{0xFF, 0xE1})
	out.Write(be.AppendUint16(nil, uint16(len(app1)+2)))
	out.Write(app1)
	out.Write(plain.Bytes()[2:])
	return out.Bytes()
}

// PixelBomb is a small, well-formed PNG header that claims w×h pixels, followed by a token IDAT
// and IEND: decoding it would need w×h×4 bytes; its header alone says so.
func PixelBomb(w, h uint32) []byte {
	chunk := func(typ string, data []byte) []byte {
		var c []byte
		c = binary.BigEndian.AppendUint32(c, uint32(len(data)))
		c = append(c, typ...)
		c = append(c, data...)
		return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA
	b := []byte("\x89PNG\r\n\x1a\n")
	b = append(b, chunk("IHDR", ihdr)...)
	// A zlib stream of zeros; real bombs compress gigabytes of them into a few kilobytes.
	b = append(b, chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01})...)
	return append(b, chunk("IEND", nil)...)
}
