package server

import (
	_ "embed"
	"net/http"
	"strconv"
)

// openapiJSON is the OpenAPI 3.1 document of the API, written by hand
// beside docs/api.md; a test keeps it and the route list in step.
//
//go:embed openapi.json
var openapiJSON []byte

func (s *Server) openapi(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(openapiJSON)))
	_, err := w.Write(openapiJSON)
	if err != nil {
		return errWritten
	}
	return nil
}
