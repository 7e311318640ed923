package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
)

// A request whose client went away mid-way fails with context.Canceled; that is logged as the
// client leaving, not as the server failing. Any other 5xx is still an error in the log.
func TestProblemLogsAClientThatLeftAsInfo(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("POST", "/v1/conversations/x/messages", nil).WithContext(ctx)
	writeProblem(httptest.NewRecorder(), r, log, fmt.Errorf("chat: send: %w", context.Canceled))
	if got := buf.String(); !strings.Contains(got, "level=INFO") || !strings.Contains(got, "abandoned by the client") {
		t.Errorf("a request the client left was logged as %q", got)
	}

	buf.Reset()
	r = httptest.NewRequest("POST", "/v1/conversations/x/messages", nil)
	writeProblem(httptest.NewRecorder(), r, log, errors.New("disk on fire"))
	if got := buf.String(); !strings.Contains(got, "level=ERROR") || !strings.Contains(got, "request failed") {
		t.Errorf("a failure was logged as %q", got)
	}

	// Canceled while the client is still there (a shutdown, a deadline of our own) stays an error.
	buf.Reset()
	writeProblem(httptest.NewRecorder(), r, log, fmt.Errorf("job: %w", context.Canceled))
	if got := buf.String(); !strings.Contains(got, "level=ERROR") {
		t.Errorf("a cancellation with the client still there was logged as %q", got)
	}
}
