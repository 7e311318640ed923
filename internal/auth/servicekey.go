package auth

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
)

// CreateServiceKey makes a key for a platform backend and stores only the hash of its secret.
// It returns the full bearer credential "hbk_<id>_<secret>", which cannot be recovered later.
func CreateServiceKey(ctx context.Context, st *store.Store, name string, now time.Time) (string, model.ServiceKey, error) {
	if name == "" || utf8.RuneCountInString(name) > 80 {
		return "", model.ServiceKey{}, model.Invalid(model.FieldError{Field: "name", Message: "must be 1-80 characters"})
	}
	idb, sb := make([]byte, 8), make([]byte, 32)
	if _, err := rand.Read(idb); err != nil {
		return "", model.ServiceKey{}, fmt.Errorf("auth: service key: %w", err)
	}
	if _, err := rand.Read(sb); err != nil {
		return "", model.ServiceKey{}, fmt.Errorf("auth: service key: %w", err)
	}
	id, secret := hex.EncodeToString(idb), hex.EncodeToString(sb)
	k := model.ServiceKey{ID: id, Name: name, SecretHash: HashSecret(secret), CreatedAt: now.UTC()}
	if err := st.InTx(ctx, func(tx *store.Tx) error { return tx.CreateServiceKey(ctx, k) }); err != nil {
		return "", model.ServiceKey{}, err
	}
	return ServiceKeyPrefix + id + "_" + secret, k, nil
}
