package notify

import "testing"

// TestEveryKindHasAnAudience: a new kind must say who receives it, or settings screens would list
// it to every role.
func TestEveryKindHasAnAudience(t *testing.T) {
	for _, k := range Kinds() {
		if len(audiences[k.ID]) == 0 {
			t.Errorf("kind %s has no entry in audiences (catalog.go)", k.ID)
		}
	}
	for id := range audiences {
		if _, ok := KindByID(id); !ok {
			t.Errorf("audiences names %s, which is not a kind", id)
		}
	}
}
