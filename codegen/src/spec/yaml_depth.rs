//! A bound on how deep a YAML text's flow collections (`[..]`, `{..}`) nest, checked
//! before the text reaches the YAML parser: libyaml's scanner takes time quadratic in
//! that depth (16,000 levels: 2 s, 100,000: over a minute), and only the deserialiser
//! after it stops at 128 levels.
//!
//! The scan is one linear pass of a simplified lexer: outside flow collections every `[`
//! and `{` opens one (brackets in scalars and block scalars are over-counted); inside,
//! quoted scalars and comments are skipped where YAML starts them (after a blank or
//! `[ { , : ?`) and every other bracket counts. It reads real spec text as libyaml does
//! up to that over-count; text crafted to start a quote where libyaml sees plain text
//! could hide nesting from it, which only costs time, never a wrong result.

/// How deep flow collections may nest (spec files nest a few levels; a JSON example in
/// a block scalar is over-counted by its own depth, which the importer bounds at 127).
pub const MAX_FLOW_DEPTH: usize = 512;

/// Where a text nests too deep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooDeep {
    /// 1-based line of the bracket that exceeds [`MAX_FLOW_DEPTH`].
    pub line: usize,
}

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "flow collections (`[`, `{{`) nest deeper than {MAX_FLOW_DEPTH} levels: refused \
             before parsing (the YAML parser's time grows with the square of the depth)"
        )
    }
}

impl std::error::Error for TooDeep {}

/// Deserialises YAML text after [`check`]ing its depth (for YAML read outside the spec
/// loader: the importer's patches and spec entries).
pub fn parse<T: serde::de::DeserializeOwned>(text: &str) -> anyhow::Result<T> {
    check(text).map_err(|e| anyhow::anyhow!("line {}: {e}", e.line))?;
    Ok(serde_yaml::from_str(text)?)
}

/// Checks that `text`'s flow collections nest at most [`MAX_FLOW_DEPTH`] levels.
pub fn check(text: &str) -> Result<(), TooDeep> {
    let s = text.as_bytes();
    let mut depth = 0usize;
    let mut line = 1usize;
    // The previous byte ends a token (or the text starts): a quote or `#` here begins a
    // quoted scalar or a comment.
    let mut boundary = true;
    let mut k = 0;
    while k < s.len() {
        let b = s[k];
        k += 1;
        if b == b'\n' {
            line += 1;
            boundary = true;
            continue;
        }
        if depth > 0 && boundary && (b == b'"' || b == b'\'') {
            // A quoted scalar, possibly over several lines.
            while k < s.len() {
                let c = s[k];
                k += 1;
                if c == b'\n' {
                    line += 1;
                } else if b == b'"' && c == b'\\' {
                    if s.get(k) == Some(&b'\n') {
                        line += 1;
                    }
                    k += 1;
                } else if c == b {
                    if b == b'\'' && s.get(k) == Some(&b'\'') {
                        k += 1;
                    } else {
                        break;
                    }
                }
            }
            boundary = false;
            continue;
        }
        if b == b'#' && boundary {
            while k < s.len() && s[k] != b'\n' {
                k += 1;
            }
            continue;
        }
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Err(TooDeep { line });
                }
            }
            b']' | b'}' if depth > 0 => depth -= 1,
            _ => {}
        }
        boundary = matches!(b, b' ' | b'\t' | b'\r' | b'[' | b'{' | b',' | b':' | b'?');
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_flow_collections_are_refused_with_their_line() {
        let deep = format!("a: 1\nb: {}\n", "[".repeat(100_000));
        assert_eq!(check(&deep), Err(TooDeep { line: 2 }));
        let maps = format!("a:\n  b: {}", "{a: ".repeat(MAX_FLOW_DEPTH + 1));
        assert_eq!(check(&maps), Err(TooDeep { line: 2 }));
        let ok = format!(
            "{}{}",
            "[".repeat(MAX_FLOW_DEPTH),
            "]".repeat(MAX_FLOW_DEPTH)
        );
        assert_eq!(check(&ok.repeat(3)), Ok(()));
    }

    #[test]
    fn quoted_closers_do_not_hide_depth() {
        // libyaml reads these as nested sequences holding strings like `]`.
        for item in ["[\"]\", ", "['] '' ]', ", "[\"\\\"]\", ", "[ # ]\n"] {
            let text = item.repeat(MAX_FLOW_DEPTH + 1);
            assert!(check(&text).is_err(), "{item:?}");
        }
    }

    #[test]
    fn ordinary_spec_text_passes() {
        let text = "description: Array of [ID] (see {x}), it's 'quoted [' and \"[[\"\n\
                    json: '{\"a\": [1, {\"b\": \"]]\"}]}'\n\
                    example: |-\n  {\n    \"result\": [[1], [2]]\n  }\n# [[[[ a comment\n";
        assert_eq!(check(text), Ok(()));
    }
}
