package model

import "time"

// The image types homebell stores. Uploads are sniffed from their bytes; a WebP upload is stored
// re-encoded as JPEG (or PNG when it has transparency), so files are only ever JPEG or PNG.
const (
	ContentTypeJPEG = "image/jpeg"
	ContentTypePNG  = "image/png"
	ContentTypeWebP = "image/webp"
)

// File is an uploaded image (chat pictures, review photos, support screenshots): re-encoded
// without metadata, stored content-addressed, with a thumbnail. Only its uploader and people an
// access rule admits (e.g. members of a conversation that shows it) may read it.
type File struct {
	ID          string    `json:"id"`
	SHA256      string    `json:"sha256"`       // hex SHA-256 of the stored bytes
	ContentType string    `json:"content_type"` // image/jpeg or image/png: what was stored, not what was claimed
	Bytes       int64     `json:"bytes"`
	Width       int       `json:"width"`
	Height      int       `json:"height"`
	Filename    string    `json:"filename"` // the uploader's name for it, cleaned; for Content-Disposition only
	UploaderID  string    `json:"uploader_id"`
	CreatedAt   time.Time `json:"created_at"`
	// The thumbnail: same type as the file, long side at most 320 px (the file itself when smaller).
	ThumbSHA256 string `json:"-"`
	ThumbBytes  int64  `json:"thumbnail_bytes"`
	ThumbWidth  int    `json:"thumbnail_width"`
	ThumbHeight int    `json:"thumbnail_height"`
	// URL and ThumbnailURL are where the API serves the bytes (filled in by the service).
	URL          string `json:"url"`
	ThumbnailURL string `json:"thumbnail_url"`
}
