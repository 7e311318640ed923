package files_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/files"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store/storetest"
)

// upload posts b as the "file" part of multipart/form-data, as a browser's FormData does.
func upload(t *testing.T, s *apptest.Server, token, filename string, b []byte) *apptest.Response {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("purpose", "chat") // other fields are ignored
	w, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	mw.Close()
	return s.DoWith("POST", "/v1/files", token, body.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}})
}

func wantProblem(t *testing.T, r *apptest.Response, status int, code model.Code) {
	t.Helper()
	if r.Status != status || r.Code() != string(code) {
		t.Fatalf("%s\nwant %d %s", r, status, code)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" || r.Str("title") == "" {
		t.Errorf("not a problem document: %s %s", ct, r.Body)
	}
}

// TestI1ImageUploads: the upload endpoint stores what the bytes are, refuses what is no image, too
// big or a decompression bomb, strips GPS, and serves a file to its uploader and to those an access
// rule admits — to nobody else.
func TestI1ImageUploads(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s := apptest.Start(t, dsn, apptest.Options{Config: func(c *config.Config) { c.MaxUploadBytes = 1 << 20 }})
		cust := s.AddPerson(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
		other := s.AddPerson(model.Person{ID: "c-2", Role: model.RoleCustomer, Name: "王芳"})
		worker := s.AddPerson(model.Person{ID: "w-1", Role: model.RoleWorker, Name: "李师傅"})

		// A PNG called .jpg is stored and served as PNG.
		pngBytes := files.PNGBytes(t, files.Gradient(1000, 600))
		r := upload(t, s, cust, "厨房.jpg", pngBytes)
		if r.Status != http.StatusCreated {
			t.Fatalf("upload: %s", r)
		}
		var f model.File
		r.Decode(t, &f)
		if f.ContentType != model.ContentTypePNG || f.Filename != "厨房.png" || f.Width != 1000 || f.Height != 600 ||
			f.UploaderID != "c-1" || f.ThumbWidth != 320 || f.ThumbHeight != 192 || f.URL != "/v1/files/"+f.ID {
			t.Fatalf("stored file = %+v", f)
		}
		got := s.Do("GET", f.URL, cust, nil)
		if got.Status != http.StatusOK {
			t.Fatalf("uploader reads: %s", got)
		}
		sum := sha256.Sum256(got.Body)
		for h, want := range map[string]string{
			"Content-Type": "image/png", "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-cache",
			"Content-Disposition": "inline; filename*=utf-8''%E5%8E%A8%E6%88%BF.png",
		} {
			if v := got.Header.Get(h); v != want {
				t.Errorf("%s: %q, want %q", h, v, want)
			}
		}
		if hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(got.Body)) != f.Bytes {
			t.Errorf("served bytes do not match the metadata")
		}
		thumb := s.Do("GET", f.ThumbnailURL, cust, nil)
		if cfg, err := png.DecodeConfig(bytes.NewReader(thumb.Body)); thumb.Status != 200 || err != nil || cfg.Width != 320 || cfg.Height != 192 {
			t.Errorf("thumbnail: %d %+v %v", thumb.Status, cfg, err)
		}
		// The same image again is the same file: a retried upload makes nothing new.
		if again := upload(t, s, cust, "厨房.jpg", pngBytes); again.Str("id") != f.ID {
			t.Errorf("second upload of the same image: %s", again)
		}

		// GPS and every other Exif field are gone from what is stored and served.
		jr := upload(t, s, cust, "IMG_2041.JPG", files.JPEGWithExif(t, files.Gradient(64, 48), 1))
		if jr.Status != http.StatusCreated || jr.Str("content_type") != model.ContentTypeJPEG {
			t.Fatalf("jpeg upload: %s", jr)
		}
		served := s.Do("GET", "/v1/files/"+jr.Str("id"), cust, nil)
		for _, bad := range []string{"Exif", files.Secret, "\xff\xe1"} {
			if bytes.Contains(served.Body, []byte(bad)) {
				t.Errorf("served JPEG contains %q", bad)
			}
		}

		// What is no image is refused, whatever it is called.
		wantProblem(t, upload(t, s, cust, "cat.png", []byte("<!DOCTYPE html><html><script>alert(document.cookie)</script>")),
			http.StatusUnsupportedMediaType, model.CodeUnsupportedMedia)
		wantProblem(t, upload(t, s, cust, "cat.png", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)),
			http.StatusUnsupportedMediaType, model.CodeUnsupportedMedia)
		// Too many bytes: refused with a problem document, before anything is decoded.
		big := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 3<<20)...)
		wantProblem(t, upload(t, s, cust, "big.png", big), http.StatusRequestEntityTooLarge, model.CodeTooLarge)
		// A 50000×50000 pixel bomb of a hundred bytes: refused from its header.
		wantProblem(t, upload(t, s, cust, "bomb.png", files.PixelBomb(50000, 50000)), http.StatusUnprocessableEntity, model.CodeImageTooLarge)
		// Not multipart, or no file part.
		wantProblem(t, s.Do("POST", "/v1/files", cust, map[string]string{"file": "x"}), http.StatusUnsupportedMediaType, model.CodeUnsupportedMedia)
		var empty bytes.Buffer
		mw := multipart.NewWriter(&empty)
		_ = mw.WriteField("note", "no file")
		mw.Close()
		wantProblem(t, s.DoWith("POST", "/v1/files", cust, empty.Bytes(), http.Header{"Content-Type": {mw.FormDataContentType()}}),
			http.StatusBadRequest, model.CodeInvalid)

		// Who may read: strangers are told it does not exist; nobody anonymous gets anywhere.
		for _, tok := range []string{other, worker} {
			wantProblem(t, s.Do("GET", f.URL, tok, nil), http.StatusNotFound, model.CodeNotFound)
			wantProblem(t, s.Do("GET", f.ThumbnailURL, tok, nil), http.StatusNotFound, model.CodeNotFound)
		}
		wantProblem(t, s.Do("GET", f.URL, "", nil), http.StatusUnauthorized, model.CodeUnauthenticated)
		wantProblem(t, upload(t, s, "", "a.png", pngBytes), http.StatusUnauthorized, model.CodeUnauthenticated)
		wantProblem(t, upload(t, s, s.ServiceKey("crm"), "a.png", pngBytes), http.StatusForbidden, model.CodeForbidden)
		wantProblem(t, s.Do("GET", "/v1/files/"+model.NewID(), cust, nil), http.StatusNotFound, model.CodeNotFound)
		wantProblem(t, s.Do("GET", "/v1/files/..%2f..%2fetc%2fpasswd", cust, nil), http.StatusNotFound, model.CodeNotFound)

		// A registered rule admits more readers (chat will admit a conversation's members).
		s.App.Files.AllowReaders(func(ctx context.Context, personID, fileID string) (bool, error) {
			return personID == "w-1" && fileID == f.ID, nil
		})
		if r := s.Do("GET", f.URL, worker, nil); r.Status != http.StatusOK || !strings.HasPrefix(string(r.Body), "\x89PNG") {
			t.Errorf("worker admitted by a rule: %s", r)
		}
		wantProblem(t, s.Do("GET", f.URL, other, nil), http.StatusNotFound, model.CodeNotFound)
	})
}
