// Package files takes image uploads (chat pictures, review photos, support screenshots) and
// serves them back to the people allowed to see them.
//
// An upload is sniffed from its bytes (JPEG, PNG or WebP; anything else is refused whatever its
// name), capped in bytes and in pixels (the dimensions are read from the header before anything
// is decoded, so a decompression bomb costs nothing), decoded and encoded again — which drops
// EXIF, GPS and every other metadata — and given a thumbnail. The bytes are stored on local disk
// under their SHA-256; the metadata is a row in the database.
//
// A file is readable by its uploader and by whoever an access rule admits: other services
// register rules with AllowReaders (chat: "a member of a conversation whose message shows this
// file"). Everyone else is told the file does not exist.
package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// Defaults for the limits of Service.
const (
	DefaultMaxBytes  = 10 << 20   // 10 MB
	DefaultMaxPixels = 40_000_000 // 40 megapixels
	ThumbnailSide    = 320        // longest side of a thumbnail, in pixels
)

// ReadRule tells whether personID may read the file fileID although they did not upload it. Rules
// must not fail open: on doubt, answer false.
type ReadRule func(ctx context.Context, personID, fileID string) (bool, error)

// Service stores and serves uploaded images. Set the exported fields, then use it from any number
// of goroutines.
type Service struct {
	Store     *store.Store
	Dir       string           // where the bytes live (created on first upload)
	MaxBytes  int64            // largest upload; DefaultMaxBytes when 0
	MaxPixels int64            // largest width × height; DefaultMaxPixels when 0
	Now       func() time.Time // the clock

	mu    sync.RWMutex
	rules []ReadRule
	// work bounds how many images are decoded at once: a 40-megapixel image takes a few hundred
	// MB while it is re-encoded.
	workOnce sync.Once
	work     chan struct{}
}

// AllowReaders registers a rule that admits readers other than the uploader. Rules are asked in
// the order they were registered until one admits; call it while wiring the program, before
// serving.
func (s *Service) AllowReaders(rule ReadRule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules = append(s.rules, rule)
}

func (s *Service) maxBytes() int64 {
	if s.MaxBytes > 0 {
		return s.MaxBytes
	}
	return DefaultMaxBytes
}

func (s *Service) maxPixels() int64 {
	if s.MaxPixels > 0 {
		return s.MaxPixels
	}
	return DefaultMaxPixels
}

// Upload reads one image from r (at most MaxBytes; r is not read further), checks and re-encodes
// it, stores it and returns its metadata. filename is only kept for Content-Disposition. The same
// person uploading the same image again gets the first file back, so a retried
// upload never makes a second file.
func (s *Service) Upload(ctx context.Context, uploaderID, filename string, r io.Reader) (_ model.File, err error) {
	defer model.WrapOp(&err, "files: upload", uploaderID)
	f, _, err := s.upload(ctx, uploaderID, filename, r)
	return f, err
}

func (s *Service) upload(ctx context.Context, uploaderID, filename string, r io.Reader) (f model.File, created bool, err error) {
	max := s.maxBytes()
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		var me *model.Error
		if errors.As(err, &me) {
			return f, false, err
		}
		return f, false, model.Errorf(model.CodeInvalid, "the upload could not be read: %v", err)
	}
	if int64(len(b)) > max {
		return f, false, model.Errorf(model.CodeTooLarge, "the image is larger than %d bytes", max)
	}
	if len(b) == 0 {
		return f, false, model.Invalid(model.FieldError{Field: "file", Message: "is empty"})
	}
	p, err := s.process(ctx, b)
	if err != nil {
		return f, false, err
	}
	sum := sha256.Sum256(p.data)
	f = model.File{
		ID: model.NewID(), SHA256: hex.EncodeToString(sum[:]), ContentType: p.contentType,
		Bytes: int64(len(p.data)), Width: p.width, Height: p.height, Filename: cleanFilename(filename, p.contentType),
		UploaderID: uploaderID, CreatedAt: s.Now(),
		ThumbSHA256: hex.EncodeToString(sum[:]), ThumbBytes: int64(len(p.data)), ThumbWidth: p.thumbW, ThumbHeight: p.thumbH,
	}
	// Bytes first, then the row: a row never names bytes that are not there. Bytes without a row
	// (a crash in between) are harmless and are stored again by the next upload of the same image.
	if err := s.writeBlob(f.SHA256, p.data); err != nil {
		return f, false, err
	}
	if p.thumb != nil {
		ts := sha256.Sum256(p.thumb)
		f.ThumbSHA256, f.ThumbBytes = hex.EncodeToString(ts[:]), int64(len(p.thumb))
		if err := s.writeBlob(f.ThumbSHA256, p.thumb); err != nil {
			return f, false, err
		}
	}
	for attempt := 0; ; attempt++ {
		var existing model.File
		err = s.Store.InTx(ctx, func(tx *store.Tx) error {
			var err error
			existing, err = tx.FileByUploaderSHA(ctx, uploaderID, f.SHA256)
			if err == nil || !model.IsCode(err, model.CodeNotFound) {
				return err
			}
			created = true
			return tx.InsertFile(ctx, &f)
		})
		switch {
		case err == nil && created:
			return withURLs(f), true, nil
		case err == nil:
			return withURLs(existing), false, nil
		case model.IsCode(err, model.CodeConflict) && attempt == 0:
			created = false // the same upload raced us; read its row
			continue
		}
		return model.File{}, false, fmt.Errorf("files: upload by %s: %w", uploaderID, err)
	}
}

