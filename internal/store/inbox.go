package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/homebell/homebell/internal/model"
)

// InboxKey is the sort key of one message-center row: a page ends at a key and the next page
// starts strictly after it (keyset paging, no OFFSET: a page costs the same at row 10 and at row
// 10,000, and rows arriving meanwhile neither repeat nor skip entries).
type InboxKey struct {
	Importance int // importanceRank; used only when sorting by importance
	CreatedAt  time.Time
	ID         string
}

// InboxQuery selects one page of a person's message center (S4, S5).
type InboxQuery struct {
	RecipientID  string
	ByImportance bool   // importance (critical first), then newest; else newest first
	Category     string // "" = any
	Kind         string // "" = any
	OrderID      string // "" = any
	UnreadOnly   bool
	Search       string    // words in title or body, matched as a substring, case-insensitive for ASCII
	After        *InboxKey // nil = the first page
	Limit        int
}

// Inbox returns one page of a person's notifications, in the order the query asks for.
//
// Every variant walks an index on (recipient_id, …) in order and stops after Limit rows:
// notifications_by_time or notifications_by_importance for the sorts, notifications_unread_time for
// unread=true, notifications_category_time for a category (and a kind, with its category). With a
// filter and sort=importance, SQLite walks notifications_by_importance and filters, which stays
// fast while the filter keeps a fair share of rows. An order's few rows (to everyone) are found by
// notifications_order and sorted (migration 00024 dropped notifications_recipient_order). The
// benchmark (inbox_bench_test.go) logs the plans (EXPLAIN QUERY PLAN) and docs/benchmarks.md lists them.
//
// Conversations (I1, I3) will join this list when chat exists: each conversation is one entry with
// its last message and unread count. The query then becomes a UNION ALL of two keyset-ordered
// halves with the same columns and sort key, merged and cut at Limit:
//
//	SELECT … FROM notifications WHERE recipient_id = $1 AND kind NOT IN ('chat.message','support.message') …
//	UNION ALL
//	SELECT c.id, 'chat.conversation' AS kind, 'interaction', <importance rank of chat.message>,
//	       <counterpart name> AS title, c.last_message_text AS body, …, c.last_message_at AS created_at,
//	       CASE WHEN m.last_read_seq >= c.last_seq THEN m.read_at END AS read_at, c.last_seq - m.last_read_seq AS unread
//	  FROM conversation_members m JOIN conversations c ON c.id = m.conversation_id
//	 WHERE m.person_id = $1 AND <same filters and keyset condition on (last_message_at, id)>
//	ORDER BY <sort key> LIMIT $n
//
// Each half reads its own index in order (conversation_members by (person_id, last_message_at DESC,
// conversation_id DESC)), so a page still touches about Limit rows of each. The chat.message rows
// stay in notifications for off-app delivery and the audit trail but are then not listed one by
// one; the cursor keeps its shape (importance, created_at, id).
func (q *Queries) Inbox(ctx context.Context, iq InboxQuery) ([]model.Notification, error) {
	query, args := inboxSQL(iq)
	return q.notifications(ctx, "inbox", query, args...)
}

