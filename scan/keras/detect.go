package keras

// LooksLikeConfig reports whether a JSON document is a Keras model
// configuration: a top-level object with "class_name" and "config" keys
// (Keras 3 also writes "module" and "registered_name"), the form of a Keras
// 3 config.json and of model.to_json() in Keras 2 and 3. A transformers
// config.json ({"architectures": ..., "model_type": ...}) is not one.
//
// The check is cheap: the encoding is detected as json.loads does (BOM,
// UTF-16, UTF-32), and only the top level is read, keys decoded and values
// skipped without building anything; it stops as soon as both keys are
// seen, which for files Keras writes is within the first hundred bytes.
// Keras ignores extra keys and keeps the last of repeated ones, so a
// document may put padding or a large "config" value before "class_name":
// the whole top level is read (up to the 64 MiB CheckConfig accepts), and
// a document that ends or breaks off before its top-level object closes is
// taken as a configuration when either key was seen. Callers should pass
// the whole document, not a prefix, for that reason.
func LooksLikeConfig(js []byte) bool {
	if len(js) > maxJSONBytes {
		js = js[:maxJSONBytes]
	}
	text, enc, err := toUTF8(js)
	if err != nil {
		// A cut inside a UTF-16 or UTF-32 code unit: read what is whole.
		unit := 2
		if enc == "utf-32" {
			unit = 4
		}
		if text, _, err = toUTF8(js[:len(js)-len(js)%unit]); err != nil {
			return false
		}
	}
	return topLevelKeys(text)
}

// topLevelKeys reads the top-level object of text for "class_name" and
// "config".
func topLevelKeys(text []byte) bool {
	d := &decoder{src: text}
	d.space()
	if d.peek() != '{' {
		return false
	}
	d.pos++
	var class, config bool
	for {
		d.space()
		if d.peek() == '}' {
			return false // closed without both keys
		}
		if d.peek() != '"' {
			return class || config // malformed or cut short
		}
		k, err := d.string()
		if err != nil {
			return class || config
		}
		switch k {
		case "class_name":
			class = true
		case "config":
			config = true
		}
		if class && config {
			return true
		}
		d.space()
		if d.peek() != ':' {
			return class || config
		}
		d.pos++
		d.space()
		if !d.skipValue() {
			return class || config
		}
		d.space()
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			return false
		default:
			return class || config
		}
	}
}

// skipValue moves past one JSON value without decoding or checking it,
// reporting false when the input ends first. Nesting is only counted, so
// depth costs nothing.
func (d *decoder) skipValue() bool {
	switch d.peek() {
	case '"':
		return d.skipString()
	case '{', '[':
		depth := 0
		for d.pos < len(d.src) {
			switch d.src[d.pos] {
			case '"':
				if !d.skipString() {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					d.pos++
					return true
				}
			}
			d.pos++
		}
		return false
	}
	start := d.pos
	for d.pos < len(d.src) {
		switch d.src[d.pos] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return d.pos > start
		}
		d.pos++
	}
	return false
}

// skipString moves past a string at d.pos (on its opening quote).
func (d *decoder) skipString() bool {
	for d.pos++; d.pos < len(d.src); d.pos++ {
		switch d.src[d.pos] {
		case '\\':
			d.pos++
		case '"':
			d.pos++
			return true
		}
	}
	return false
}
