package app_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/homebell/homebell/internal/app/apptest"
	"github.com/homebell/homebell/internal/auth"
	"github.com/homebell/homebell/internal/config"
	"github.com/homebell/homebell/internal/model"
	"github.com/homebell/homebell/internal/store"
	"github.com/homebell/homebell/internal/store/storetest"
)

// The acceptance story: a platform backend syncs a person with a service key, the person
// reads themself with a platform JWT, and bad credentials are refused — on both databases.
func TestFoundationWholeProgram(t *testing.T) {
	t.Parallel()
	storetest.Dialects(t, func(t *testing.T, dsn string) {
		s := apptest.Start(t, dsn, apptest.Options{})
		key := s.ServiceKey("crm")
		lin := map[string]any{"role": "customer", "name": "林晓", "avatar_url": "/avatars/c-lin.svg",
			"bio": "", "phone": "13800000001", "area": "浦东新区"}

		t.Run("platform creates then updates a person with a service key", func(t *testing.T) {
			r := s.Do("PUT", "/v1/people/c-lin", key, lin)
			if r.Status != http.StatusCreated || r.Str("id") != "c-lin" || r.Str("locale") != "zh-CN" || r.Str("time_zone") != "Asia/Shanghai" {
				t.Fatalf("%s\nwant 201 with defaults zh-CN, Asia/Shanghai", r)
			}
			created := r.Str("created_at")
			lin["name"], lin["locale"] = "林晓晓", "en"
			r = s.Do("PUT", "/v1/people/c-lin", key, lin)
			if r.Status != http.StatusOK || r.Str("name") != "林晓晓" || r.Str("locale") != "en" || r.Str("created_at") != created {
				t.Fatalf("%s\nwant 200 with the new name and locale and the first created_at %s", r, created)
			}
		})

		t.Run("GET /v1/me with the person's JWT", func(t *testing.T) {
			r := s.Do("GET", "/v1/me", s.Token("c-lin", model.RoleCustomer), nil)
			if r.Status != http.StatusOK {
				t.Fatal(r)
			}
			want := map[string]string{"id": "c-lin", "role": "customer", "name": "林晓晓", "avatar_url": "/avatars/c-lin.svg",
				"phone": "13800000001", "locale": "en", "time_zone": "Asia/Shanghai", "area": "浦东新区"}
			for k, v := range want {
				if r.Str(k) != v {
					t.Errorf("me.%s = %q, want %q", k, r.Str(k), v)
				}
			}
			if _, err := time.Parse(time.RFC3339Nano, r.Str("created_at")); err != nil {
				t.Errorf("created_at %q: %v", r.Str("created_at"), err)
			}
		})

		t.Run("bad credentials are 401 problems", func(t *testing.T) {
			otherSecret := []byte("not-the-platform-secret-0123456789abcdef")
			forged, _ := auth.Mint(otherSecret, "c-lin", model.RoleCustomer, time.Now(), time.Hour)
			none, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"sub": "c-lin", "role": "customer",
				"exp": time.Now().Add(time.Hour).Unix()}).SignedString(jwt.UnsafeAllowNoneSignatureType)
			if err != nil {
				t.Fatal(err)
			}
			expired, _ := auth.Mint([]byte(apptest.Secret), "c-lin", model.RoleCustomer, time.Now().Add(-2*time.Hour), time.Hour)
			unknown := s.Token("c-ghost", model.RoleCustomer)
			for name, auth := range map[string]string{
				"forged (wrong secret)": "Bearer " + forged,
				"alg none":              "Bearer " + none,
				"expired":               "Bearer " + expired,
				"person not synced":     "Bearer " + unknown,
				"service key unknown":   "Bearer hbk_0000000000000000_" + strings.Repeat("0", 64),
				"basic auth":            "Basic YWRtaW46YWRtaW4=",
				"none at all":           "",
			} {
				t.Run(name, func(t *testing.T) {
					h := http.Header{}
					if auth != "" {
						h.Set("Authorization", auth)
					}
					wantProblem(t, s.DoWith("GET", "/v1/me", "", nil, h), http.StatusUnauthorized, model.CodeUnauthenticated)
				})
			}
		})

		t.Run("a revoked service key stops working", func(t *testing.T) {
			k2 := s.ServiceKey("old backend")
			if r := s.Do("GET", "/v1/people/c-lin", k2, nil); r.Status != http.StatusOK {
				t.Fatal(r)
			}
			id, _, _ := auth.SplitServiceKey(k2)
			if err := s.Store.InTx(context.Background(), func(tx *store.Tx) error {
				return tx.RevokeServiceKey(context.Background(), id, time.Now())
			}); err != nil {
				t.Fatal(err)
			}
			wantProblem(t, s.Do("GET", "/v1/people/c-lin", k2, nil), http.StatusUnauthorized, model.CodeUnauthenticated)
		})

		t.Run("roles are enforced with 403", func(t *testing.T) {
			// A token claiming a role the person does not have.
			wantProblem(t, s.Do("GET", "/v1/me", s.Token("c-lin", model.RoleWorker), nil), http.StatusForbidden, model.CodeForbidden)
			// Only platform backends sync people.
			customer := s.Token("c-lin", model.RoleCustomer)
			wantProblem(t, s.Do("PUT", "/v1/people/c-other", customer, map[string]any{"role": "customer", "name": "x"}),
				http.StatusForbidden, model.CodeForbidden)
			wantProblem(t, s.Do("GET", "/v1/people", customer, nil), http.StatusForbidden, model.CodeForbidden)
			if _, err := s.Store.Person(context.Background(), "c-other"); !model.IsCode(err, model.CodeNotFound) {
				t.Errorf("the refused PUT stored a person: %v", err)
			}
		})

		t.Run("others see a card without the phone number", func(t *testing.T) {
			worker := s.AddPerson(model.Person{ID: "w-wang", Role: model.RoleWorker, Name: "王阿姨", Phone: "13900000001"})
			r := s.Do("GET", "/v1/people/c-lin", worker, nil)
			if r.Status != http.StatusOK || r.Str("name") != "林晓晓" {
				t.Fatal(r)
			}
			if strings.Contains(string(r.Body), "13800000001") {
				t.Errorf("a worker sees the customer's phone: %s", r.Body)
			}
			if r := s.Do("GET", "/v1/people/c-lin", key, nil); r.Str("phone") != "13800000001" {
				t.Errorf("the platform does not see the phone: %s", r)
			}
		})

		t.Run("lists are pages {items, next_cursor}", func(t *testing.T) {
			var ids []string
			cursor := ""
			for range 5 {
				r := s.Do("GET", "/v1/people?limit=1&cursor="+cursor, key, nil)
				if r.Status != http.StatusOK {
					t.Fatal(r)
				}
				for _, it := range r.Items() {
					ids = append(ids, it["id"].(string))
				}
				if _, ok := r.JSON["next_cursor"]; !ok {
					t.Fatalf("no next_cursor member: %s", r)
				}
				if cursor = r.Str("next_cursor"); cursor == "" {
					break
				}
			}
			if strings.Join(ids, ",") != "c-lin,w-wang" {
				t.Errorf("paged through %v, want [c-lin w-wang]", ids)
			}
			wantProblem(t, s.Do("GET", "/v1/people?limit=0", key, nil), http.StatusBadRequest, model.CodeInvalid)
		})

		t.Run("bad bodies are refused", func(t *testing.T) {
			r := s.Do("PUT", "/v1/people/c-2", key, `{"role":"customer","name":"x","nickname":"y"}`)
			wantProblem(t, r, http.StatusBadRequest, model.CodeInvalid)
			if errs, _ := r.JSON["errors"].([]any); len(errs) != 1 || errs[0].(map[string]any)["field"] != "nickname" {
				t.Errorf("errors = %v, want one naming the field nickname", r.JSON["errors"])
			}
			r = s.Do("PUT", "/v1/people/c-2", key, map[string]any{"role": "boss", "name": ""})
			wantProblem(t, r, http.StatusBadRequest, model.CodeInvalid)
			fields := map[string]bool{}
			for _, e := range r.JSON["errors"].([]any) {
				fields[e.(map[string]any)["field"].(string)] = true
			}
			if !fields["role"] || !fields["name"] {
				t.Errorf("validation errors name %v, want role and name", fields)
			}
			wantProblem(t, s.Do("PUT", "/v1/people/c-2", key, `{"role":`), http.StatusBadRequest, model.CodeInvalid)
			wantProblem(t, s.Do("PUT", "/v1/people/c-2", key, `{"role":"customer","name":"x"} {}`), http.StatusBadRequest, model.CodeInvalid)

			big := `{"role":"customer","name":"x","bio":"` + strings.Repeat("a", int(config.Default().MaxBodyBytes)) + `"}`
			wantProblem(t, s.Do("PUT", "/v1/people/c-2", key, big), http.StatusRequestEntityTooLarge, model.CodeTooLarge)

			h := http.Header{"Content-Type": {"text/plain"}}
			wantProblem(t, s.DoWith("PUT", "/v1/people/c-2", key, `{"role":"customer","name":"x"}`, h),
				http.StatusUnsupportedMediaType, model.CodeUnsupportedMedia)
			if _, err := s.Store.Person(context.Background(), "c-2"); !model.IsCode(err, model.CodeNotFound) {
				t.Errorf("a refused body stored a person: %v", err)
			}
		})

		t.Run("unknown API paths are 404 problems, the web app is served", func(t *testing.T) {
			wantProblem(t, s.Do("GET", "/v1/no-such-thing", key, nil), http.StatusNotFound, model.CodeNotFound)
			wantProblem(t, s.Do("GET", "/v1/people/nobody", key, nil), http.StatusNotFound, model.CodeNotFound)
			r := s.Do("GET", "/", "", nil)
			if r.Status != http.StatusOK || !strings.Contains(r.Header.Get("Content-Type"), "text/html") {
				t.Errorf("web app: %d %s", r.Status, r.Header.Get("Content-Type"))
			}
		})

		t.Run("health, readiness, metrics and the API description", func(t *testing.T) {
			if r := s.Do("GET", "/healthz", "", nil); r.Status != http.StatusOK || r.Str("status") != "ok" {
				t.Error(r)
			}
			if r := s.Do("GET", "/readyz", "", nil); r.Status != http.StatusOK || r.Str("status") != "ready" {
				t.Error(r)
			}
			r := s.Do("GET", "/openapi.yaml", "", nil)
			if r.Status != http.StatusOK || !strings.HasPrefix(string(r.Body), "openapi: 3") {
				t.Errorf("openapi.yaml: %d %.40q", r.Status, r.Body)
			}
			r = s.Do("GET", "/metrics", "", nil)
			// The first PUT of c-lin was the only 201 on this node.
			want := `homebell_http_requests_total{route="PUT /v1/people/{id}",status="201"} 1`
			if r.Status != http.StatusOK || !strings.Contains(string(r.Body), want) {
				t.Errorf("metrics lack %s:\n%.2000s", want, r.Body)
			}
			if !strings.Contains(string(r.Body), `homebell_http_requests_total{route="GET /v1/me",status="401"}`) {
				t.Error("metrics do not count refused requests")
			}
		})
	})
}

