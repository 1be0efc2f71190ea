// Package openapi embeds the OpenAPI (Swagger 2.0) document that
// protoc-gen-openapiv2 generates from proto/ (see buf.gen.yaml). This file is
// the only hand-written file under gen/: go:embed cannot reach across
// module boundaries, so the embedding lives next to the generated JSON.
package openapi

import _ "embed"

// Document is the merged OpenAPI document of every service.
//
//go:embed bpo.swagger.json
var Document []byte
