package model

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Conversation kinds: one model for every interaction (DESIGN.md "Conversations").
const (
	ConversationOrder    = "order"    // customer ↔ the order's current worker (I1)
	ConversationSupport  = "support"  // customer ↔ customer-service agents (I3)
	ConversationFeedback = "feedback" // a person ↔ operators about their feedback (I4)
)

// ValidConversationKind reports whether k is a known kind.
func ValidConversationKind(k string) bool {
	return k == ConversationOrder || k == ConversationSupport || k == ConversationFeedback
}

// Conversation is a thread of messages between its members. Seq is the number of the newest
// message (messages are numbered 1, 2, … per conversation).
type Conversation struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	OrderID string `json:"order_id,omitempty"`
	// Subject is a short label a kind may set (a support topic); order chats leave it empty.
	Subject       string     `json:"subject,omitempty"`
	LastSeq       int64      `json:"last_seq"`
	LastMessageAt *time.Time `json:"last_message_at"`
	// LastText is the newest message's visible (masked) text, "" for an image-only message.
	LastText     string `json:"last_text"`
	LastSenderID string `json:"last_sender_id,omitempty"`
	// ClosedAt, when set, ends writing at that instant (a resolved support chat). Order chats
	// close by the operators' policy instead (see chat).
	ClosedAt  *time.Time `json:"closed_at"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// Member is one person's place in a conversation: their role there, how far they have read,
// whether they muted it, and whether they still belong (LeftAt nil).
type Member struct {
	ConversationID string     `json:"conversation_id"`
	PersonID       string     `json:"person_id"`
	Role           Role       `json:"role"`
	LastReadSeq    int64      `json:"last_read_seq"`
	ReadAt         *time.Time `json:"read_at"`
	Muted          bool       `json:"muted"`
	JoinedAt       time.Time  `json:"joined_at"`
	LeftAt         *time.Time `json:"left_at,omitempty"`
}

// Active reports whether the member still belongs to the conversation.
func (m Member) Active() bool { return m.LeftAt == nil }

// SenderSystem is the sender role of a message the platform itself adds to a conversation (an
// automatic reply, "transferred to …"); such a message has no sender id.
const SenderSystem Role = "system"

// MaxMessageRunes is the longest message text, in characters.
const MaxMessageRunes = 2000

// MaxMessageImages is how many images one message may carry.
const MaxMessageImages = 9

// Message is one message of a conversation. Text is what members see: masked (X5) when the
// sender typed contact details. Original is the text as typed, kept only when masking changed
// it, and shown only to operators (each look is audited).
type Message struct {
	ID             string    `json:"id"`
	ConversationID string    `json:"conversation_id"`
	Seq            int64     `json:"seq"`
	SenderID       string    `json:"sender_id"`
	SenderRole     Role      `json:"sender_role"`
	ClientID       string    `json:"client_id"`
	Text           string    `json:"text"`
	Masked         []string  `json:"masked,omitempty"` // what masking hid: phone, wechat, qq, email
	Original       string    `json:"original,omitempty"`
	FileIDs        []string  `json:"file_ids"`
	CreatedAt      time.Time `json:"created_at"`
}

// ValidateMessage checks a message as sent: a client id, text of at most MaxMessageRunes
// characters and/or up to MaxMessageImages file ids.
func ValidateMessage(clientID, text string, fileIDs []string) error {
	var v Validator
	v.Check(ValidID(clientID), "client_id", "is required: 1-64 letters, digits or _.:@- chosen by the client (a retry sends the same)")
	v.Check(utf8.ValidString(text), "text", "must be UTF-8")
	v.Check(utf8.RuneCountInString(text) <= MaxMessageRunes, "text", "at most 2000 characters")
	v.Check(strings.TrimSpace(text) != "" || len(fileIDs) > 0, "text", "send text, images, or both")
	v.Check(len(fileIDs) <= MaxMessageImages, "file_ids", "at most 9 images")
	for _, id := range fileIDs {
		if !ValidID(id) {
			v.Check(false, "file_ids", "each is a file id from POST /v1/files")
			break
		}
	}
	return v.Err()
}

// Event types of conversations in a person's event log (X1).
const (
	EventMessage     = "conversation.message" // a new message in one of the person's conversations
	EventReadReceipt = "conversation.read"    // a member read up to a seq
	EventTyping      = "conversation.typing"  // a member is typing (short-lived)
)
