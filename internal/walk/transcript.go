package walk

import (
	"fmt"
	"strings"
	"sync"
)

// Line is how a step of the walk reads: the step, who acts and what they
// did, in columns.
func Line(step, who, text string) string {
	return fmt.Sprintf("%-10s  %-20s  %s", step, who, text)
}

// Transcript keeps the walk's lines (its Say), for a test to show when it
// fails. It is safe for concurrent use.
type Transcript struct {
	mu    sync.Mutex
	lines strings.Builder
}

// Say adds a line; it is a walk's say function.
func (t *Transcript) Say(step, who, text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines.WriteString(Line(step, who, text))
	t.lines.WriteByte('\n')
}

// String returns the lines so far.
func (t *Transcript) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lines.String()
}
