// Package jinja finds Jinja2 sandbox escapes in chat templates without
// rendering them.
//
// Chat templates (GGUF tokenizer.chat_template, Hugging Face
// tokenizer_config.json chat_template) are Jinja programs that inference
// servers render with the user's messages. Rendered outside the sandbox, or
// through a sandbox bypass, an expression such as
// {{ cycler.__init__.__globals__.os.popen('id').read() }} runs commands
// (CVE-2024-34359 in llama-cpp-python). Regular expressions over the raw
// text both miss obfuscated spellings and fire on prose that merely
// mentions "os" or "system", so this package lexes the template the way
// Jinja's own lexer does (data, {{ }}, {% %}, {# #}, whitespace control,
// raw blocks, string escapes), parses the expressions, and evaluates
// constant string expressions symbolically: concatenation (~, +, adjacent
// literals), |join, |format and %, |replace, |reverse, slicing, case
// filters, dict(key=...) keys, and {% set %}/{% for %}/{% with %}/macro
// defaults holding such strings. Attribute names, subscripts, |attr and
// attribute= arguments that evaluate to private or interpreter-internal
// names are reported, as are attribute accesses on Jinja's global gadgets
// (cycler, joiner, namespace, lipsum, range, self) and Flask globals.
//
// References: the Jinja2 template designer documentation (syntax, filters,
// tests, operator precedence), jinja2.sandbox (attributes starting with
// "_" and interpreter internals such as func_globals, f_globals, gi_frame
// and mro are unsafe), Python's string literal escapes (\x, \u, \U, \N{},
// octal), and the CVE-2024-34359 advisory.
package jinja