// The store becomes unreachable: /readyz says so, /healthz still answers.
func TestReadyzFailsWhenTheDatabaseIsGone(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, storetest.SQLitePath(t), apptest.Options{})
	if err := s.Store.Close(); err != nil {
		t.Fatal(err)
	}
	wantProblem(t, s.Do("GET", "/readyz", "", nil), http.StatusServiceUnavailable, model.CodeUnavailable)
	if r := s.Do("GET", "/healthz", "", nil); r.Status != http.StatusOK {
		t.Error(r)
	}
}

// The demo: seeded catalogue and people, and a sign-in that returns a working token.
func TestDemoSignIn(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, storetest.SQLitePath(t), apptest.Options{Demo: true})
	r := s.Do("GET", "/v1/demo/people", "", nil)
	roles := map[string]int{}
	for _, p := range r.Items() {
		roles[p["role"].(string)]++
		if _, ok := p["phone"]; ok {
			t.Errorf("the demo list shows a phone number: %v", p)
		}
	}
	if r.Status != http.StatusOK || roles["customer"] != 2 || roles["worker"] != 3 || roles["agent"] != 1 || roles["operator"] != 1 {
		t.Fatalf("demo people by role %v, want 2 customers, 3 workers, an agent and an operator (%s)", roles, r)
	}
	r = s.Do("POST", "/v1/demo/sign-in", "", map[string]string{"person_id": "w-wang"})
	if r.Status != http.StatusOK || r.Str("token") == "" {
		t.Fatal(r)
	}
	me := s.Do("GET", "/v1/me", r.Str("token"), nil)
	if me.Status != http.StatusOK || me.Str("id") != "w-wang" || me.Str("role") != "worker" || me.Str("bio") == "" {
		t.Errorf("signed in as w-wang: %s", me)
	}
	cat := s.Do("GET", "/v1/service-items", r.Str("token"), nil)
	if cat.Status != http.StatusOK || len(cat.Items()) < 6 {
		t.Errorf("demo catalogue: %s", cat)
	}

	// Outside demo mode the sign-in does not exist.
	plain := apptest.Start(t, storetest.SQLitePath(t), apptest.Options{})
	wantProblem(t, plain.Do("POST", "/v1/demo/sign-in", "", map[string]string{"person_id": "w-wang"}), http.StatusNotFound, model.CodeNotFound)
	wantProblem(t, plain.Do("GET", "/v1/demo/people", "", nil), http.StatusNotFound, model.CodeNotFound)
}

