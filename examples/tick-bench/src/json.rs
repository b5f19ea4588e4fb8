//! Just enough JSON for the runner's lines, hand-written to keep serde out of
//! the build: [`quote`] writes a string, [`parse`] reads one value. The
//! reader takes any JSON value, so `--compare` reads lines that a later
//! version extended with keys of any shape.

/// A JSON value. Objects keep their keys in order; numbers are `f64`.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, its keys in order.
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The value of `key` if this is an object that has it (the last one,
    /// if it is repeated).
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(fields) => fields.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Number(x) => Some(*x),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
}

/// `s` as a JSON string literal, quotes included.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Parses `text` as one JSON value, surrounding whitespace allowed.
///
/// The error says what was expected and at which byte.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut p = Parser { text, pos: 0, depth: 0 };
    let value = p.value()?;
    p.skip_space();
    if p.pos < text.len() {
        return Err(p.error("the end of the value"));
    }
    Ok(value)
}

/// Nesting deeper than this is refused rather than risking the stack.
const MAX_DEPTH: usize = 128;

/// A recursive-descent reader over `text`.
struct Parser<'a> {
    text: &'a str,
    /// The byte being read.
    pos: usize,
    /// Arrays and objects open around `pos`.
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, expected: &str) -> String {
        match self.text[self.pos..].chars().next() {
            Some(c) => format!("expected {expected} at byte {}, found {c:?}", self.pos),
            None => format!("expected {expected} at byte {}, found the end", self.pos),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Consumes `word` if it is next.
    fn eat(&mut self, word: &str) -> bool {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Value, String> {
        self.skip_space();
        match self.peek() {
            Some(b'{') => self.nested(|p| p.object()),
            Some(b'[') => self.nested(|p| p.array()),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ if self.eat("true") => Ok(Value::Bool(true)),
            _ if self.eat("false") => Ok(Value::Bool(false)),
            _ if self.eat("null") => Ok(Value::Null),
            _ => Err(self.error("a value")),
        }
    }

    fn nested(&mut self, read: impl FnOnce(&mut Self) -> Result<Value, String>) -> Result<Value, String> {
        if self.depth == MAX_DEPTH {
            return Err(format!("nested deeper than {MAX_DEPTH} at byte {}", self.pos));
        }
        self.depth += 1;
        let value = read(self);
        self.depth -= 1;
        value
    }

    /// `{` is next.
    fn object(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut fields = Vec::new();
        self.skip_space();
        if self.eat("}") {
            return Ok(Value::Object(fields));
        }
        loop {
            self.skip_space();
            if self.peek() != Some(b'"') {
                return Err(self.error("a key"));
            }
            let key = self.string()?;
            self.skip_space();
            if !self.eat(":") {
                return Err(self.error("':'"));
            }
            fields.push((key, self.value()?));
            self.skip_space();
            if self.eat("}") {
                return Ok(Value::Object(fields));
            }
            if !self.eat(",") {
                return Err(self.error("',' or '}'"));
            }
        }
    }

    /// `[` is next.
    fn array(&mut self) -> Result<Value, String> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_space();
        if self.eat("]") {
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_space();
            if self.eat("]") {
                return Ok(Value::Array(items));
            }
            if !self.eat(",") {
                return Err(self.error("',' or ']'"));
            }
        }
    }

    /// A number: JSON's grammar, read by Rust's `f64` parser.
    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        while matches!(self.peek(), Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')) {
            self.pos += 1;
        }
        let digits = &self.text[start..self.pos];
        let json_shaped = !digits.starts_with('+')
            && !digits.starts_with("-.")
            && !digits.starts_with('.')
            && !digits.ends_with('.')
            && !digits.contains(".e")
            && !digits.contains(".E");
        match digits.parse::<f64>() {
            Ok(x) if json_shaped => Ok(Value::Number(x)),
            _ => {
                self.pos = start;
                Err(self.error("a number"))
            }
        }
    }

    /// `"` is next.
    fn string(&mut self) -> Result<String, String> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(c) = rest.chars().next() else {
                return Err(self.error("'\"'"));
            };
            match c {
                '"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                '\\' => {
                    self.pos += 1;
                    let escaped = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let unit = self.hex4()?;
                            let code = if (0xd800..0xdc00).contains(&unit) && self.eat("\\u") {
                                let low = self.hex4()?;
                                if (0xdc00..0xe000).contains(&low) {
                                    0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
                                } else {
                                    u32::from(char::REPLACEMENT_CHARACTER)
                                }
                            } else {
                                unit
                            };
                            out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                            continue;
                        }
                        _ => return Err(self.error("an escape")),
                    };
                    out.push(escaped);
                    self.pos += 1;
                }
                c if u32::from(c) < 0x20 => return Err(self.error("no control character in a string")),
                c => {
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    /// Four hex digits.
    fn hex4(&mut self) -> Result<u32, String> {
        let digits =
            self.text.get(self.pos..self.pos + 4).filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()));
        match digits.and_then(|d| u32::from_str_radix(d, 16).ok()) {
            Some(unit) => {
                self.pos += 4;
                Ok(unit)
            }
            None => Err(self.error("four hex digits")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_runner_line_parses() {
        let line = r#"{"scenario": "chain-10k", "size": 10000, "per_edge_ns": 27.882, "ratio": 5.496,
                       "ok": true, "target_met": false, "note": "", "extra": [1, {"a": null}]}"#;
        let v = parse(line).expect("valid");
        assert_eq!(v.get("scenario").and_then(Value::as_str), Some("chain-10k"));
        assert_eq!(v.get("size").and_then(Value::as_f64), Some(10000.0));
        assert_eq!(v.get("ratio").and_then(Value::as_f64), Some(5.496));
        assert_eq!(v.get("ok").and_then(Value::as_bool), Some(true));
        assert_eq!(
            v.get("extra"),
            Some(&Value::Array(vec![Value::Number(1.0), parse(r#"{"a":null}"#).unwrap()]))
        );
        assert_eq!(v.get("missing"), None);
    }

    #[test]
    fn quoted_strings_read_back_as_written() {
        for s in ["", "plain", "say \"hi\"", "back\\slash", "tab\tnew\nline\u{1}", "µs → ✓ 😀"] {
            assert_eq!(parse(&quote(s)), Ok(Value::String(s.to_string())), "{s:?}");
        }
        assert_eq!(parse(r#""\u00b5s \ud83d\ude00 \/""#), Ok(Value::String("µs 😀 /".into())));
    }

    #[test]
    fn numbers_follow_json() {
        for (text, x) in [("0", 0.0), ("-1.5", -1.5), ("2e3", 2000.0), ("1.25E-2", 0.0125)] {
            assert_eq!(parse(text), Ok(Value::Number(x)), "{text}");
        }
        for bad in ["+1", ".5", "1.", "-", "1e", "--1", "NaN", "inf"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_text_is_an_error_naming_the_byte() {
        for bad in ["", "{", "{\"a\" 1}", "{\"a\": 1,}", "[1 2]", "\"open", "{\"a\": 1} x", "tru", "{a: 1}"] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse("[1, x]"), Err("expected a value at byte 4, found 'x'".into()));
        assert!(parse(&"[".repeat(MAX_DEPTH + 1)).unwrap_err().contains("nested deeper"));
    }
}