// process runs the image work, at most two images at a time.
func (s *Service) process(ctx context.Context, b []byte) (processed, error) {
	s.workOnce.Do(func() { s.work = make(chan struct{}, 2) })
	select {
	case s.work <- struct{}{}:
	case <-ctx.Done():
		return processed{}, ctx.Err()
	}
	defer func() { <-s.work }()
	return process(b, limits{maxPixels: s.maxPixels(), thumbSide: ThumbnailSide})
}

// Get returns a file's metadata if personID may read it; not_found otherwise, exactly as if it did
// not exist. Other services call it to check that a file a person attaches is theirs to show.
func (s *Service) Get(ctx context.Context, personID, id string) (_ model.File, err error) {
	defer model.WrapOp(&err, "files: get", id)
	if !model.ValidID(id) {
		return model.File{}, model.Errorf(model.CodeNotFound, "file %q not found", id)
	}
	f, err := s.Store.File(ctx, id)
	if err != nil {
		return model.File{}, err
	}
	ok, err := s.mayRead(ctx, personID, f)
	if err != nil {
		return model.File{}, fmt.Errorf("files: access to %s: %w", id, err)
	}
	if !ok {
		return model.File{}, model.Errorf(model.CodeNotFound, "file %q not found", id)
	}
	return withURLs(f), nil
}

func (s *Service) mayRead(ctx context.Context, personID string, f model.File) (bool, error) {
	if personID == "" {
		return false, nil
	}
	if f.UploaderID == personID {
		return true, nil
	}
	s.mu.RLock()
	rules := s.rules
	s.mu.RUnlock()
	for _, rule := range rules {
		ok, err := rule(ctx, personID, f.ID)
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, nil
}

// Content is an open file's bytes: the image or its thumbnail. Close it when done.
type Content struct {
	io.ReadSeekCloser
	ContentType string
	Size        int64
	SHA256      string // of these bytes: a strong ETag
}

// Open returns the file's metadata and its bytes (the thumbnail's when thumb is set) if personID
// may read it; not_found otherwise.
func (s *Service) Open(ctx context.Context, personID, id string, thumb bool) (_ model.File, _ Content, err error) {
	defer model.WrapOp(&err, "files: open", id)
	f, err := s.Get(ctx, personID, id)
	if err != nil {
		return f, Content{}, err
	}
	key, size := f.SHA256, f.Bytes
	if thumb {
		key, size = f.ThumbSHA256, f.ThumbBytes
	}
	fh, err := os.Open(s.blobPath(key))
	if err != nil {
		return f, Content{}, fmt.Errorf("files: open %s: %w", id, err)
	}
	return f, Content{ReadSeekCloser: fh, ContentType: f.ContentType, Size: size, SHA256: key}, nil
}

// blobPath spreads blobs over 256 directories by the first two hex digits of their hash.
func (s *Service) blobPath(sha string) string {
	return filepath.Join(s.Dir, sha[:2], sha)
}

// writeBlob stores b under its hash unless it is already there: written to a temporary file,
// synced, then renamed into place, so a reader never sees half a file.
func (s *Service) writeBlob(sha string, b []byte) error {
	path := s.blobPath(sha)
	if st, err := os.Stat(path); err == nil && st.Size() == int64(len(b)) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("files: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return fmt.Errorf("files: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, bytes.NewReader(b)); err != nil {
		tmp.Close()
		return fmt.Errorf("files: write %s: %w", sha, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("files: sync %s: %w", sha, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("files: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("files: store %s: %w", sha, err)
	}
	return nil
}

// withURLs fills in where the API serves the file.
func withURLs(f model.File) model.File {
	f.URL = "/v1/files/" + f.ID
	f.ThumbnailURL = "/v1/files/" + f.ID + "/thumbnail"
	return f
}

// cleanFilename keeps a readable base name (no path, no control characters, at most 100
// characters) with the extension of the stored type, so a PNG uploaded as photo.jpg is served as
// photo.png.
func cleanFilename(name, contentType string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = name[strings.LastIndexByte(name, '/')+1:]
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' || r == ';' || unicode.Is(unicode.Bidi_Control, r) {
			return -1
		}
		return r
	}, name)
	if ext := filepath.Ext(name); ext != "" {
		name = strings.TrimSuffix(name, ext)
	}
	name = strings.Trim(strings.TrimSpace(name), ".")
	if name == "" {
		name = "image"
	}
	if utf8.RuneCountInString(name) > 100 {
		name = string([]rune(name)[:100])
	}
	if contentType == model.ContentTypePNG {
		return name + ".png"
	}
	return name + ".jpg"
}

// CheckOwned verifies that every id names an image personID uploaded: what a person may attach to
// something others will see (a chat message). Anything else is refused as invalid file_ids,
// without saying whether the file exists.
func (s *Service) CheckOwned(ctx context.Context, personID string, ids []string) (err error) {
	defer model.WrapOp(&err, "files: check owned", personID)
	for _, id := range ids {
		f, err := s.Store.File(ctx, id)
		if model.IsCode(err, model.CodeNotFound) || (err == nil && f.UploaderID != personID) {
			return model.Invalid(model.FieldError{Field: "file_ids", Message: "each must be an image you uploaded (POST /v1/files)"})
		}
		if err != nil {
			return fmt.Errorf("files: check %s: %w", id, err)
		}
	}
	return nil
}
