// Package config is homebell's one configuration struct. Every flag is also a HOMEBELL_*
// environment variable (flags win); there are no globals.
package config

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is everything homebell can be told at start.
type Config struct {
	Addr            string        // listen address
	DB              string        // SQLite path, or postgres://… for PostgreSQL
	NATS            string        // nats://… to fan realtime wake-ups across nodes; empty = in-process
	NATSPrefix      string        // subject prefix, so several deployments (or test runs) share one NATS
	JWTSecret       string        // HS256 shared secret for platform-issued tokens
	JWTPublicKey    string        // path to a PEM Ed25519 or RSA public key (EdDSA / RS256 tokens)
	BaseURL         string        // public URL of this server (links in notifications, VAPID subject)
	VAPIDSubject    string        // mailto: or https: contact for Web Push
	PushHosts       string        // comma-separated push-service hosts (and their subdomains) subscriptions may name; "*" = any
	MaxBodyBytes    int64         // JSON request bodies larger than this are refused
	MaxUploadBytes  int64         // image uploads larger than this are refused
	MaxImagePixels  int64         // images with more pixels (width × height) are refused before decoding
	FilesDir        string        // where uploaded images are stored; empty = "files" next to the SQLite file, or ./files
	ShutdownTimeout time.Duration // grace period for in-flight requests on SIGTERM
	Demo            bool          // seed demo data and allow the development sign-in
	LogLevel        string        // debug, info, warn, error
	// MetricsAddr, when set, serves /metrics on a listener of its own (e.g. 127.0.0.1:9090 or an
	// internal interface) instead of the public one; MetricsToken, when set, makes /metrics
	// answer only "Authorization: Bearer <token>" wherever it is served.
	MetricsAddr  string
	MetricsToken string
	// Dev allows serving without --jwt-secret or --jwt-public-key, with a development secret kept
	// in the database (which `homebell token` can mint with). Never in production.
	Dev bool
	// Node names this node for job claims (default: the host name); give each node of a shared
	// PostgreSQL its own when several run on one host.
	Node string
	// MaxTokenLifetime is the longest a user token may live (exp − iat, and exp − now).
	MaxTokenLifetime time.Duration
	// Rate limits per person (token buckets, per node): creating requests, and the stricter class
	// of requests that notify other people. Per minute, with a burst; 0 turns a class off.
	RateCreatePerMinute int64
	RateCreateBurst     int64
	RateNotifyPerMinute int64
	RateNotifyBurst     int64
	// WebhookAllowPrivate lists CIDRs webhook endpoints may reach although they are private,
	// loopback or link-local (a gateway on the platform's own network; tests). Empty: none.
	WebhookAllowPrivate string
	// WeChat mini-program subscribe messages (Y3): the platform's mini-program app id and secret
	// (both, or neither: no WeChat channel), WeChat's API base URL (a stand-in in tests), and the
	// mini-program version a tap opens (formal, trial or developer).
	WeChatAppID  string
	WeChatSecret string
	WeChatAPI    string
	WeChatState  string
	// GCFloorMiB is the heap floor in MiB (internal/gcfloor): while the live heap is small, the
	// garbage collector lets the heap grow to this before it collects, instead of to twice the
	// live heap. 0 leaves GOGC as the runtime has it; so does GOGC or GOMEMLIMIT in the environment.
	GCFloorMiB int64
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		Addr:         ":8080",
		DB:           "homebell.db",
		NATSPrefix:   "homebell",
		BaseURL:      "http://localhost:8080",
		VAPIDSubject: "mailto:ops@homebell.invalid",
		// The push services of Chrome/Edge (FCM), Firefox, Windows and Safari. A subscription
		// naming any other host is refused, so a signed-in person cannot make the server POST to
		// an address of their choosing.
		PushHosts:           "fcm.googleapis.com,push.services.mozilla.com,notify.windows.com,push.apple.com",
		MaxBodyBytes:        1 << 20,
		MaxUploadBytes:      10 << 20,
		MaxImagePixels:      40_000_000,
		ShutdownTimeout:     15 * time.Second,
		LogLevel:            "info",
		MaxTokenLifetime:    24 * time.Hour,
		RateCreatePerMinute: 60,
		RateCreateBurst:     30,
		RateNotifyPerMinute: 10,
		RateNotifyBurst:     5,
		WeChatAPI:           "https://api.weixin.qq.com",
		WeChatState:         "formal",
		GCFloorMiB:          64,
	}
}

