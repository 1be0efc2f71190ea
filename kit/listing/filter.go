// Package listing implements the paging and filtering every List method
// shares: opaque page tokens bound to their query (AIP-158) and a small
// filter grammar (a subset of AIP-160).
//
// Filter grammar:
//
//	filter := term { "AND" term }
//	term   := field ( "=" | "!=" ) value
//	value  := word | "quoted string"
//
// Fields are lower_snake_case names each List method documents; words are
// letters, digits and `_ - . / :`; a quoted string may hold anything but a
// double quote (escape one as \"). `AND` is case-sensitive, as in AIP-160.
package listing

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/acme/bpo/kit/apperr"
)

// Op is a comparison.
type Op string

// The comparisons of the grammar.
const (
	Equal    Op = "="
	NotEqual Op = "!="
)

// MaxTerms is the most terms a filter may have. Each term is one indexed
// lookup; a filter of hundreds (repeating the same term) took PostgreSQL
// seconds, a cost any reader could impose. No real question needs more.
const MaxTerms = 16

// Term is one `field op value` of a filter.
type Term struct {
	Field string
	Op    Op
	Value string
}

// ParseFilter parses s, accepting only the given fields. An empty filter
// has no terms. Errors are INVALID_ARGUMENT on the field "filter".
func ParseFilter(s string, fields ...string) ([]Term, error) {
	p := &parser{src: s}
	var terms []Term
	p.skipSpace()
	if p.done() {
		return nil, nil
	}
	for {
		if len(terms) == MaxTerms {
			return nil, p.errorf("at most %d terms", MaxTerms)
		}
		t, err := p.term(fields)
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
		p.skipSpace()
		if p.done() {
			return terms, nil
		}
		if !p.keyword("AND") {
			return nil, p.errorf("expected AND or the end of the filter")
		}
	}
}

type parser struct {
	src string
	pos int
}

func (p *parser) done() bool { return p.pos >= len(p.src) }

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t' || p.src[p.pos] == '\n') {
		p.pos++
	}
}

func (p *parser) errorf(format string, args ...any) error {
	return apperr.Invalid(apperr.FieldViolation{
		Field:       "filter",
		Description: fmt.Sprintf("at position %d: ", p.pos+1) + fmt.Sprintf(format, args...),
	})
}

func (p *parser) keyword(kw string) bool {
	p.skipSpace()
	if !strings.HasPrefix(p.src[p.pos:], kw) {
		return false
	}
	end := p.pos + len(kw)
	if end < len(p.src) && isWordByte(p.src[end]) {
		return false
	}
	p.pos = end
	return true
}

func isWordByte(c byte) bool {
	return c < 0x80 && (unicode.IsLetter(rune(c)) || unicode.IsDigit(rune(c)) || strings.IndexByte("_-./:", c) >= 0)
}

func (p *parser) word() string {
	start := p.pos
	for p.pos < len(p.src) && isWordByte(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func (p *parser) term(fields []string) (Term, error) {
	p.skipSpace()
	field := p.word()
	if field == "" {
		return Term{}, p.errorf("expected a field name")
	}
	known := false
	for _, f := range fields {
		if f == field {
			known = true
		}
	}
	if !known {
		return Term{}, p.errorf("unknown field %q; filterable fields are %s", field, strings.Join(fields, ", "))
	}
	p.skipSpace()
	var op Op
	switch {
	case strings.HasPrefix(p.src[p.pos:], "!="):
		op, p.pos = NotEqual, p.pos+2
	case strings.HasPrefix(p.src[p.pos:], "="):
		op, p.pos = Equal, p.pos+1
	default:
		return Term{}, p.errorf("expected = or != after %q", field)
	}
	p.skipSpace()
	value, err := p.value()
	if err != nil {
		return Term{}, err
	}
	return Term{Field: field, Op: op, Value: value}, nil
}

func (p *parser) value() (string, error) {
	if p.done() {
		return "", p.errorf("expected a value")
	}
	if p.src[p.pos] != '"' {
		w := p.word()
		if w == "" {
			return "", p.errorf("expected a value")
		}
		return w, nil
	}
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		switch {
		case c == '\\' && p.pos+1 < len(p.src) && p.src[p.pos+1] == '"':
			b.WriteByte('"')
			p.pos += 2
		case c == '"':
			p.pos++
			return b.String(), nil
		case c == 0:
			// PostgreSQL text cannot hold NUL, and no stored value has one.
			return "", p.errorf("a value cannot hold a NUL character")
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	return "", p.errorf("unterminated quoted value")
}
