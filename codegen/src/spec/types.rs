//! The spec's type grammar, with a small recursive-descent parser.
//!
//! ```text
//! type    := postfix ( "|" "null" )?
//! postfix := atom ( "[]" )*
//! atom    := scalar | "map<" type ">" | Name | "(" type ")"
//! scalar  := string | integer | double | boolean | char | date | datetime
//!          | timestamp | file | object | any
//! Name    := [A-Z][A-Za-z0-9]*        (a named type of the method or of spec/types)
//! ```

use std::fmt;

/// How deep a type may nest (`map<integer[]>[] | null` is 4 deep; the docs need 3). The
/// generator walks types recursively, so deeper expressions are refused when parsed.
pub const MAX_DEPTH: usize = 32;

/// The built-in scalar types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scalar {
    /// UTF-8 text.
    String,
    /// Whole number (64-bit); accepted as a JSON number or numeric string.
    Integer,
    /// Floating-point number.
    Double,
    /// Truth value; see the field's wire format.
    Boolean,
    /// A short code, usually one character (`Y`).
    Char,
    /// Calendar date, ISO 8601 (`2024-05-01`).
    Date,
    /// Date and time, ISO 8601 with offset (`2024-05-01T10:00:00+03:00`).
    Datetime,
    /// Unix time in seconds.
    Timestamp,
    /// An uploaded file: `[name, base64 content]`.
    File,
    /// A JSON object whose keys the docs do not list.
    Object,
    /// Any JSON value.
    Any,
}

impl Scalar {
    /// All scalars with their spelling.
    pub const ALL: [(&'static str, Scalar); 11] = [
        ("string", Scalar::String),
        ("integer", Scalar::Integer),
        ("double", Scalar::Double),
        ("boolean", Scalar::Boolean),
        ("char", Scalar::Char),
        ("date", Scalar::Date),
        ("datetime", Scalar::Datetime),
        ("timestamp", Scalar::Timestamp),
        ("file", Scalar::File),
        ("object", Scalar::Object),
        ("any", Scalar::Any),
    ];

    /// The spelling in the spec.
    pub fn as_str(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map_or("any", |(n, _)| n)
    }

    /// Whether a form field carries it as one value (`integer`, `string`, a date, ...): not
    /// `object`, `any` or `file` (an event's `data_type`).
    pub fn is_single_value(self) -> bool {
        !matches!(self, Scalar::Object | Scalar::Any | Scalar::File)
    }

    fn from_name(name: &str) -> Option<Scalar> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
    }
}

/// A parsed type expression.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TypeExpr {
    /// A built-in scalar.
    Scalar(Scalar),
    /// A named type (object or enum).
    Named(String),
    /// `T[]`.
    Array(Box<TypeExpr>),
    /// `map<T>`: JSON object with string keys.
    Map(Box<TypeExpr>),
    /// `T | null`.
    Nullable(Box<TypeExpr>),
}

impl TypeExpr {
    /// Parses a type expression.
    pub fn parse(input: &str) -> Result<TypeExpr, TypeError> {
        let mut p = Parser {
            input,
            pos: 0,
            open: 0,
        };
        let ty = p.ty()?;
        p.skip_ws();
        if p.pos < input.len() {
            return Err(p.error(format!("unexpected `{}` after the type", &input[p.pos..])));
        }
        Ok(ty)
    }

    /// Calls `f` on every named type the expression references.
    pub fn for_each_named(&self, f: &mut impl FnMut(&str)) {
        match self {
            TypeExpr::Scalar(_) => {}
            TypeExpr::Named(n) => f(n),
            TypeExpr::Array(t) | TypeExpr::Map(t) | TypeExpr::Nullable(t) => t.for_each_named(f),
        }
    }

    /// The expression with every named type replaced by `f(name)`.
    pub fn map_named(&self, f: &impl Fn(&str) -> String) -> TypeExpr {
        match self {
            TypeExpr::Scalar(s) => TypeExpr::Scalar(*s),
            TypeExpr::Named(n) => TypeExpr::Named(f(n)),
            TypeExpr::Array(t) => TypeExpr::Array(Box::new(t.map_named(f))),
            TypeExpr::Map(t) => TypeExpr::Map(Box::new(t.map_named(f))),
            TypeExpr::Nullable(t) => TypeExpr::Nullable(Box::new(t.map_named(f))),
        }
    }

