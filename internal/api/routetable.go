package api

import "github.com/homebell/homebell/internal/model"

// RouteInfo is one line of the route table as a test outside the package sees it: the pattern
// and the roles it admits (nil = public).
type RouteInfo struct {
	Pattern string
	Roles   []model.Role
}

// RouteTable lists every route homebell serves, so that tests can check each of them (the
// permission matrix in internal/app fails on a route it has no entry for).
func RouteTable() []RouteInfo {
	var out []RouteInfo
	for _, rt := range (&API{}).routes() {
		out = append(out, RouteInfo{Pattern: rt.Pattern, Roles: rt.Roles})
	}
	return out
}