// FlagSet binds c's fields to flags of fs, each defaulting to the matching HOMEBELL_* variable of
// env when set. Call fs.Parse afterwards.
func (c *Config) FlagSet(fs *flag.FlagSet, env func(string) string) {
	str := func(p *string, name, usage string) {
		if v := env(envName(name)); v != "" {
			*p = v
		}
		fs.StringVar(p, name, *p, usage+" (env "+envName(name)+")")
	}
	str(&c.Addr, "addr", "listen address")
	str(&c.DB, "db", "SQLite file path, or a postgres:// URL")
	str(&c.NATS, "nats", "NATS URL for cross-node realtime fan-out (empty: in-process only)")
	str(&c.NATSPrefix, "nats-prefix", "NATS subject prefix")
	str(&c.JWTSecret, "jwt-secret", "HS256 secret shared with the platform that issues user tokens")
	str(&c.JWTPublicKey, "jwt-public-key", "PEM file with the Ed25519 or RSA public key of the token issuer")
	str(&c.BaseURL, "base-url", "public base URL of this server")
	str(&c.VAPIDSubject, "vapid-subject", "contact (mailto: or https:) sent to Web Push services")
	str(&c.PushHosts, "push-hosts", `push-service hosts subscriptions may name, comma-separated (subdomains included); "*" = any`)
	str(&c.LogLevel, "log-level", "debug, info, warn or error")
	str(&c.MetricsAddr, "metrics-addr", "serve /metrics on this address only, not on --addr (empty: on --addr)")
	str(&c.MetricsToken, "metrics-token", "bearer token /metrics requires (empty: none)")
	str(&c.FilesDir, "files-dir", `directory of uploaded images (default: "files" beside the SQLite file, or ./files with PostgreSQL)`)
	str(&c.Node, "node", "name of this node for job claims (default: the host name)")
	str(&c.WebhookAllowPrivate, "webhook-allow-private", "CIDRs webhook endpoints may reach although private or loopback, comma-separated")
	str(&c.WeChatAppID, "wechat-app-id", "app id of the platform's WeChat mini-program (with --wechat-secret: WeChat subscribe messages)")
	str(&c.WeChatSecret, "wechat-secret", "app secret of the WeChat mini-program")
	str(&c.WeChatAPI, "wechat-api", "base URL of WeChat's API")
	str(&c.WeChatState, "wechat-state", "mini-program version a WeChat message opens: formal, trial or developer")
	boolVar(fs, env, &c.Dev, "dev", "development: serve without a JWT secret or public key, using one kept in the database")
	durationVar(fs, env, &c.MaxTokenLifetime, "max-token-lifetime", "longest lifetime a user token may have")
	int64Var(fs, env, &c.RateCreatePerMinute, "rate-create", "creating requests per person per minute (0: no limit)")
	int64Var(fs, env, &c.RateCreateBurst, "rate-create-burst", "burst of creating requests per person")
	int64Var(fs, env, &c.RateNotifyPerMinute, "rate-notify", "requests that notify others (changes, cancellations, messages, uploads, feedback) per person per minute (0: no limit)")
	int64Var(fs, env, &c.RateNotifyBurst, "rate-notify-burst", "burst of requests that notify others per person")
	int64Var(fs, env, &c.MaxBodyBytes, "max-body-bytes", "largest JSON request body")
	int64Var(fs, env, &c.MaxUploadBytes, "max-upload-bytes", "largest image upload")
	int64Var(fs, env, &c.MaxImagePixels, "max-image-pixels", "largest image, in pixels (width × height)")
	int64Var(fs, env, &c.GCFloorMiB, "gc-floor-mib", "heap floor in MiB: while the live heap is small, collect garbage only when the heap reaches this (0: GOGC as the runtime has it; GOGC or GOMEMLIMIT in the environment also turn it off)")
	if v := env(envName("shutdown-timeout")); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			c.ShutdownTimeout = d
		}
	}
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", c.ShutdownTimeout, "grace period on shutdown (env HOMEBELL_SHUTDOWN_TIMEOUT)")
}

func boolVar(fs *flag.FlagSet, env func(string) string, p *bool, name, usage string) {
	if v := env(envName(name)); v != "" {
		*p = v == "1" || strings.EqualFold(v, "true") || strings.EqualFold(v, "yes")
	}
	fs.BoolVar(p, name, *p, usage+" (env "+envName(name)+")")
}

