package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/homebell/homebell/internal/model"
)

const fileCols = `id, sha256, content_type, bytes, width, height, filename, uploader_id,
	thumb_sha256, thumb_bytes, thumb_width, thumb_height, created_at`

func scanFile(row interface{ Scan(...any) error }) (model.File, error) {
	var f model.File
	err := row.Scan(&f.ID, &f.SHA256, &f.ContentType, &f.Bytes, &f.Width, &f.Height, &f.Filename, &f.UploaderID,
		&f.ThumbSHA256, &f.ThumbBytes, &f.ThumbWidth, &f.ThumbHeight, &f.CreatedAt)
	f.CreatedAt = f.CreatedAt.UTC()
	return f, err
}

// File returns one uploaded file's metadata.
func (q *Queries) File(ctx context.Context, id string) (model.File, error) {
	f, err := scanFile(q.q.QueryRowContext(ctx, `SELECT `+fileCols+` FROM files WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, notFound("file", id)
	}
	if err != nil {
		return f, fmt.Errorf("store: file %s: %w", id, err)
	}
	return f, nil
}

// FileByUploaderSHA returns the file a person uploaded with these stored bytes (not_found if none).
func (q *Queries) FileByUploaderSHA(ctx context.Context, uploaderID, sha string) (model.File, error) {
	f, err := scanFile(q.q.QueryRowContext(ctx, `SELECT `+fileCols+` FROM files WHERE uploader_id = $1 AND sha256 = $2`, uploaderID, sha))
	if errors.Is(err, sql.ErrNoRows) {
		return f, notFound("file", sha)
	}
	if err != nil {
		return f, fmt.Errorf("store: file by sha %s: %w", sha, err)
	}
	return f, nil
}

// InsertFile stores a file's metadata row. A second row for the same uploader and bytes is a
// conflict.
func (q *Queries) InsertFile(ctx context.Context, f *model.File) error {
	f.CreatedAt = utc(f.CreatedAt)
	_, err := q.q.ExecContext(ctx, `INSERT INTO files (`+fileCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
		f.ID, f.SHA256, f.ContentType, f.Bytes, f.Width, f.Height, f.Filename, f.UploaderID,
		f.ThumbSHA256, f.ThumbBytes, f.ThumbWidth, f.ThumbHeight, f.CreatedAt)
	if isUniqueViolation(err) {
		return model.Errorf(model.CodeConflict, "file %s was stored concurrently", f.SHA256)
	}
	if err != nil {
		return fmt.Errorf("store: insert file %s: %w", f.ID, err)
	}
	return nil
}
