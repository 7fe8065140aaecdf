//! Mechanical repair of the docs' almost-JSON: comments, trailing commas, `...`
//! placeholders, single-quoted strings, unquoted keys and missing commas between
//! members. Anything else (unbalanced brackets, JavaScript expressions) is not repaired.

use std::collections::BTreeSet;

/// A JSON value that keeps number lexemes exactly as written.
#[derive(Debug, Clone, PartialEq)]
enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

/// How deep arrays and objects may nest (as deep as `serde_json` reads): the repair is
/// recursive, so deeper text is refused rather than overflowing the stack.
pub const MAX_DEPTH: usize = 127;

/// Valid JSON text, and what was repaired to get it (`None` when it was valid).
pub fn repair(text: &str) -> Result<(String, Option<String>), String> {
    let text = text.trim();
    if serde_json::from_str::<serde_json::Value>(text).is_ok() {
        return Ok((text.to_string(), None));
    }
    let mut p = Loose {
        s: text.chars().collect(),
        k: 0,
        depth: 0,
        fixes: BTreeSet::new(),
    };
    let v = p.value()?;
    p.ws();
    if p.k < p.s.len() {
        return Err(format!("unexpected `{}` after the JSON value", p.snippet()));
    }
    let mut out = String::new();
    print(&v, 0, &mut out);
    serde_json::from_str::<serde_json::Value>(&out)
        .map_err(|e| format!("repair produced invalid JSON: {e}"))?;
    let fixes: Vec<&str> = p.fixes.into_iter().collect();
    let what = if fixes.is_empty() {
        "reformatted".to_string()
    } else {
        fixes.join("; ")
    };
    Ok((out, Some(what)))
}

struct Loose {
    s: Vec<char>,
    k: usize,
    /// Arrays and objects open around `k`.
    depth: usize,
    fixes: BTreeSet<&'static str>,
}

