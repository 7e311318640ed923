package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/homebell/homebell/internal/model"
)

// NATS carries wake-ups between nodes over one NATS subject, "<prefix>.wake", with the node's
// id and the people in a JSON body: {"node":"…","ids":["…"]}.
//
// Why one subject and not one per person ("<prefix>.wake.<id>"): a commit that tells many people
// (an order with a customer and a worker, operators' notices) is one message instead of many;
// person ids come from the platform and may contain dots or spaces that are not valid subject
// tokens; and a node would have to (un)subscribe on every connect and disconnect to benefit from
// per-person interest. Every node sees every wake-up, which costs one small message per commit —
// far below what the database can commit. A node skips its own messages: it woke its local
// connections directly before publishing, so its clients never wait for the NATS round trip.
type NATS struct {
	nc      *nats.Conn
	subject string
	node    string
	log     *slog.Logger
	sub     *nats.Subscription
}

var _ Broker = (*NATS)(nil)

type wakeMsg struct {
	Node string   `json:"node"`
	IDs  []string `json:"ids"`
}

// NewNATS connects to url. It does not fail when NATS is unreachable at start: it says so in the
// log (and /readyz reports the node degraded, see Connected), keeps reconnecting in the
// background, and clients catch up from the log meanwhile.
func NewNATS(url, prefix string, log *slog.Logger) (*NATS, error) {
	if prefix == "" {
		prefix = "homebell"
	}
	b := &NATS{subject: prefix + ".wake", node: model.NewID(), log: log}
	nc, err := nats.Connect(url,
		nats.Name("homebell "+b.node),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("hub: NATS disconnected; clients catch up by polling the log", "err", err)
			}
		}),
		nats.ReconnectHandler(func(*nats.Conn) { log.Info("hub: NATS reconnected") }),
		nats.ConnectHandler(func(*nats.Conn) { log.Info("hub: NATS connected") }),
	)
	if err != nil {
		return nil, fmt.Errorf("hub: connect NATS: %w", err)
	}
	b.nc = nc
	if !nc.IsConnected() {
		log.Warn("hub: NATS unreachable at start; streams on other nodes catch up by polling the log every few seconds until it connects",
			"url", redactURL(url))
	}
	return b, nil
}

// Publish sends one wake-up message for personIDs. With NATS unreachable the message is buffered
// by the client (or dropped when its buffer is full); either way the poll catches up.
func (b *NATS) Publish(_ context.Context, personIDs []string) error {
	raw, err := json.Marshal(wakeMsg{Node: b.node, IDs: personIDs})
	if err != nil {
		return fmt.Errorf("hub: wake message: %w", err)
	}
	if err := b.nc.Publish(b.subject, raw); err != nil {
		return fmt.Errorf("hub: publish wake-up: %w", err)
	}
	return nil
}

// Subscribe receives other nodes' wake-ups.
func (b *NATS) Subscribe(fn func([]string)) error {
	sub, err := b.nc.Subscribe(b.subject, func(m *nats.Msg) {
		var w wakeMsg
		if err := json.Unmarshal(m.Data, &w); err != nil {
			b.log.Warn("hub: bad wake-up message", "err", err)
			return
		}
		if w.Node == b.node {
			return
		}
		fn(w.IDs)
	})
	if err != nil {
		return fmt.Errorf("hub: subscribe %s: %w", b.subject, err)
	}
	b.sub = sub
	// Make sure the subscription reached the server when connected, so a wake-up published by
	// another node right after start is not missed.
	if b.nc.IsConnected() {
		_ = b.nc.FlushTimeout(2 * time.Second)
	}
	return nil
}

// Connected reports whether the connection to NATS is up now.
func (b *NATS) Connected() bool { return b.nc.IsConnected() }

// redactURL drops a password from a NATS URL before it is logged.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// Close drains the subscription and closes the connection.
func (b *NATS) Close() error {
	if b.sub != nil {
		_ = b.sub.Unsubscribe()
	}
	b.nc.Close()
	return nil
}