    /// The type expression text `ty` with every named type replaced by `f(name)`; text
    /// that does not parse is returned as it is (the validator reports it).
    pub fn map_named_text(ty: &str, f: &impl Fn(&str) -> String) -> String {
        match TypeExpr::parse(ty) {
            Ok(t) => t.map_named(f).to_string(),
            Err(_) => ty.to_owned(),
        }
    }

    /// How deep the type nests: 1 for a scalar or a name, plus one per array, map and
    /// `| null` around it.
    pub fn depth(&self) -> usize {
        let mut n = 1;
        let mut t = self;
        while let TypeExpr::Array(inner) | TypeExpr::Map(inner) | TypeExpr::Nullable(inner) = t {
            n += 1;
            t = inner;
        }
        n
    }

    /// The innermost type after removing arrays, maps and nullability.
    pub fn innermost(&self) -> &TypeExpr {
        match self {
            TypeExpr::Array(t) | TypeExpr::Map(t) | TypeExpr::Nullable(t) => t.innermost(),
            other => other,
        }
    }
}

impl fmt::Display for TypeExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TypeExpr::Scalar(s) => f.write_str(s.as_str()),
            TypeExpr::Named(n) => f.write_str(n),
            TypeExpr::Array(t) => match **t {
                TypeExpr::Nullable(_) => write!(f, "({t})[]"),
                _ => write!(f, "{t}[]"),
            },
            TypeExpr::Map(t) => write!(f, "map<{t}>"),
            TypeExpr::Nullable(t) => write!(f, "{t} | null"),
        }
    }
}

/// A type expression that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeError {
    /// Byte offset in the expression.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for TypeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at column {})", self.message, self.offset + 1)
    }
}

struct Parser<'a> {
    input: &'a str,
    pos: usize,
    /// `(` and `map<` open around `pos`.
    open: usize,
}

impl<'a> Parser<'a> {
    fn error(&self, message: String) -> TypeError {
        TypeError {
            offset: self.pos,
            message,
        }
    }

    /// `wrap(ty)` for the token at `at`, unless that nests deeper than [`MAX_DEPTH`].
    fn wrap(
        &self,
        ty: TypeExpr,
        wrap: fn(Box<TypeExpr>) -> TypeExpr,
        at: usize,
    ) -> Result<TypeExpr, TypeError> {
        if ty.depth() >= MAX_DEPTH {
            return Err(too_deep(at));
        }
        Ok(wrap(Box::new(ty)))
    }

    /// Enters the `(` or `map<` at `at`.
    fn open(&mut self, at: usize) -> Result<(), TypeError> {
        if self.open >= MAX_DEPTH {
            return Err(too_deep(at));
        }
        self.open += 1;
        Ok(())
    }

