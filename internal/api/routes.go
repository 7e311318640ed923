package api

// routes is the one route table of homebell. Every route names the roles it admits (nil = public);
// the OpenAPI document must list exactly these routes (routes_test.go checks it).
func (a *API) routes() []route {
	return []route{
		// Health, metrics and the API description.
		{Pattern: "GET /healthz", Handler: a.healthz},
		{Pattern: "GET /readyz", Handler: a.readyz},
		{Pattern: "GET /openapi.yaml", Handler: a.openapi},

		// People and the catalogue: the platform syncs them with a service key.
		{Pattern: "GET /v1/me", Roles: people, Handler: a.getMe},
		{Pattern: "PATCH /v1/me", Roles: people, Handler: a.patchMe},
		{Pattern: "PUT /v1/people/{id}", Roles: platform, Handler: a.putPerson},
		{Pattern: "GET /v1/people/{id}", Roles: anyone, Handler: a.getPerson},
		{Pattern: "GET /v1/people", Roles: operators, Handler: a.listPeople},
		{Pattern: "GET /v1/service-items", Roles: anyone, Handler: a.listServiceItems},
		{Pattern: "GET /v1/service-items/{id}", Roles: anyone, Handler: a.getServiceItem},
		{Pattern: "PUT /v1/service-items/{id}", Roles: operators, Handler: a.putServiceItem},

		// Development sign-in, only in demo mode.
		{Pattern: "GET /v1/demo/people", Handler: a.demoPeople},
		{Pattern: "POST /v1/demo/sign-in", Handler: a.demoSignIn},

		{Pattern: "/v1/", Handler: a.notFoundRoute},
	}
}