func durationVar(fs *flag.FlagSet, env func(string) string, p *time.Duration, name, usage string) {
	if v := env(envName(name)); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			*p = d
		}
	}
	fs.DurationVar(p, name, *p, usage+" (env "+envName(name)+")")
}

func int64Var(fs *flag.FlagSet, env func(string) string, p *int64, name, usage string) {
	if v := env(envName(name)); v != "" {
		var n int64
		if _, err := fmt.Sscan(v, &n); err == nil {
			*p = n
		}
	}
	fs.Int64Var(p, name, *p, usage+" (env "+envName(name)+")")
}

func envName(flagName string) string {
	return "HOMEBELL_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Parse reads args (without the command name) into a Config that starts from Default.
func Parse(name string, args []string, env func(string) string, stderr io.Writer) (Config, *flag.FlagSet, error) {
	c := Default()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.FlagSet(fs, env)
	if err := fs.Parse(args); err != nil {
		return c, fs, err
	}
	return c, fs, c.Validate()
}

// Validate reports settings that cannot work.
func (c Config) Validate() error {
	if c.Addr == "" {
		return fmt.Errorf("config: addr is empty")
	}
	if c.DB == "" {
		return fmt.Errorf("config: db is empty")
	}
	if c.MetricsAddr != "" && c.MetricsAddr == c.Addr && !strings.HasSuffix(c.Addr, ":0") {
		return fmt.Errorf("config: metrics-addr must differ from addr")
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("config: max-body-bytes must be at least 1024")
	}
	if c.MaxUploadBytes < 1024 {
		return fmt.Errorf("config: max-upload-bytes must be at least 1024")
	}
	if c.MaxImagePixels < 1 {
		return fmt.Errorf("config: max-image-pixels must be positive")
	}
	if c.MaxTokenLifetime < time.Minute {
		return fmt.Errorf("config: max-token-lifetime must be at least a minute")
	}
	if c.RateCreatePerMinute < 0 || c.RateNotifyPerMinute < 0 || c.RateCreateBurst < 0 || c.RateNotifyBurst < 0 {
		return fmt.Errorf("config: rate limits cannot be negative")
	}
	if c.GCFloorMiB < 0 || c.GCFloorMiB > 1<<20 {
		return fmt.Errorf("config: gc-floor-mib must be between 0 and 1048576")
	}
	if _, err := c.WebhookAllowedNets(); err != nil {
		return err
	}
	if (c.WeChatAppID == "") != (c.WeChatSecret == "") {
		return fmt.Errorf("config: wechat-app-id and wechat-secret go together")
	}
	switch c.WeChatState {
	case "formal", "trial", "developer":
	default:
		return fmt.Errorf("config: wechat-state must be formal, trial or developer")
	}
	if u, err := url.Parse(c.WeChatAPI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("config: wechat-api must be an http(s) URL")
	}
	if c.JWTPublicKey != "" {
		if _, err := os.Stat(c.JWTPublicKey); err != nil {
			return fmt.Errorf("config: jwt-public-key: %w", err)
		}
	}
	return nil
}

// FilesDirectory is where uploaded images live: FilesDir when set, else "files" beside the SQLite
// database, else ./files (PostgreSQL: every node needs the same directory, e.g. a shared volume).
func (c Config) FilesDirectory() string {
	if c.FilesDir != "" {
		return c.FilesDir
	}
	if strings.HasPrefix(c.DB, "postgres://") || strings.HasPrefix(c.DB, "postgresql://") {
		return "files"
	}
	path := strings.TrimPrefix(strings.TrimPrefix(c.DB, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path = path[:i]
	}
	return filepath.Join(filepath.Dir(path), "files")
}

// PushHostAllowed reports whether a Web Push subscription may name host (see PushHosts).
func (c Config) PushHostAllowed(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, h := range strings.Split(c.PushHosts, ",") {
		h = strings.ToLower(strings.TrimSpace(h))
		if h == "*" || (h != "" && (host == h || strings.HasSuffix(host, "."+h))) {
			return true
		}
	}
	return false
}

// WebhookAllowedNets parses WebhookAllowPrivate.
func (c Config) WebhookAllowedNets() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(c.WebhookAllowPrivate, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			if a, aerr := netip.ParseAddr(f); aerr == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				return nil, fmt.Errorf("config: webhook-allow-private: %q is not a CIDR", f)
			}
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
