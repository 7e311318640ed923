package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// multipartSlack is what the multipart framing and small form fields may add to an upload.
const multipartSlack = 64 << 10

// postFile takes multipart/form-data with a part named "file" (what a browser's FormData sends).
// The body is capped before it is read; the service caps the image itself.
func (a *API) postFile(w http.ResponseWriter, r *http.Request) error {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return model.Errorf(model.CodeUnsupportedMedia, "send multipart/form-data with the image in a part named \"file\"")
	}
	limit := a.Cfg.MaxUploadBytes + multipartSlack
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	mr, err := r.MultipartReader()
	if err != nil {
		return model.Errorf(model.CodeInvalid, "malformed multipart body: %v", err)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return model.Invalid(model.FieldError{Field: "file", Message: "is required: a multipart part named \"file\""})
		}
		if err != nil {
			return uploadReadError(err, a.Cfg.MaxUploadBytes)
		}
		if part.FormName() != "file" {
			continue // NextPart skips the rest of this part, within the body limit
		}
		f, err := a.Files.Upload(r.Context(), principal(r).ID, part.FileName(), uploadReader{part, a.Cfg.MaxUploadBytes})
		if err != nil {
			return err
		}
		return writeJSON(w, http.StatusCreated, f)
	}
}

// uploadReader turns the body limit's error into a problem the client understands.
type uploadReader struct {
	r   io.Reader
	max int64
}

func (u uploadReader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = uploadReadError(err, u.max)
	}
	return n, err
}

func uploadReadError(err error, max int64) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return model.Errorf(model.CodeTooLarge, "the image is larger than %d bytes", max)
	}
	return model.Errorf(model.CodeInvalid, "malformed multipart body: %v", err)
}

// getFile serves an image or its thumbnail to someone allowed to see it (404 to anyone else).
func (a *API) getFile(thumb bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, c, err := a.Files.Open(r.Context(), principal(r).ID, r.PathValue("id"), thumb)
		if err != nil {
			return err
		}
		defer c.Close()
		h := w.Header()
		h.Set("Content-Type", c.ContentType)
		h.Set("X-Content-Type-Options", "nosniff")
		// Only images are ever stored; should anything else get in, it is downloaded, never rendered.
		disposition := "attachment"
		if strings.HasPrefix(c.ContentType, "image/") {
			disposition = "inline"
		}
		if cd := mime.FormatMediaType(disposition, map[string]string{"filename": f.Filename}); cd != "" {
			h.Set("Content-Disposition", cd)
		} else {
			h.Set("Content-Disposition", disposition)
		}
		// private: no shared cache keeps it; no-cache: the browser asks again (cheaply, by ETag), so a
		// reader who lost access stops seeing it.
		h.Set("Cache-Control", "private, no-cache")
		h.Set("ETag", `"`+c.SHA256+`"`)
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		http.ServeContent(w, r, "", time.Time{}, c)
		return nil
	}
}
