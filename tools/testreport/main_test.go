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
		`{"Action":"pass","Package":"x/e2e","Test":"TestDistributed/postgres/one_trace","Elapsed":0.1}`,
		`{"Action":"pass","Package":"x/e2e","Test":"TestDistributed/postgres","Elapsed":9.5}`,
		`{"Action":"pass","Package":"x/e2e","Test":"TestDistributed","Elapsed":9.6}`,
		`{"Action":"pass","Package":"x/e2e"}`,
	}, "\n")
	var out strings.Builder
	failed, err := report(strings.NewReader(in), &out)
	if err != nil || !failed {
		t.Fatalf("failed %v, %v; want a failure reported", failed, err)
	}
	got := out.String()
	for _, want := range []string{
		"got 2, want 3\n",
		"tests: 7 passed, 1 failed, 1 skipped, in 2 packages",
		"sqlite   variants: 1 passed, 0 failed, 0 skipped",
		"postgres variants: 2 passed, 0 failed, 0 skipped",
		"end-to-end and deployment tests:\n    pass  e2e TestDistributed (9.6s)\n    pass  e2e TestDistributed/postgres (9.5s)\n",
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
