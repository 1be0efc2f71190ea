package gateway

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/acme/bpo/gen/openapi"
	"github.com/go-openapi/loads"
	"github.com/go-openapi/strfmt"
	"github.com/go-openapi/validate"
)

// TestOpenAPIDocumentIsValidSwagger2 checks the served OpenAPI document
// against the Swagger 2.0 specification with go-openapi/validate (schema
// and semantic rules: every path parameter declared is in the path and
// the other way round, unique operation ids, resolvable references …),
// as client generators (openapi-generator, oapi-codegen) will read it.
func TestOpenAPIDocumentIsValidSwagger2(t *testing.T) {
	doc, err := loads.Analyzed(json.RawMessage(openapi.Document), "2.0")
	if err != nil {
		t.Fatalf("load the OpenAPI document: %v", err)
	}
	if v := doc.Version(); v != "2.0" {
		t.Fatalf("swagger version %q; want 2.0", v)
	}
	if err := validate.Spec(doc, strfmt.Default); err != nil {
		msg := err.Error()
		if len(msg) > 4000 {
			msg = msg[:4000] + "…"
		}
		t.Fatalf("the OpenAPI document is not valid Swagger 2.0:\n%s", strings.ReplaceAll(msg, "\n", "\n  "))
	}
	if n := len(doc.Spec().Paths.Paths); n < 50 {
		t.Errorf("%d paths; want the whole API (over 50)", n)
	}
}
