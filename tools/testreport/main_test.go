package main

import (
	"strings"
	"testing"
)

func TestReportCountsThePostgreSQLVariantsAndShowsOnlyFailures(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run","Package":"p","Test":"TestA"}`,
		`{"Action":"run","Package":"p","Test":"TestA/sqlite"}`,
		`{"Action":"output","Package":"p","Test":"TestA/sqlite","Output":"quiet\n"}`,
		`{"Action":"pass","Package":"p","Test":"TestA/sqlite"}`,
		`{"Action":"run","Package":"p","Test":"TestA/postgres"}`,
		`{"Action":"run","Package":"p","Test":"TestA/postgres/one_case"}`,
		`{"Action":"pass","Package":"p","Test":"TestA/postgres/one_case"}`,
		`{"Action":"pass","Package":"p","Test":"TestA/postgres"}`,
		`{"Action":"pass","Package":"p","Test":"TestA"}`,
		`{"Action":"output","Package":"p","Test":"TestB","Output":"got 2, want 3\n"}`,
		`{"Action":"fail","Package":"p","Test":"TestB"}`,
		`{"Action":"skip","Package":"p","Test":"TestC"}`,
		`{"Action":"fail","Package":"p"}`,
	}, "\n")
	var out strings.Builder
	failed, err := report(strings.NewReader(in), &out)
	if err != nil || !failed {
		t.Fatalf("failed %v, %v; want a failure reported", failed, err)
	}
	got := out.String()
	for _, want := range []string{
		"got 2, want 3\n",
		"tests: 4 passed, 1 failed, 1 skipped, in 1 packages",
		"sqlite   variants: 1 passed, 0 failed, 0 skipped",
		"postgres variants: 1 passed, 0 failed, 0 skipped",
		"FAIL p",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "quiet") {
		t.Errorf("a passing test's output was printed:\n%s", got)
	}
}
