// Command testreport reads `go test -json` on stdin and says what ran: it
// prints the output of every test that failed (and of packages that did
// not build) as it comes, then one summary, with the PostgreSQL variants
// counted on their own so a CI log proves they ran rather than skipped.
// It exits 1 when anything failed.
//
//	go test -json ./... | go run ./tools/testreport
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
	Elapsed float64
}

// tally counts tests by how they ended.
type tally struct{ passed, failed, skipped int }

func (t *tally) add(action string) {
	switch action {
	case "pass":
		t.passed++
	case "fail":
		t.failed++
	case "skip":
		t.skipped++
	}
}

func main() {
	failed, err := report(os.Stdin, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(2)
	}
	if failed {
		os.Exit(1)
	}
}

// proves says whether e ends a test the summary names: a top-level test of
// the e2e or deploy packages, or a dialect variant of one.
func proves(e event) bool {
	if !strings.HasSuffix(e.Package, "/e2e") && !strings.HasSuffix(e.Package, "/deploy") {
		return false
	}
	return !strings.Contains(e.Test, "/") || (strings.Count(e.Test, "/") == 1 && dialectOf(e.Test) != "")
}

// dialectOf is the store of a dialect variant, the subtest sqltest names
// after it ("…/sqlite", "…/postgres"); "" for any other (sub)test.
func dialectOf(test string) string {
	if last := test[strings.LastIndex(test, "/")+1:]; last == "sqlite" || last == "postgres" {
		return last
	}
	return ""
}

func report(in io.Reader, out io.Writer) (bool, error) {
	var all tally
	dialects := map[string]*tally{"sqlite": {}, "postgres": {}}
	// Output is kept per test until it ends, and printed only if it failed.
	pending := map[string][]string{}
	var failedPkgs []string
	packages := 0
	// The end-to-end and deployment tests, named in the summary so a CI
	// log proves they ran (the distributed set-up, its trace, the
	// manifests' validation).
	var proof []string
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if err := json.Unmarshal(line, &e); err != nil {
			// Build errors reach stdout as plain text.
			fmt.Fprintln(out, string(line))
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			pending[key] = append(pending[key], e.Output)
		case "pass", "fail", "skip":
			if e.Action == "fail" {
				for _, o := range pending[key] {
					fmt.Fprint(out, o)
				}
			}
			delete(pending, key)
			if e.Test == "" {
				packages++
				if e.Action == "fail" {
					failedPkgs = append(failedPkgs, e.Package)
				}
				continue
			}
			all.add(e.Action)
			if d := dialectOf(e.Test); d != "" {
				dialects[d].add(e.Action)
			}
			if proves(e) {
				proof = append(proof, fmt.Sprintf("    %-4s  %s %s (%.1fs)", e.Action, e.Package[strings.LastIndex(e.Package, "/")+1:], e.Test, e.Elapsed))
			}
		}
	}
	if err := sc.Err(); err != nil {
		return true, err
	}
	sort.Strings(failedPkgs)
	fmt.Fprintf(out, "\ntests: %d passed, %d failed, %d skipped, in %d packages\n", all.passed, all.failed, all.skipped, packages)
	for _, d := range []string{"sqlite", "postgres"} {
		t := dialects[d]
		fmt.Fprintf(out, "  %-8s variants: %d passed, %d failed, %d skipped\n", d, t.passed, t.failed, t.skipped)
	}
	if dialects["postgres"].passed == 0 {
		fmt.Fprintln(out, "  PostgreSQL: no test ran on it (set BPO_TEST_POSTGRES_DSN, as .ci/run does)")
	}
	if len(proof) > 0 {
		sort.Strings(proof)
		fmt.Fprintln(out, "  end-to-end and deployment tests:")
		for _, l := range proof {
			fmt.Fprintln(out, l)
		}
	}
	for _, p := range failedPkgs {
		fmt.Fprintln(out, "FAIL", p)
	}
	return all.failed > 0 || len(failedPkgs) > 0, nil
}
