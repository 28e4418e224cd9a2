package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"strongroom/vfs/vfstest"
)

var screenshots = flag.String("screenshots", "", "write screenshots of the main pages to this folder")

const chromium = "/usr/bin/chromium"

// TestBrowser drives Chromium through the portal as a person would: sign
// in, make a folder, upload, download, rename, upload a new version and
// restore the old one, check a second user sees none of it, sign out.
// Chromium loads only the test server on loopback.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	if _, err := exec.LookPath(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium is needed in CI: %v", err)
		}
		t.Skipf("no chromium: %v", err)
	}
	env := vfstest.Embedded(t)
	env.AddUser(t, "alice", "pw-alice-1")
	env.AddUser(t, "bob", "pw-bob-123")
	addAdmin(t, env, "root", "")
	ts := newTestServer(t, env, nil)
	base := ts.srv.URL
	shots := *screenshots
	if shots == "" {
		shots = t.TempDir()
	}

	alloc, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 820),
	)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	ctx, cancel = context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel)

	dir := t.TempDir()
	one := []byte("first file\n")
	two1 := []byte("second file, version one\n")
	two2 := []byte("second file, version two\n")
	write := func(sub, name string, b []byte) string {
		p := filepath.Join(dir, sub, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pOne, pTwo1, pTwo2 := write("a", "one.txt", one), write("a", "two.txt", two1), write("b", "two.txt", two2)

	run := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			buf, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shots, name+".png"), buf, 0o644)
		})
	}
	signIn := func(name, password string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(
			chromedp.Navigate(base+"/signin"),
			chromedp.WaitVisible(chromedp.CSS("#username")),
			chromedp.SendKeys(chromedp.CSS("#username"), name),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS("#signin")),
			chromedp.WaitVisible(chromedp.CSS("table.files")),
		)
	}
	signOut := chromedp.Steps(
		chromedp.Click(chromedp.CSS("#signout")),
		chromedp.WaitVisible(chromedp.CSS("#username")),
	)
	// fetchSum downloads url in the page, with the page's cookie, and
	// returns the SHA-256 of what arrived.
	fetchSum := func(url string, sum *string) chromedp.Action[chromedp.Void] {
		js := `fetch(` + jsString(url) + `).then(r => r.arrayBuffer()).then(b => crypto.subtle.digest("SHA-256", b))` +
			`.then(d => Array.from(new Uint8Array(d)).map(x => x.toString(16).padStart(2, "0")).join(""))`
		return eval(js, sum)
	}
	hexSum := func(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

	run("sign-in page", chromedp.Navigate(base+"/signin"), chromedp.WaitVisible(chromedp.CSS("#username")), shot("signin"))
	run("sign in", signIn("alice", "pw-alice-1"))

	run("new folder",
		chromedp.SendKeys(chromedp.CSS("#newfolder"), "Reports"),
		chromedp.Click(chromedp.CSS("#mkdir")),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/browse/Reports"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/browse/Reports"]`)),
		chromedp.WaitVisible(chromedp.CSS("#drop")),
	)

	run("upload two files",
		chromedp.SetUploadFiles(chromedp.CSS("#picker"), []string{pOne, pTwo1}),
		chromedp.WaitVisible(chromedp.CSS(`body[data-upload-count="1"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/api/v1/files/Reports/one.txt"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/api/v1/files/Reports/two.txt"]`)),
	)

	var sum string
	run("download", fetchSum("/api/v1/files/Reports/one.txt", &sum))
	if sum != hexSum(one) {
		t.Fatalf("downloaded one.txt: got sha256 %s, want %s", sum, hexSum(one))
	}

	row := `tr:has(input[value="/Reports/one.txt"]) `
	run("rename",
		chromedp.Click(chromedp.CSS(row+"summary")),
		chromedp.SetValue(chromedp.CSS(row+`form[action="/do/rename"] input[name="name"]`), "renamed.txt"),
		chromedp.Submit(chromedp.CSS(row+`form[action="/do/rename"]`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/api/v1/files/Reports/renamed.txt"]`)),
	)

	run("upload a new version",
		chromedp.SetUploadFiles(chromedp.CSS("#picker"), []string{pTwo2}),
		chromedp.WaitVisible(chromedp.CSS(`body[data-upload-count="2"]`)),
		shot("browse"),
	)
	run("second version is current", fetchSum("/api/v1/files/Reports/two.txt", &sum))
	if sum != hexSum(two2) {
		t.Fatalf("after the new version: got sha256 %s, want %s", sum, hexSum(two2))
	}

	run("restore the old version",
		chromedp.Navigate(base+"/versions/Reports/two.txt"),
		chromedp.WaitVisible(chromedp.CSS("button.restore")),
		shot("versions"),
		chromedp.Click(chromedp.CSS("button.restore")),
		chromedp.WaitVisible(chromedp.Search(`//span[contains(., "restored from")]`)),
		fetchSum("/api/v1/files/Reports/two.txt", &sum),
	)
	if sum != hexSum(two1) {
		t.Fatalf("after restore: got sha256 %s, want %s", sum, hexSum(two1))
	}
	run("sign out", signOut)

	var empty bool
	var status int
	run("second user sees none of it", signIn("bob", "pw-bob-123"),
		eval(`document.querySelector("td.empty") !== null`, &empty),
		eval(`fetch("/api/v1/stat/Reports").then(r => r.status)`, &status),
		signOut,
	)
	if !empty || status != 404 {
		t.Fatalf("bob: got empty folder %v and status %d for alice's folder, want true and 404", empty, status)
	}

	run("admin pages", signIn("root", "pw-root-secret"),
		chromedp.Navigate(base+"/admin/users"), chromedp.WaitVisible(chromedp.CSS("table.files")), shot("admin-users"),
		chromedp.Navigate(base+"/admin/audit?user=alice"), chromedp.WaitVisible(chromedp.CSS("table.audit")), shot("admin-audit"),
		chromedp.Navigate(base+"/browse/alice/Reports"), chromedp.WaitVisible(chromedp.CSS("table.files")), shot("browse-admin"),
		signOut,
	)
}

// eval runs a script in the page, waits for the promise it may return,
// and stores the result in dst.
func eval[T any](js string, dst *T) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		v, err := chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise)(ctx, tg)
		*dst = v
		return err
	})
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
