package web

import (
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"strongroom/audit"
	"strongroom/policy"
	"strongroom/vfs"
	"strongroom/vfs/meta"
)

// userJSON is a user as an administrator reads it. It never carries the
// password hash.
type userJSON struct {
	Name       string      `json:"name"`
	Tenant     string      `json:"tenant,omitempty"`
	Home       string      `json:"home,omitempty"`
	Admin      bool        `json:"admin"`
	Disabled   bool        `json:"disabled"`
	QuotaBytes int64       `json:"quota_bytes"`
	UsedBytes  int64       `json:"used_bytes"`
	Created    time.Time   `json:"created"`
	Groups     []string    `json:"groups,omitempty"`
	Grants     []grantJSON `json:"grants,omitempty"`
}

func toUserJSON(u *policy.User) userJSON {
	return userJSON{Name: u.Name, Admin: u.Admin, Disabled: u.Disabled, QuotaBytes: u.QuotaBytes,
		UsedBytes: u.UsedBytes, Created: u.Created.UTC()}
}

type grantJSON struct {
	Path    string   `json:"path"`
	Subject string   `json:"subject"`
	Actions []string `json:"actions"`
}

func (h *Handler) apiUsers(w http.ResponseWriter, r *http.Request, c *caller) error {
	a, err := h.admin(r, c)
	if err != nil {
		return err
	}
	us, err := a.Users(r.Context())
	if err != nil {
		return err
	}
	out := make([]userJSON, len(us))
	for i, u := range us {
		out[i] = toUserJSON(u)
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

func (h *Handler) apiUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	a, err := h.admin(r, c)
	if err != nil {
		return err
	}
	d, err := a.User(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	u := toUserJSON(d.User)
	u.Tenant, u.Home, u.Groups = d.Tenant, d.Home, d.Groups
	for _, g := range d.Grants {
		u.Grants = append(u.Grants, grantJSON{Path: g.Path, Subject: g.Subject, Actions: actionList(g.Actions)})
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// addUserRequest is the body that creates a user. A tenant administrator
// may leave Tenant empty: the user goes into the administrator's tenant.
type addUserRequest struct {
	Name       string `json:"name"`
	Password   string `json:"password"`
	Tenant     string `json:"tenant"`
	Home       string `json:"home"`
	Admin      bool   `json:"admin"`
	QuotaBytes int64  `json:"quota_bytes"`
}

func (h *Handler) apiAddUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req addUserRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	u, err := h.addUser(r, c, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, toUserJSON(u))
	return nil
}

// addUser creates a user for the API and the users page alike.
func (h *Handler) addUser(r *http.Request, c *caller, req addUserRequest) (*policy.User, error) {
	a, err := h.admin(r, c)
	if err != nil {
		return nil, err
	}
	if req.Tenant == "" {
		req.Tenant = h.tenantOf(r, a, c)
	}
	return a.AddUser(r.Context(), req.Name, vfs.UserOptions{
		Tenant: req.Tenant, Password: req.Password, Home: req.Home, Admin: req.Admin, QuotaBytes: req.QuotaBytes,
	})
}

// tenantOf is the name of the caller's tenant, or "" for portal staff.
func (h *Handler) tenantOf(r *http.Request, a *vfs.Admin, c *caller) string {
	if c.vfs.User().TenantID == 0 {
		return ""
	}
	d, err := a.User(r.Context(), c.vfs.User().Name)
	if err != nil {
		return ""
	}
	return d.Tenant
}

func (h *Handler) apiSetDisabled(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req struct {
		Disabled bool `json:"disabled"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	a, err := h.admin(r, c)
	if err != nil {
		return err
	}
	if err := a.SetDisabled(r.Context(), r.PathValue("name"), req.Disabled); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) apiSetPassword(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	a, err := h.admin(r, c)
	if err != nil {
		return err
	}
	if err := a.SetPassword(r.Context(), r.PathValue("name"), req.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiNewToken makes an app token for a user and returns its secret, shown
// this once.
func (h *Handler) apiNewToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req struct {
		Label string `json:"label"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	a, err := h.admin(r, c)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	tok, err := a.NewAppToken(r.Context(), name, req.Label)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"user": name, "token": tok})
	return nil
}

// apiTokens lists a user's app tokens, without their secrets.
func (h *Handler) apiTokens(w http.ResponseWriter, r *http.Request, c *caller) error {
	a, err := h.admin(r, c)
	if err != nil {
		return err
	}
	ts, err := a.AppTokens(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	type tokenJSON struct {
		ID       int64     `json:"id"`
		Label    string    `json:"label"`
		Created  time.Time `json:"created"`
		LastUsed time.Time `json:"last_used,omitzero"`
	}
	out := []tokenJSON{}
	for _, t := range ts {
		out = append(out, tokenJSON{ID: t.ID, Label: t.Label, Created: t.Created, LastUsed: t.LastUsed})
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": out})
	return nil
}

// apiRevokeToken revokes one of a user's app tokens.
func (h *Handler) apiRevokeToken(w http.ResponseWriter, r *http.Request, c *caller) error {
	a, err := h.admin(r, c)
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return refuse(http.StatusBadRequest, "invalid", "a token id is a number, as the token list shows it")
	}
	if err := a.RevokeAppToken(r.Context(), r.PathValue("name"), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiGroups lists the groups the administrator may manage.
func (h *Handler) apiGroups(w http.ResponseWriter, r *http.Request, c *caller) error {
	a, err := h.admin(r, c)
	if err != nil {
		return err
	}
	gs, err := a.Groups(r.Context())
	if err != nil {
		return err
	}
	names := []string{}
	for _, g := range gs {
		names = append(names, g.Name)
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": names})
	return nil
}

func (h *Handler) apiAddGroup(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req struct {
		Name   string `json:"name"`
		Tenant string `json:"tenant"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	a, err := h.admin(r, c)
	if err != nil {
		return err
	}
	if req.Tenant == "" {
		req.Tenant = h.tenantOf(r, a, c)
	}
	g, err := a.AddGroup(r.Context(), req.Name, req.Tenant)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"name": g.Name, "tenant": req.Tenant})
	return nil
}

func (h *Handler) apiAddMember(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req struct {
		User string `json:"user"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	a, err := h.admin(r, c)
	if err != nil {
		return err
	}
	if err := a.AddMember(r.Context(), r.PathValue("name"), req.User); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiGrants lists the grants on ?path=, a portal path.
func (h *Handler) apiGrants(w http.ResponseWriter, r *http.Request, c *caller) error {
	a, err := h.admin(r, c)
	if err != nil {
		return err
	}
	gs, err := a.Grants(r.Context(), portalPath(r.URL.Query().Get("path")))
	if err != nil {
		return err
	}
	out := []grantJSON{}
	for _, g := range gs {
		out = append(out, grantJSON{Path: g.Path, Subject: g.Subject, Actions: actionList(g.Actions)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"grants": out})
	return nil
}

// grantRequest gives or takes back actions on a portal path.
type grantRequest struct {
	Subject string `json:"subject"` // "user:NAME" or "group:NAME"
	Path    string `json:"path"`
	Actions string `json:"actions"` // "list,read" or "all"
}

func (h *Handler) apiGrant(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req grantRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.grant(r, c, req); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) grant(r *http.Request, c *caller, req grantRequest) error {
	acts, err := policy.ParseActions(req.Actions)
	if err != nil {
		return refuse(http.StatusBadRequest, "invalid", err.Error())
	}
	a, err := h.admin(r, c)
	if err != nil {
		return err
	}
	return a.Grant(r.Context(), req.Subject, portalPath(req.Path), acts)
}

// apiRevoke removes the grant of ?subject= on ?path=.
func (h *Handler) apiRevoke(w http.ResponseWriter, r *http.Request, c *caller) error {
	a, err := h.admin(r, c)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	if err := a.Revoke(r.Context(), q.Get("subject"), portalPath(q.Get("path"))); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// portalPath cleans a portal path an administrator typed.
func portalPath(p string) string { return sessionPath(p) }

// auditLimits bound one JSON page of the audit trail.
const (
	auditPage    = 100
	auditMaxPage = 1000
)

// auditFilter reads the filter of an audit query from the URL: user,
// path (a prefix), since and until (RFC 3339), after_id and limit.
func auditFilter(r *http.Request, defLimit int) (meta.AuditFilter, error) {
	q := r.URL.Query()
	f := meta.AuditFilter{User: q.Get("user"), Limit: defLimit}
	if p := q.Get("path"); p != "" {
		f.PathPrefix = portalPath(p)
	}
	for _, t := range []struct {
		key string
		dst *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		s := q.Get(t.key)
		if s == "" {
			continue
		}
		v, err := parseTime(s)
		if err != nil {
			return f, refuse(http.StatusBadRequest, "bad_request", t.key+" must be a time like 2026-01-31 or 2026-01-31T09:00:00Z")
		}
		*t.dst = v
	}
	if s := q.Get("after_id"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return f, refuse(http.StatusBadRequest, "bad_request", "after_id must be a record id")
		}
		f.AfterID = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > auditMaxPage {
			return f, refuse(http.StatusBadRequest, "bad_request", "limit must be between 1 and "+strconv.Itoa(auditMaxPage))
		}
		f.Limit = n
	}
	return f, nil
}

func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse("2006-01-02", s)
}

// eventJSON is an audit record as the API exports it.
type eventJSON struct {
	ID         int64     `json:"id"`
	Time       time.Time `json:"time"`
	Tenant     string    `json:"tenant,omitempty"`
	User       string    `json:"user"`
	Op         string    `json:"op"`
	Path       string    `json:"path,omitempty"`
	Target     string    `json:"target,omitempty"`
	Version    string    `json:"version,omitempty"`
	Bytes      int64     `json:"bytes,omitempty"`
	Protocol   string    `json:"protocol"`
	RemoteAddr string    `json:"remote_addr,omitempty"`
	SessionID  string    `json:"session_id,omitempty"`
	Outcome    string    `json:"outcome"`
	Reason     string    `json:"reason,omitempty"`
	Hash       string    `json:"hash"`
}

func toEventJSON(e *audit.Event) eventJSON {
	return eventJSON{ID: e.ID, Time: e.Time.UTC(), Tenant: e.Tenant, User: e.User, Op: e.Op, Path: e.Path,
		Target: e.Target, Version: e.Version, Bytes: e.Bytes, Protocol: e.Protocol, RemoteAddr: e.RemoteAddr,
		SessionID: e.SessionID, Outcome: string(e.Outcome), Reason: e.Reason, Hash: hex.EncodeToString(e.Hash)}
}

// apiAudit answers audit records, oldest first: one JSON page by default
// (?after_id= for the next), or with ?format=csv or ?format=jsonl every
// matching record, streamed.
func (h *Handler) apiAudit(w http.ResponseWriter, r *http.Request, c *caller) error {
	a, err := h.admin(r, c)
	if err != nil {
		return err
	}
	format := r.URL.Query().Get("format")
	def := auditPage
	if format == "csv" || format == "jsonl" {
		def = 0
	}
	f, err := auditFilter(r, def)
	if err != nil {
		return err
	}

	switch format {
	case "", "json":
		out := []eventJSON{}
		err := a.AuditEvents(r.Context(), f, func(e *audit.Event) error {
			out = append(out, toEventJSON(e))
			return nil
		})
		if err != nil {
			return err
		}
		reply := map[string]any{"events": out}
		if len(out) == f.Limit {
			reply["next_after_id"] = out[len(out)-1].ID
		}
		writeJSON(w, http.StatusOK, reply)
		return nil
	case "jsonl":
		w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
		w.Header().Set("Content-Disposition", attachment("audit.jsonl"))
		enc := json.NewEncoder(w)
		return h.stream(w, a, r, f, func(e *audit.Event) error { return enc.Encode(toEventJSON(e)) })
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", attachment("audit.csv"))
		cw := csv.NewWriter(w)
		cw.Write(csvHeader())
		err := h.stream(w, a, r, f, func(e *audit.Event) error { return cw.Write(csvRow(e)) })
		cw.Flush()
		return err
	}
	return refuse(http.StatusBadRequest, "bad_request", "format must be json, jsonl or csv")
}

// stream writes every record f selects through write. Once the first
// byte is out an error can only cut the reply off.
func (h *Handler) stream(w http.ResponseWriter, a *vfs.Admin, r *http.Request, f meta.AuditFilter, write func(*audit.Event) error) error {
	n := 0
	err := a.AuditEvents(r.Context(), f, func(e *audit.Event) error {
		n++
		return write(e)
	})
	if err != nil && n > 0 {
		h.log.Warn("audit export cut off", "records", n, "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

func csvHeader() []string {
	return []string{"id", "time", "tenant", "user", "op", "path", "target", "version", "bytes",
		"protocol", "remote_addr", "session_id", "outcome", "reason", "hash"}
}

// csvRow is one record as a CSV row. A cell that a spreadsheet would take
// for a formula is prefixed with a quote, so an exported name cannot run.
func csvRow(e *audit.Event) []string {
	row := []string{strconv.FormatInt(e.ID, 10), e.Time.UTC().Format(time.RFC3339Nano), e.Tenant, e.User, e.Op,
		e.Path, e.Target, e.Version, strconv.FormatInt(e.Bytes, 10), e.Protocol, e.RemoteAddr, e.SessionID,
		string(e.Outcome), e.Reason, hex.EncodeToString(e.Hash)}
	for i, s := range row {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			row[i] = "'" + s
		}
	}
	return row
}