    fn skip_ws(&mut self) {
        while self.input[self.pos..].starts_with(' ') {
            self.pos += 1;
        }
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        if self.input[self.pos..].starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn ty(&mut self) -> Result<TypeExpr, TypeError> {
        let inner = self.postfix()?;
        self.skip_ws();
        let bar = self.pos;
        if self.eat("|") {
            self.skip_ws();
            let start = self.pos;
            let word = self.word();
            if word != "null" {
                self.pos = start;
                return Err(self.error(format!(
                    "only `T | null` unions are allowed, found `| {}`; use `any` for other unions",
                    if word.is_empty() {
                        &self.input[start..]
                    } else {
                        word
                    }
                )));
            }
            if matches!(inner, TypeExpr::Nullable(_)) {
                return Err(self.error("`| null` given twice".into()));
            }
            return self.wrap(inner, TypeExpr::Nullable, bar);
        }
        Ok(inner)
    }

    fn postfix(&mut self) -> Result<TypeExpr, TypeError> {
        let mut ty = self.atom()?;
        loop {
            self.skip_ws();
            let at = self.pos;
            if !self.eat("[]") {
                break;
            }
            ty = self.wrap(ty, TypeExpr::Array, at)?;
        }
        Ok(ty)
    }

    fn word(&mut self) -> &'a str {
        let rest: &'a str = &self.input[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    fn atom(&mut self) -> Result<TypeExpr, TypeError> {
        self.skip_ws();
        let start = self.pos;
        if self.eat("(") {
            self.open(start)?;
            let inner = self.ty()?;
            if !self.eat(")") {
                return Err(self.error("expected `)`".into()));
            }
            self.open -= 1;
            return Ok(inner);
        }
        let word = self.word().to_owned();
        if word.is_empty() {
            return Err(self.error(match self.input[self.pos..].chars().next() {
                Some(c) => format!("expected a type, found `{c}`"),
                None => "expected a type, found the end".into(),
            }));
        }
        if word == "map" {
            if !self.eat("<") {
                return Err(self.error("expected `<` after `map`".into()));
            }
            self.open(start)?;
            let inner = self.ty()?;
            if !self.eat(">") {
                return Err(self.error("expected `>` to close `map<`".into()));
            }
            self.open -= 1;
            return self.wrap(inner, TypeExpr::Map, start);
        }
        if let Some(s) = Scalar::from_name(&word) {
            return Ok(TypeExpr::Scalar(s));
        }
        let is_name = word.starts_with(|c: char| c.is_ascii_uppercase())
            && word.chars().all(|c| c.is_ascii_alphanumeric());
        if is_name {
            return Ok(TypeExpr::Named(word));
        }
        self.pos = start;
        Err(self.error(format!(
            "unknown type `{word}`: expected a scalar ({}), `map<T>`, or a named type in UpperCamelCase",
            Scalar::ALL.map(|(n, _)| n).join(", ")
        )))
    }
}

fn too_deep(at: usize) -> TypeError {
    TypeError {
        offset: at,
        message: format!("the type nests deeper than {MAX_DEPTH} levels"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_round_trip() {
        for src in [
            "integer",
            "integer[]",
            "string | null",
            "map<Field>",
            "map<integer[]>[]",
            "(string | null)[]",
            "Activity[] | null",
        ] {
            let ty = TypeExpr::parse(src).unwrap();
            assert_eq!(ty.to_string(), src);
        }
    }

    #[test]
    fn structure() {
        assert_eq!(
            TypeExpr::parse("Fields[] | null").unwrap(),
            TypeExpr::Nullable(Box::new(TypeExpr::Array(Box::new(TypeExpr::Named(
                "Fields".into()
            )))))
        );
    }

    #[test]
    fn located_errors() {
        let e = TypeExpr::parse("string | object").unwrap_err();
        assert_eq!(e.offset, 9);
        assert!(e.message.contains("only `T | null`"), "{e}");
        let e = TypeExpr::parse("crm_status").unwrap_err();
        assert_eq!(e.offset, 0);
        assert!(e.message.starts_with("unknown type `crm_status`"), "{e}");
        let e = TypeExpr::parse("map<integer").unwrap_err();
        assert_eq!(e.offset, 11);
        assert!(TypeExpr::parse("").is_err());
        assert!(TypeExpr::parse("integer[").is_err());
        assert!(TypeExpr::parse("integer | null | null").is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deepest = format!("{}integer{}", "map<".repeat(30), ">".repeat(30));
        assert_eq!(TypeExpr::parse(&deepest).unwrap().depth(), MAX_DEPTH - 1);
        let ok = format!("{deepest} | null");
        assert_eq!(TypeExpr::parse(&ok).unwrap().depth(), MAX_DEPTH);
        let e = TypeExpr::parse(&format!("{deepest}[] | null")).unwrap_err();
        assert_eq!(
            (e.offset, e.message.as_str()),
            (deepest.len() + 3, "the type nests deeper than 32 levels")
        );
        for (src, offset) in [
            (format!("integer{}", "[]".repeat(20_000)), 7 + 2 * 31),
            (
                format!("{}integer{}", "(".repeat(3_000), ")".repeat(3_000)),
                32,
            ),
            (
                format!("{}integer{}", "map<".repeat(3_000), ">".repeat(3_000)),
                4 * 32,
            ),
        ] {
            let e = TypeExpr::parse(&src).unwrap_err();
            assert_eq!(
                (e.offset, e.message.as_str()),
                (offset, "the type nests deeper than 32 levels"),
                "{}",
                &src[..40]
            );
        }
    }
}
