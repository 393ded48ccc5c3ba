// Package wire holds the codecs the runtime gateway uses to talk to model
// servers: how a validated batch of feature rows becomes an upstream
// request, and how the upstream's answer becomes one probability vector
// per row, which the extraction detectors and the output hardening read.
//
// Three protocols are spoken, each a Codec:
//
//   - NewOIP: the Open Inference Protocol v2 REST API (KServe "V2
//     inference protocol", also spoken by NVIDIA Triton and MLServer):
//     POST /v2/models/{m}[/versions/{v}]/infer, one FP32 input tensor in
//     flat row-major "data", one FP32 or FP64 output of shape
//     [rows, classes] whose data may be flat or nested (KServe, "Open
//     Inference Protocol (V2 Inference Protocol)", Inference Request and
//     Response JSON Objects, Tensor Data; Triton's HTTP/REST protocol
//     docs). Binary tensor data (Triton's extension) is refused.
//   - NewTFServing: the TensorFlow Serving RESTful API's predict call
//     (POST /v1/models/{m}[/versions/{v}|/labels/{l}]:predict) in row
//     ("instances" → "predictions") or columnar ("inputs" → "outputs")
//     format, and its model status API for readiness (a 200 answer is
//     ready only when some version's state is "AVAILABLE", hence the
//     ReadyChecker interface).
//   - NewJSON: a configurable mapping for bespoke servers: the batch is
//     spliced into a JSON template at an RFC 6901 JSON Pointer, and the
//     probabilities (or logits, through a stable softmax) read at another.
//     Pointer implements RFC 6901 (escapes "~0" and "~1", array indices
//     without leading zeros, "-" to append).
//
// Every answer is hostile until checked. Answers are read by a small
// in-place JSON (RFC 8259) scanner rather than encoding/json: it needs no
// intermediate tree (the hot path allocates only its result), it refuses
// what encoding/json would quietly accept or resolve (duplicate members
// that matter, nesting deeper than 16, trailing data), and it names the
// non-finite tokens ("NaN", "Infinity") TF Serving may emit. A read
// answer must have exactly the rows and classes asked for, and every row
// must hold finite, non-negative values summing to 1 within 1e-3.
// Errors name the protocol and what was wrong, quoting at most a few
// bytes of the body. Bounding the body's size is the caller's job (the
// proxy reads at most its configured MaxResponseBytes).
//
// Model names, versions and labels are put in paths with url.PathEscape
// (and "." and ".." escaped too), so a name is always exactly one path
// segment.
package wire
