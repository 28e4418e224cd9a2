package webdav_test

import (
	"context"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"strongroom/protocols/webdav"
	"strongroom/vfs/vfstest"
)

// litmusGroups are the suites litmus runs, with the number of tests each
// has in litmus 0.13.
var litmusGroups = []struct {
	name  string
	tests int
}{
	{"basic", 16}, {"copymove", 13}, {"props", 30}, {"locks", 41}, {"http", 4},
}

// TestLitmus runs every litmus suite against the handler, over both
// pairs of stores, and wants every test to pass with no warning and none
// skipped.
func TestLitmus(t *testing.T) {
	bin := need(t, "litmus")
	vfstest.Both(t, func(t *testing.T, env *vfstest.Env) {
		env.AddUser(t, "lit", "litmus-password")
		// Plain HTTP on loopback: litmus skips its Expect: 100-continue
		// test on HTTPS, and the suite is to run with none skipped.
		s := serve(t, env.FS, &webdav.Options{MaxDepthItems: 1000}, true)

		cmd := exec.CommandContext(context.Background(), bin, "-k", s.url, "lit", "litmus-password")
		cmd.Dir = t.TempDir() // litmus writes its debug.log here
		out, err := cmd.CombinedOutput()
		text := string(out)
		if err != nil {
			t.Errorf("litmus: %v", err)
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("litmus output:\n%s", text)
		}

		total := 0
		for _, g := range litmusGroups {
			run, passed, failed := litmusSummary(t, text, g.name)
			total += passed
			if run != g.tests || passed != g.tests || failed != 0 {
				t.Errorf("litmus %s: %d run, %d passed, %d failed; want %d run and passed, 0 failed",
					g.name, run, passed, failed, g.tests)
			}
		}
		if total != 104 {
			t.Errorf("litmus passed %d tests in all, want 104", total)
		}
		for _, bad := range []string{"WARNING", "warning", "skipped", "SKIPPED"} {
			if strings.Contains(text, bad) {
				t.Errorf("litmus output has %q, want none", bad)
			}
		}
	})
}

// litmusSummary reads the line litmus prints at the end of a suite.
func litmusSummary(t *testing.T, text, group string) (run, passed, failed int) {
	t.Helper()
	re := regexp.MustCompile("summary for `" + group + `': of (\d+) tests run: (\d+) passed, (\d+) failed`)
	m := re.FindStringSubmatch(text)
	if m == nil {
		t.Errorf("litmus printed no summary for %s", group)
		return 0, 0, 0
	}
	run, _ = strconv.Atoi(m[1])
	passed, _ = strconv.Atoi(m[2])
	failed, _ = strconv.Atoi(m[3])
	return run, passed, failed
}
