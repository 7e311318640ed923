package model

import "time"

// ServiceKey is a platform backend's credential. Only a hash of its secret is stored.
type ServiceKey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	SecretHash string     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}
