package hub

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/homebell/homebell/internal/model"
)

// The hand-built frame is the same JSON encoding/json makes of a model.Event.
func TestX1FrameIsTheEventJSON(t *testing.T) {
	ev := model.Event{Seq: 42, Type: model.EventNotification, Data: json.RawMessage(`{"notification":{"title":"师傅已出发 \"快\""}}`),
		CreatedAt: time.Date(2026, 11, 24, 9, 30, 0, 123456000, time.UTC)}
	want, _ := json.Marshal(ev)
	if got := frame(ev); string(got) != string(want) {
		t.Fatalf("frame\n%s\nwant\n%s", got, want)
	}
	if got := frame(model.Event{Seq: 1, Type: "x"}); !json.Valid(got) {
		t.Fatalf("frame without data is not JSON: %s", got)
	}
}