impl Loose {
    fn snippet(&self) -> String {
        self.s[self.k..]
            .iter()
            .take(20)
            .collect::<String>()
            .replace('\n', " ")
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.k).copied()
    }

    /// Skips whitespace and comments.
    fn ws(&mut self) {
        loop {
            while self.peek().is_some_and(char::is_whitespace) {
                self.k += 1;
            }
            if self.peek() == Some('/') && self.s.get(self.k + 1) == Some(&'/') {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.k += 1;
                }
                self.fixes.insert("removed comments");
                continue;
            }
            if self.peek() == Some('/') && self.s.get(self.k + 1) == Some(&'*') {
                self.k += 2;
                while self.k < self.s.len()
                    && !(self.peek() == Some('*') && self.s.get(self.k + 1) == Some(&'/'))
                {
                    self.k += 1;
                }
                self.k = (self.k + 2).min(self.s.len());
                self.fixes.insert("removed comments");
                continue;
            }
            break;
        }
    }

    /// Skips `...`/`…` placeholders; returns whether one was found.
    fn ellipsis(&mut self) -> bool {
        self.ws();
        let mut found = false;
        loop {
            if self.peek() == Some('…') {
                self.k += 1;
            } else if self.peek() == Some('.') && self.s.get(self.k + 1) == Some(&'.') {
                while self.peek() == Some('.') {
                    self.k += 1;
                }
            } else {
                break;
            }
            found = true;
            self.fixes.insert("removed `...` placeholders");
            // A placeholder may be followed by a comma.
            self.ws();
            if self.peek() == Some(',') {
                self.k += 1;
            }
            self.ws();
        }
        found
    }

    fn value(&mut self) -> Result<J, String> {
        self.ws();
        if matches!(self.peek(), Some('{' | '[')) {
            if self.depth >= MAX_DEPTH {
                let line = self.s[..self.k].iter().filter(|&&c| c == '\n').count() + 1;
                return Err(format!(
                    "arrays and objects nested deeper than {MAX_DEPTH} levels (line {line} of the block)"
                ));
            }
            self.depth += 1;
            let v = if self.peek() == Some('{') {
                self.object()
            } else {
                self.array()
            };
            self.depth -= 1;
            return v;
        }
        match self.peek() {
            Some('"') | Some('\'') => self.string().map(J::Str),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number(),
            Some(c) if c.is_alphabetic() || c == '_' => {
                let word = self.ident();
                match word.as_str() {
                    "true" => Ok(J::Bool(true)),
                    "false" => Ok(J::Bool(false)),
                    "null" => Ok(J::Null),
                    _ => Err(format!("unexpected word `{word}`")),
                }
            }
            Some(_) => Err(format!("unexpected `{}`", self.snippet())),
            None => Err("unexpected end of text".into()),
        }
    }

    fn ident(&mut self) -> String {
        let start = self.k;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
        {
            self.k += 1;
        }
        self.s[start..self.k].iter().collect()
    }

    fn number(&mut self) -> Result<J, String> {
        let start = self.k;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.k += 1;
        }
        let lexeme: String = self.s[start..self.k].iter().collect();
        if serde_json::from_str::<serde_json::Number>(&lexeme).is_err() {
            return Err(format!("bad number `{lexeme}`"));
        }
        Ok(J::Num(lexeme))
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.peek().unwrap_or('"');
        if quote == '\'' {
            self.fixes.insert("double-quoted single-quoted strings");
        }
        self.k += 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err("unterminated string".into());
            };
            self.k += 1;
            if c == quote {
                return Ok(out);
            }
            if c == '\n' {
                return Err("line break inside a string".into());
            }
            if c != '\\' {
                out.push(c);
                continue;
            }
            let Some(e) = self.peek() else {
                return Err("unterminated string".into());
            };
            self.k += 1;
            match e {
                '"' | '\\' | '/' | '\'' => out.push(e),
                'b' => out.push('\u{8}'),
                'f' => out.push('\u{c}'),
                'n' => out.push('\n'),
                'r' => out.push('\r'),
                't' => out.push('\t'),
                'u' => {
                    let hex: String = self.s[self.k..(self.k + 4).min(self.s.len())]
                        .iter()
                        .collect();
                    let code = u32::from_str_radix(&hex, 16)
                        .map_err(|_| format!("bad escape \\u{hex}"))?;
                    self.k += 4;
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                other => {
                    self.fixes.insert("kept unknown escapes literally");
                    out.push('\\');
                    out.push(other);
                }
            }
        }
    }

    fn object(&mut self) -> Result<J, String> {
        self.k += 1;
        let mut members = Vec::new();
        let mut need_comma = false;
        loop {
            let skipped = self.ellipsis();
            self.ws();
            match self.peek() {
                Some('}') => {
                    self.k += 1;
                    return Ok(J::Obj(members));
                }
                Some(',') => {
                    self.k += 1;
                    need_comma = false;
                    self.ws();
                    if self.peek() == Some('}') {
                        self.fixes.insert("removed trailing commas");
                    }
                    continue;
                }
                None => {
                    self.fixes.insert("closed brackets left open at the end");
                    return Ok(J::Obj(members));
                }
                _ => {}
            }
            if need_comma && !skipped {
                self.fixes.insert("inserted missing commas");
            }
            let key = match self.peek() {
                Some('"') | Some('\'') => self.string()?,
                Some(c) if c.is_alphabetic() || c == '_' || c == '$' => {
                    self.fixes.insert("quoted unquoted keys");
                    self.ident()
                }
                Some(c) if c.is_ascii_digit() => {
                    self.fixes.insert("quoted unquoted keys");
                    self.ident()
                }
                _ => return Err(format!("expected a key at `{}`", self.snippet())),
            };
            self.ws();
            if self.peek() != Some(':') {
                return Err(format!("expected `:` after key `{key}`"));
            }
            self.k += 1;
            let v = self.value()?;
            members.push((key, v));
            need_comma = true;
            self.ws();
            if self.peek() == Some(',') {
                self.k += 1;
                need_comma = false;
                self.ws();
                if self.peek() == Some('}') {
                    self.fixes.insert("removed trailing commas");
                }
            }
        }
    }

    fn array(&mut self) -> Result<J, String> {
        self.k += 1;
        let mut items = Vec::new();
        let mut need_comma = false;
        loop {
            let skipped = self.ellipsis();
            self.ws();
            match self.peek() {
                Some(']') => {
                    self.k += 1;
                    return Ok(J::Arr(items));
                }
                Some(',') => {
                    self.k += 1;
                    need_comma = false;
                    self.ws();
                    if self.peek() == Some(']') {
                        self.fixes.insert("removed trailing commas");
                    }
                    continue;
                }
                None => {
                    self.fixes.insert("closed brackets left open at the end");
                    return Ok(J::Arr(items));
                }
                _ => {}
            }
            if need_comma && !skipped {
                self.fixes.insert("inserted missing commas");
            }
            items.push(self.value()?);
            need_comma = true;
            self.ws();
            if self.peek() == Some(',') {
                self.k += 1;
                need_comma = false;
                self.ws();
                if self.peek() == Some(']') {
                    self.fixes.insert("removed trailing commas");
                }
            }
        }
    }
}

