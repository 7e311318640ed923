package model

import (
	"errors"
	"fmt"
	"testing"
)

func TestWrapOp(t *testing.T) {
	notFound := Errorf(CodeNotFound, "order %q not found", "o1")
	sentinel := errors.New("gone")
	for _, c := range []struct {
		name, op, id string
		err          error
		want         string
	}{
		{"nil stays nil", "booking: accept", "o1", nil, ""},
		{"with an id", "booking: accept", "o1", notFound, `booking: accept o1: not_found: order "o1" not found`},
		{"without an id", "notify: save importance", "", sentinel, "notify: save importance: gone"},
		{"once per package", "booking: accept", "o1", fmt.Errorf("booking: cancel o2: %w", sentinel), "booking: cancel o2: gone"},
		{"another package's error", "support: reply", "t1", fmt.Errorf("chat: send c1: %w", sentinel), "support: reply t1: chat: send c1: gone"},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.err
			WrapOp(&err, c.op, c.id)
			if c.err == nil {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err.Error() != c.want {
				t.Errorf("got %q, want %q", err.Error(), c.want)
			}
			if !errors.Is(err, c.err) {
				t.Error("errors.Is does not find the wrapped error")
			}
			if errors.Is(c.err, notFound) && !IsCode(err, CodeNotFound) {
				t.Error("the code is lost")
			}
		})
	}
}