// inboxSQL builds the query of Inbox (separate so the benchmark can EXPLAIN it).
func inboxSQL(iq InboxQuery) (string, []any) {
	var sb strings.Builder
	args := []any{iq.RecipientID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if iq.OrderID != "" {
		// An order has a handful of notifications (to everyone): notifications_order finds them
		// and they are sorted, rather than walk every row of the person in page order, which
		// SQLite's planner would (to avoid the sort). "|| ''" keeps the person's indexes out of
		// the search on both databases.
		sb.WriteString(`SELECT ` + notificationCols + ` FROM notifications WHERE recipient_id || '' = $1`)
	} else {
		sb.WriteString(`SELECT ` + notificationCols + ` FROM notifications WHERE recipient_id = $1`)
	}
	if iq.Category != "" {
		sb.WriteString(` AND category = ` + arg(iq.Category))
	}
	if iq.Kind != "" {
		sb.WriteString(` AND kind = ` + arg(iq.Kind))
	}
	if iq.OrderID != "" {
		sb.WriteString(` AND order_id = ` + arg(iq.OrderID))
	}
	if iq.UnreadOnly {
		sb.WriteString(` AND read_at IS NULL`)
	}
	if s := strings.TrimSpace(iq.Search); s != "" {
		p := arg("%" + likeEscape(strings.ToLower(s)) + "%")
		// Either language: the reader sees an entry in their current one (Notification.InLocale).
		sb.WriteString(` AND (lower(title) LIKE ` + p + ` ESCAPE '\' OR lower(body) LIKE ` + p + ` ESCAPE '\'` +
			` OR lower(alt_title) LIKE ` + p + ` ESCAPE '\' OR lower(alt_body) LIKE ` + p + ` ESCAPE '\')`)
	}
	if k := iq.After; k != nil {
		// Row values compare lexicographically, which is exactly the keyset condition; both
		// databases turn it into a range on the index.
		if iq.ByImportance {
			sb.WriteString(` AND (importance, created_at, id) < (` + arg(k.Importance) + `, ` + arg(k.CreatedAt.UTC()) + `, ` + arg(k.ID) + `)`)
		} else {
			sb.WriteString(` AND (created_at, id) < (` + arg(k.CreatedAt.UTC()) + `, ` + arg(k.ID) + `)`)
		}
	}
	switch {
	case iq.ByImportance && iq.OrderID != "":
		// An order has a handful of notifications: found by notifications_order and sorted
		// (see above; "+ 0" keeps notifications_by_importance out of ORDER BY as well).
		sb.WriteString(` ORDER BY importance + 0 DESC, created_at DESC, id DESC`)
	case iq.ByImportance:
		sb.WriteString(` ORDER BY importance DESC, created_at DESC, id DESC`)
	default:
		sb.WriteString(` ORDER BY created_at DESC, id DESC`)
	}
	sb.WriteString(` LIMIT ` + arg(iq.Limit))
	return sb.String(), args
}

// InboxKeyOf is the sort key of n, for the cursor of the page n ends.
func InboxKeyOf(n model.Notification) InboxKey {
	return InboxKey{Importance: importanceRank[n.Importance], CreatedAt: n.CreatedAt, ID: n.ID}
}

// likeEscape escapes LIKE's wildcards (and the escape character) so a search is literal.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// UnreadCounts counts a person's unread notifications per category in one query (it reads only the
// partial index notifications_unread). Categories without unread rows are absent.
func (q *Queries) UnreadCounts(ctx context.Context, recipientID string) (map[string]int, error) {
	return queryCounts(ctx, q.q, "unread counts", `SELECT category, count(*) FROM notifications
		WHERE recipient_id = $1 AND read_at IS NULL GROUP BY category`, recipientID)
}

// UnreadCountsMany is UnreadCounts for several people at once, in one query per 500 of them (the
// realtime hub's counts for everyone one commit told). People without unread rows are absent.
func (q *Queries) UnreadCountsMany(ctx context.Context, recipientIDs []string) (map[string]map[string]int, error) {
	out := make(map[string]map[string]int, len(recipientIDs))
	for len(recipientIDs) > 0 {
		n := min(len(recipientIDs), 500)
		args, in := inList(nil, recipientIDs[:n])
		recipientIDs = recipientIDs[n:]
		err := queryEach(ctx, q.q, "unread counts of many", func(r rowScanner) error {
			var id, cat string
			var k int
			if err := r.Scan(&id, &cat, &k); err != nil {
				return err
			}
			if out[id] == nil {
				out[id] = map[string]int{}
			}
			out[id][cat] = k
			return nil
		}, `SELECT recipient_id, category, count(*) FROM notifications
			WHERE recipient_id IN `+in+` AND read_at IS NULL GROUP BY recipient_id, category`, args...)
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ReadSelector says which of a person's notifications to mark read: the listed ids, a whole
// category, or everything. Exactly one should be set; the API layer checks that.
type ReadSelector struct {
	IDs      []string
	Category string
	All      bool
}

// MarkRead marks the selected unread notifications of a person read at now and returns how many
// changed. Ids of other people's notifications, unknown ids and rows read already are ignored.
func (q *Queries) MarkRead(ctx context.Context, recipientID string, sel ReadSelector, now time.Time) (int64, error) {
	query := `UPDATE notifications SET read_at = $2 WHERE recipient_id = $1 AND read_at IS NULL`
	args := []any{recipientID, utc(now)}
	switch {
	case sel.All:
	case sel.Category != "":
		query += ` AND category = $3`
		args = append(args, sel.Category)
	case len(sel.IDs) > 0:
		ph := make([]string, len(sel.IDs))
		for i, id := range sel.IDs {
			args = append(args, id)
			ph[i] = "$" + strconv.Itoa(len(args))
		}
		query += ` AND id IN (` + strings.Join(ph, ",") + `)`
	default:
		return 0, nil
	}
	res, err := q.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, fmt.Errorf("store: mark read: %w", err)
	}
	return res.RowsAffected()
}

// SettingRetention is the settings key of the message center's retention per category (S5).
const SettingRetention = "retention_days"

// RetentionDays reads the operators' retention, DefaultRetention where unset.
func (q *Queries) RetentionDays(ctx context.Context) (model.Retention, error) {
	r := model.DefaultRetention()
	if _, err := q.Setting(ctx, SettingRetention, &r); err != nil {
		return model.DefaultRetention(), err
	}
	return r, nil
}

// InboxWithCampaignReader reads one page of a person's notifications (Inbox) and the campaign
// reader of the same person (CampaignReaderOf with defaultsKey and withOrders) together: the two
// reads of a message-center page while campaigns run. On PostgreSQL both statements go to one
// backend in one round trip (a pgx batch on one pooled connection), where two reads at once
// cost two round trips and wake two backends; on SQLite, in-process, they run at once on two
// connections of the read pool.
func (s *Store) InboxWithCampaignReader(ctx context.Context, iq InboxQuery, defaultsKey string, withOrders bool) ([]model.Notification, CampaignReader, error) {
	if s.dialect != Postgres {
		var r CampaignReader
		var rErr error
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, rErr = s.CampaignReaderOf(ctx, iq.RecipientID, defaultsKey, withOrders)
		}()
		rows, err := s.Inbox(ctx, iq)
		wg.Wait()
		if err == nil {
			err = rErr
		}
		return rows, r, err
	}
	inboxQuery, inboxArgs := inboxSQL(iq)
	readerQuery, each, r := campaignReaderSQL(Postgres, iq.RecipientID, withOrders)
	statements.Add(2)
	conn, err := s.r.Conn(ctx)
	if err != nil {
		return nil, CampaignReader{}, fmt.Errorf("store: inbox: %w", err)
	}
	defer conn.Close()
	rows := make([]model.Notification, 0, iq.Limit)
	err = conn.Raw(func(dc any) error {
		b := &pgx.Batch{}
		b.Queue(inboxQuery, inboxArgs...)
		b.Queue(readerQuery, iq.RecipientID, defaultsKey)
		br := dc.(*stdlib.Conn).Conn().SendBatch(ctx, b)
		err := batchEach(br, "inbox", func(row rowScanner) error {
			n, err := scanNotification(row)
			rows = append(rows, n)
			return err
		})
		if err == nil {
			err = batchEach(br, "campaign reader "+iq.RecipientID, each)
		}
		if cerr := br.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("store: inbox: %w", cerr)
		}
		return err
	})
	if err != nil {
		return nil, CampaignReader{}, err
	}
	return rows, *r, nil
}

// batchEach reads the next result of br row by row, as queryEach does.
func batchEach(br pgx.BatchResults, what string, each func(rowScanner) error) error {
	rows, err := br.Query()
	if err != nil {
		return fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	return eachRow(rows, what, each)
}