fn print(v: &J, depth: usize, out: &mut String) {
    let pad = "    ".repeat(depth + 1);
    let end_pad = "    ".repeat(depth);
    match v {
        J::Null => out.push_str("null"),
        J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        J::Num(n) => out.push_str(n),
        J::Str(s) => out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())),
        J::Arr(items) if items.is_empty() => out.push_str("[]"),
        J::Obj(m) if m.is_empty() => out.push_str("{}"),
        J::Arr(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad);
                print(item, depth + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&end_pad);
            out.push(']');
        }
        J::Obj(m) => {
            out.push_str("{\n");
            for (i, (k, item)) in m.iter().enumerate() {
                out.push_str(&pad);
                out.push_str(&serde_json::to_string(k).unwrap_or_else(|_| "\"\"".into()));
                out.push_str(": ");
                print(item, depth + 1, out);
                out.push_str(if i + 1 < m.len() { ",\n" } else { "\n" });
            }
            out.push_str(&end_pad);
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_json_is_kept_verbatim() {
        let (json, fixed) = repair("  {\"a\": 1.50}\n").unwrap();
        assert_eq!(json, "{\"a\": 1.50}");
        assert_eq!(fixed, None);
    }

    #[test]
    fn mechanical_repairs() {
        let (json, fixed) = repair(
            "{\n  result: [\n    {'ID': \"1\", \"X\": 2.0,}, // more\n    ...\n  ],\n  \"total\": 3\n  \"next\": 50\n}",
        )
        .unwrap();
        assert_eq!(
            json,
            "{\n    \"result\": [\n        {\n            \"ID\": \"1\",\n            \"X\": 2.0\n        }\n    ],\n    \"total\": 3,\n    \"next\": 50\n}"
        );
        assert_eq!(
            fixed.as_deref(),
            Some(
                "double-quoted single-quoted strings; inserted missing commas; quoted unquoted keys; \
                 removed `...` placeholders; removed comments; removed trailing commas"
            )
        );
    }

    #[test]
    fn deep_nesting_is_refused_with_its_line() {
        let deep = format!("{{\"result\":\n{}", "[".repeat(100_000));
        let e = repair(&deep).unwrap_err();
        assert_eq!(
            e,
            "arrays and objects nested deeper than 127 levels (line 2 of the block)"
        );
        // As deep as serde_json reads is repaired.
        let ok = format!("{}1,{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        let (json, fixed) = repair(&ok).unwrap();
        assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok());
        assert_eq!(fixed.as_deref(), Some("removed trailing commas"));
        let too_deep = format!("[{ok}]");
        assert!(repair(&too_deep).unwrap_err().contains("deeper than 127"));
    }

    #[test]
    fn unrepairable() {
        assert!(repair("{\"a\": [1, 2}").is_err());
        let (json, fixed) = repair("{\"a\": {\"b\": [1, 2]}").unwrap();
        assert_eq!(
            json,
            "{\n    \"a\": {\n        \"b\": [\n            1,\n            2\n        ]\n    }\n}"
        );
        assert_eq!(
            fixed.as_deref(),
            Some("closed brackets left open at the end")
        );
        assert!(repair("fields:\n{\"a\": 1}").is_err());
        assert!(repair("{\"a\": f(x)}").is_err());
        assert!(repair("").is_err());
    }
}
