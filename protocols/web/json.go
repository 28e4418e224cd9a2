package web

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path"
	"strings"
	"time"

	"strongroom/policy"
	"strongroom/vfs"
)

// sessionPath turns the path a URL names into a vfs session path: taken
// from the home, cleaned, with ".." stopping at the home. What remains
// wrong with it is for vfs to refuse.
func sessionPath(p string) string {
	return path.Clean("/" + p)
}

// writeJSON sends v as the reply, with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v) // a client gone away is not ours to report
}

// decodeJSON reads a JSON object from r's body into v. The body is
// already bounded by wrap; unknown fields and trailing data are refused,
// so that a typo in a field name is an error rather than a default.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return refuse(http.StatusUnsupportedMediaType, "bad_request", "send the body as application/json")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return refuse(http.StatusBadRequest, "bad_request", "malformed JSON body: "+jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return refuse(http.StatusBadRequest, "bad_request", "malformed JSON body: data after the object")
	}
	return nil
}

// jsonProblem says what is wrong with a body without quoting it back.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return "empty body"
	case errors.As(err, &se):
		return "syntax error"
	case errors.As(err, &te):
		return "field " + te.Field + " has the wrong type"
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "cannot be read"
}

// fileJSON is a file or folder as the API describes it.
type fileJSON struct {
	Name     string    `json:"name"`
	Path     string    `json:"path"`
	Type     string    `json:"type"` // "file" or "folder"
	Size     int64     `json:"size"`
	Modified time.Time `json:"modified"`
	Version  string    `json:"version,omitempty"`
	MIMEType string    `json:"mime_type,omitempty"`
	Allowed  []string  `json:"allowed"`
}

func toFileJSON(fi *vfs.FileInfo) fileJSON {
	f := fileJSON{
		Name: fi.Name(), Path: fi.Path(), Type: "file", Size: fi.Size(),
		Modified: fi.ModTime().UTC(), Version: fi.VersionID(), MIMEType: fi.MIMEType(),
		Allowed: actionList(fi.Allowed()),
	}
	if fi.IsDir() {
		f.Type = "folder"
	}
	return f
}

// actionList spells out a set of actions, never as null.
func actionList(a policy.Actions) []string {
	out := []string{}
	if a == policy.None {
		return out
	}
	for _, s := range strings.Split(a.String(), ",") {
		if s == "all" {
			return []string{"list", "read", "write", "delete", "share", "admin"}
		}
		out = append(out, s)
	}
	return out
}

// versionJSON is one version of a file.
type versionJSON struct {
	ID           string    `json:"id"`
	Size         int64     `json:"size"`
	SHA256       string    `json:"sha256"`
	MIMEType     string    `json:"mime_type"`
	CreatedBy    string    `json:"created_by"`
	Created      time.Time `json:"created"`
	Current      bool      `json:"current"`
	RestoredFrom string    `json:"restored_from,omitempty"`
}

func toVersionJSON(v vfs.Version) versionJSON {
	return versionJSON{
		ID: v.ID, Size: v.Size, SHA256: hex.EncodeToString(v.SHA256), MIMEType: v.MIMEType,
		CreatedBy: v.CreatedBy, Created: v.Created.UTC(), Current: v.Current, RestoredFrom: v.RestoredFrom,
	}
}