// Shutdown (SIGTERM cancels the context): a request in flight completes, new connections are
// refused, and Serve returns nil.
func TestGracefulShutdownFinishesInFlightRequests(t *testing.T) {
	s := apptest.Start(t, storetest.SQLitePath(t), apptest.Options{})
	key := s.ServiceKey("crm")
	body := `{"role":"customer","name":"慢慢"}`

	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Expect: 100-continue makes the server say when the handler starts reading the body: from then
	// on the request is in flight, and we hold its body back until shutdown has begun.
	fmt.Fprintf(conn, "PUT /v1/people/c-slow HTTP/1.1\r\nHost: homebell\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: %d\r\nExpect: 100-continue\r\n\r\n", key, len(body))
	br := bufio.NewReader(conn)
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	cont, err := http.ReadResponse(br, nil)
	if err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("want 100 Continue, got %v %v", cont, err)
	}

	stopped := make(chan error, 1)
	start := time.Now()
	go func() { stopped <- s.Stop() }()

	// New connections are refused once shutdown has begun…
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", s.Addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts connections during shutdown")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// …while Serve waits for the request in flight.
	select {
	case err := <-stopped:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	case <-time.After(200 * time.Millisecond):
	}

	if _, err := conn.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the in-flight request was cut off: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Errorf("in-flight PUT answered %d, want 201", res.StatusCode)
	}
	select {
	case err := <-stopped:
		if err != nil {
			t.Errorf("Serve returned %v, want nil", err)
		}
	case <-time.After(s.App.Cfg.ShutdownTimeout):
		t.Fatal("Serve did not return within the shutdown timeout after the last request finished")
	}
	t.Logf("shutdown took %v", time.Since(start))
	if _, err := s.Store.Person(context.Background(), "c-slow"); err != nil {
		t.Errorf("the in-flight request's person is not stored: %v", err)
	}
}

// A request that never finishes does not hold shutdown past the configured timeout.
func TestShutdownTimeoutCutsOffStuckRequests(t *testing.T) {
	const timeout = 500 * time.Millisecond
	s := apptest.Start(t, storetest.SQLitePath(t), apptest.Options{Config: func(c *config.Config) { c.ShutdownTimeout = timeout }})
	key := s.ServiceKey("crm")
	conn, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /v1/people/c-stuck HTTP/1.1\r\nHost: homebell\r\nAuthorization: Bearer %s\r\n"+
		"Content-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n", key)
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	if cont, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil || cont.StatusCode != http.StatusContinue {
		t.Fatalf("want 100 Continue, got %v %v", cont, err)
	}
	start := time.Now()
	err = s.Stop()
	took := time.Since(start)
	if err != nil {
		t.Errorf("Serve returned %v, want nil", err)
	}
	if took < timeout-50*time.Millisecond || took > timeout+3*time.Second {
		t.Errorf("shutdown took %v with a stuck request, want about the %v timeout", took, timeout)
	}
}

// A method a path does not take is 405 with Allow; a path that does not exist is 404.
func TestUnsupportedMethodIs405WithAllow(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, storetest.SQLitePath(t), apptest.Options{})
	tok := s.AddPerson(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
	r := s.Do("DELETE", "/v1/me", tok, nil)
	wantProblem(t, r, 405, model.CodeMethodNotAllowed)
	if got := r.Header.Get("Allow"); got != "GET, PATCH" {
		t.Errorf("Allow = %q, want GET, PATCH", got)
	}
	wantProblem(t, s.Do("GET", "/v1/no-such-thing", tok, nil), 404, model.CodeNotFound)
}

// X2: a Web Push subscription may name only a known push service, so nobody can make the server
// POST to an address of their choosing.
func TestX2PushSubscriptionOnlyToKnownPushServices(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, storetest.SQLitePath(t), apptest.Options{Config: func(c *config.Config) {
		c.PushHosts = config.Default().PushHosts
	}})
	tok := s.AddPerson(model.Person{ID: "c-1", Role: model.RoleCustomer, Name: "林晓"})
	keys := map[string]string{ // a valid P-256 point and 16-byte secret (RFC 8291 appendix A)
		"p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
		"auth":   "BTBZMqHH6r4Tts7J_aSIgg"}
	for _, endpoint := range []string{"http://127.0.0.1:9/push", "https://10.0.0.1/push", "https://evil.example/push",
		"https://fcm.googleapis.com.evil.example/x"} {
		wantProblem(t, s.Do("POST", "/v1/me/push-subscriptions", tok, map[string]any{"endpoint": endpoint, "keys": keys}), 400, model.CodeInvalid)
	}
	if r := s.Do("POST", "/v1/me/push-subscriptions", tok, map[string]any{
		"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": keys}); r.Status != 201 {
		t.Fatalf("FCM subscription: %s", r)
	}
}
