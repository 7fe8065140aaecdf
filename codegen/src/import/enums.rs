//! Allowed values given as bullet lists in description cells, and `Y`/`N` booleans.
//!
//! ```text
//! - `CONTACT` — contact        (also `–`, `-`, `:` as the dash, or no description)
//! - `1` — [lead](../leads/index.md)
//! ```
//! A list counts only when every top-level item has that shape; several such lists
//! in one cell (grouped under plain labels) are merged.

use crate::naming;
use crate::spec::model::{EnumRepr, EnumValue, WireFormat};

use super::text;

/// One documented value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bullet {
    /// The value as written on the wire.
    pub value: String,
    /// What it means (plain text).
    pub description: String,
}

/// The bullet-list values of a description, `None` when it has no value list.
pub fn bullets(desc_md: &str) -> Option<Vec<Bullet>> {
    // Each list with the line introducing it.
    let mut lists: Vec<(String, Vec<(usize, String)>)> = Vec::new();
    let mut current: Vec<(usize, String)> = Vec::new();
    let mut intro = String::new();
    let mut in_fence = false;
    for line in desc_md.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if let Some(item) = t.strip_prefix("- ").or_else(|| t.strip_prefix("* ")) {
            current.push((indent, item.trim().to_string()));
        } else if t.is_empty() {
            continue;
        } else if !current.is_empty() && indent > current.last().map_or(0, |c| c.0) {
            // Continuation of the last item: ignored.
        } else {
            if !current.is_empty() {
                lists.push((std::mem::take(&mut intro), std::mem::take(&mut current)));
            }
            intro = t.to_lowercase();
        }
    }
    if !current.is_empty() {
        lists.push((intro, current));
    }
    let mut out: Vec<Bullet> = Vec::new();
    for (intro, list) in lists {
        // "Possible extensions:" (`mp3` for a file name), "Supported formats for common
        // types:" (`CRM` — `<CRM_TYPE>|<ID>`: the values of another parameter), "a
        // serialized array with keys:" (`WIDTH`): the list describes the value, it does not
        // list it.
        let words = |w: &str| intro.split(|c: char| !c.is_alphanumeric()).any(|x| x == w);
        // ("Available keys:" of `feature.get`'s `CODE` are its values.)
        // "Examples of templates for the amount 1000:" (`$ #` of `FORMAT_STRING`): examples,
        // not the values.
        if words("extensions")
            || words("formats")
            || words("examples")
            || intro.contains("with keys")
        {
            continue;
        }
        let top = list.iter().map(|(i, _)| *i).min().unwrap_or(0);
        let items: Vec<&String> = list
            .iter()
            .filter(|(i, _)| *i == top)
            .map(|(_, s)| s)
            .collect();
        let parsed: Option<Vec<Bullet>> = items.iter().map(|s| item(s)).collect();
        // `` the template `{entityTypeName} #{id}`, where `` + a list of `entityTypeName`,
        // `id`: the list explains a template's placeholders, it does not give values.
        let placeholders = parsed.as_ref().is_some_and(|values| {
            values
                .iter()
                .all(|b| desc_md.contains(&format!("{{{}}}", b.value)))
        });
        // `chatXXX`, `U{id}`, `<connector>`, `#NAME#`, `PROPERTY_N`: the list shows formats
        // of an open set of values; `string` / `null`: whether a value is set. Neither lists
        // the values themselves.
        let formats = parsed.as_ref().is_some_and(|values| {
            values.iter().any(|b| is_format(&b.value)) || is_presence(values)
        });
        if let Some(values) = parsed.filter(|_| !placeholders && !formats) {
            for b in values {
                if !out.iter().any(|o| o.value == b.value) {
                    out.push(b);
                }
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Whether a listed value is a format with a placeholder (`chatXXX`, `U{id}`, `<LINE_ID>`,
/// `#NAME#`, `PROPERTY_N`) rather than a value.
fn is_format(value: &str) -> bool {
    value.contains("XXX")
        || super::keyed::is_placeholder_key(value)
        || is_macro(value)
        || value.ends_with("_N")
}

/// A Bitrix template macro, `#LAST_NAME#` (upper case: `#shared#` is a value).
fn is_macro(value: &str) -> bool {
    value.len() > 2
        && value.starts_with('#')
        && value.ends_with('#')
        && value[1..value.len() - 1]
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Whether the list tells only whether a value is set (`string` — set, `null` — not set).
fn is_presence(values: &[Bullet]) -> bool {
    const TYPES: [&str; 7] = [
        "null", "string", "integer", "number", "boolean", "object", "array",
    ];
    values.iter().any(|b| b.value == "null")
        && values.iter().all(|b| TYPES.contains(&b.value.as_str()))
}

/// `` `VALUE` — description `` → the bullet.
fn item(s: &str) -> Option<Bullet> {
    let rest = s.strip_prefix('`')?;
    let close = rest.find('`')?;
    let mut value = rest[..close].trim().to_string();
    if value.is_empty() || value.contains('\n') {
        return None;
    }
    // `""` (or `''`) in a value list is the empty string written as a literal, and `'P'`
    // the value `P` in quotes.
    for quote in ['"', '\''] {
        if value.len() >= 2 && value.starts_with(quote) && value.ends_with(quote) {
            value = value[1..value.len() - 1].to_string();
            break;
        }
    }
    let after = rest[close + 1..].trim_start_matches([',', '.', ';']).trim();
    let description = if after.is_empty() {
        String::new()
    } else {
        let d = ["—", "–", "-", ":"]
            .iter()
            .find_map(|dash| after.strip_prefix(dash))?;
        text::plain(d)
            .trim_end_matches([',', ';', '.'])
            .trim()
            .to_string()
    };
    Some(Bullet { value, description })
}

/// What a description says about a boolean's wire format.
pub fn boolean_wire(bullets: Option<&[Bullet]>, desc_md: &str) -> Option<WireFormat> {
    if let Some(b) = bullets {
        let mut vals: Vec<&str> = b.iter().map(|b| b.value.as_str()).collect();
        vals.sort_unstable();
        match vals.as_slice() {
            ["N", "Y"] => return Some(WireFormat::Yn),
            ["0", "1"] => return Some(WireFormat::Int01),
            _ => {}
        }
    }
    let flat: String = desc_md
        .chars()
        .filter(|c| !matches!(c, '`' | '\'' | '"' | '[' | ']' | '*'))
        .collect();
    let mentions_other = ["1/0", "0/1", "true/false", "true or false"]
        .iter()
        .any(|p| flat.contains(p));
    if mentions_other {
        return None;
    }
    let yn = ["Y/N", "Y|N", "Y or N", "N/Y", "N or Y", "Y, N"];
    let found = yn.iter().any(|p| {
        flat.match_indices(p).any(|(i, _)| {
            let before = flat[..i].chars().next_back();
            let after = flat[i + p.len()..].chars().next();
            !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
        })
    });
    found.then_some(WireFormat::Yn)
}

/// Whether the bullets are exactly `true`/`false`.
pub fn is_true_false(b: &[Bullet]) -> bool {
    let mut vals: Vec<&str> = b.iter().map(|b| b.value.as_str()).collect();
    vals.sort_unstable();
    vals == ["false", "true"]
}

/// Builds the enum values, with representation and variant names where needed.
pub fn enum_values(bullets: &[Bullet], integer: bool) -> Option<(EnumRepr, Vec<EnumValue>)> {
    let all_int = bullets.iter().all(|b| b.value.parse::<i64>().is_ok());
    if integer && !all_int {
        return None;
    }
    let repr = if integer {
        EnumRepr::Integer
    } else {
        EnumRepr::String
    };
    let mut used: Vec<String> = Vec::new();
    let mut values = Vec::new();
    // String values get a name only when their own spelling is unusable.
    let spelled: Vec<String> = bullets.iter().map(|b| naming::variant(&b.value)).collect();
    for (i, b) in bullets.iter().enumerate() {
        let own = &spelled[i];
        let own_ok = !integer
            && !b.value.starts_with(|c: char| c.is_ascii_digit())
            && own.chars().any(char::is_alphabetic)
            && spelled.iter().filter(|s| *s == own).count() == 1;
        let name = if own_ok {
            used.push(own.clone());
            None
        } else {
            let mut n = name_from_description(&b.description);
            let from_value = naming::type_name(&b.value);
            let value_word =
                from_value.chars().any(char::is_alphabetic) && !from_value.starts_with('V');
            if n.is_empty() {
                n = if value_word {
                    from_value.clone()
                } else {
                    format!("Value{}", b.value.trim_start_matches('-'))
                };
            }
            let clash = |n: &String, used: &Vec<String>| {
                used.contains(n) || (!integer && spelled.contains(n))
            };
            if clash(&n, &used) && value_word {
                n = format!("{n}{from_value}");
            }
            let base = n.clone();
            let mut k = 2;
            while clash(&n, &used) {
                n = format!("{base}{k}");
                k += 1;
            }
            used.push(n.clone());
            Some(n)
        };
        values.push(EnumValue {
            value: b.value.clone(),
            name,
            description: b.description.clone(),
        });
    }
    Some((repr, values))
}

/// `in progress` → `InProgress`; `[SPA](..). The identifier…` → `Spa`; at most 6 words.
pub fn name_from_description(desc: &str) -> String {
    let first = desc
        .split(['.', ',', ';', '(', ':', '—', '–'])
        .next()
        .unwrap_or("")
        .trim();
    let words: Vec<String> = first
        .split(|c: char| c.is_whitespace() || c == '-' || c == '/')
        .map(|w| {
            w.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let words: Vec<String> = words.into_iter().take(6).collect();
    let name = naming::type_name(&words.join(" "));
    if name.starts_with('V')
        && words
            .first()
            .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()))
    {
        return String::new();
    }
    if words.is_empty() {
        String::new()
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dash_variants() {
        let b = bullets("Type:\n- `CONTACT` — contact,\n- `COMPANY` – company\n- `LEAD` - lead\n- `X`: x\n- `Y`").unwrap();
        let v: Vec<(&str, &str)> = b
            .iter()
            .map(|b| (b.value.as_str(), b.description.as_str()))
            .collect();
        assert_eq!(
            v,
            vec![
                ("CONTACT", "contact"),
                ("COMPANY", "company"),
                ("LEAD", "lead"),
                ("X", "x"),
                ("Y", "")
            ]
        );
    }

    #[test]
    fn prose_lists_are_not_enums() {
        assert_eq!(bullets("- module identifier\n- object identifier"), None);
        assert_eq!(bullets("- `1` or `yes` — yes\n- `2` or `no` — no"), None);
        // A second, non-value list does not spoil the first.
        let b = bullets("Values:\n- `1` — a\n- `2` — b\n\nDepends:\n- Approval — `1`").unwrap();
        assert_eq!(b.len(), 2);
        // Nested items belong to their parent.
        let b = bullets("- `=%` — like:\n  - \"mol%\" — starts\n- `!` — not").unwrap();
        assert_eq!(b.len(), 2);
    }

    #[test]
    fn integer_enums_get_names() {
        let b = bullets("- `1` — [lead](../leads/index.md)\n- `2` — deal\n- `128` — [SPA](x.md). The identifier of a specific SPA").unwrap();
        let (repr, values) = enum_values(&b, true).unwrap();
        assert_eq!(repr, EnumRepr::Integer);
        let names: Vec<Option<&str>> = values.iter().map(|v| v.name.as_deref()).collect();
        assert_eq!(names, vec![Some("Lead"), Some("Deal"), Some("Spa")]);
    }

    #[test]
    fn punctuation_values_are_named_by_rule() {
        let b = bullets("Possible values:\n- `\"\"` — not set\n- `<=` — at most\n- `-` — none")
            .unwrap();
        assert_eq!(b[0].value, "");
        let (_, values) = enum_values(&b, false).unwrap();
        // Their own spelling names them (`naming::variant`: `Empty`, `LessOrEqual`, `Dash`).
        let names: Vec<Option<&str>> = values.iter().map(|v| v.name.as_deref()).collect();
        assert_eq!(names, [None, None, None]);
        let b =
            bullets("Possible values:\n- `$ #` — $ 1000\n- `# rub.` — 1000 rub\n- `€ #` — € 1000")
                .unwrap();
        let (_, values) = enum_values(&b, false).unwrap();
        let names: Vec<Option<&str>> = values.iter().map(|v| v.name.as_deref()).collect();
        assert_eq!(names, [None, None, None]);
    }

    #[test]
    fn string_values_named_only_when_needed() {
        let b = bullets("- `CONTACT` — contact\n- `1C` — one c").unwrap();
        let (_, values) = enum_values(&b, false).unwrap();
        assert_eq!(values[0].name, None);
        assert_eq!(values[1].name.as_deref(), Some("OneC"));
    }

    #[test]
    fn yn_booleans() {
        let yn = bullets("Possible values:\n- `Y` — yes\n- `N` — no").unwrap();
        assert_eq!(boolean_wire(Some(&yn), ""), Some(WireFormat::Yn));
        assert_eq!(
            boolean_wire(None, "Flag `Y`/`N` - register"),
            Some(WireFormat::Yn)
        );
        assert_eq!(
            boolean_wire(None, "Allowed values Y or N"),
            Some(WireFormat::Yn)
        );
        assert_eq!(
            boolean_wire(None, "completed (`Y`|`N`)"),
            Some(WireFormat::Yn)
        );
        assert_eq!(
            boolean_wire(None, "You can use `Y/N`, `1/0`, `true/false`"),
            None
        );
        assert_eq!(boolean_wire(None, "YES/NO"), None);
        let tf = bullets("- `true` — yes\n- `false` — no").unwrap();
        assert!(is_true_false(&tf));
        assert_eq!(boolean_wire(Some(&tf), ""), None);
    }

    #[test]
    fn lists_of_extensions_or_formats_give_no_values() {
        let d = "The name of the record file.\n\nPossible extensions:\n- `wav`\n- `mp3`";
        assert_eq!(bullets(d), None);
        let d = "Supported formats for common types:\n- `CRM` — `<CRM_TYPE>`|`<ID>`\n\
                 - `TASKS` — task identifier";
        assert_eq!(bullets(d), None);
        let d = "Either empty or a serialized array with keys:\n- `WIDTH` — width\n\
                 - `HEIGHT` — height";
        assert_eq!(bullets(d), None);
        let d = "A template.\n\nExamples of templates for the amount 1000:\n- `$ #` — $ 1000\n\
                 - `# rub.` — 1000 rub.";
        assert_eq!(bullets(d), None);
        let d = "Available keys:\n- `rest_offline_extended` — offline events";
        assert_eq!(bullets(d).map(|b| b.len()), Some(1));
        let d = "Possible values:\n- `wav` — a WAV file\n- `mp3` — an MP3 file";
        assert_eq!(bullets(d).map(|b| b.len()), Some(2));
    }

    #[test]
    fn formats_and_presence_lists_give_no_values() {
        let desc = "Chat:\n- `chatXXX` — chat\n- `sgXXX` — group chat\n- `XXX` — user";
        assert_eq!(bullets(desc), None);
        for list in [
            "- `U{id}` — user\n- `AU` — all users",
            "- `<connector>` — connector\n- `<LINE_ID>` — line",
            "- `#NAME#` — name\n- `#LAST_NAME#` — last name",
            "- `DETAIL_PICTURE` — picture\n- `PROPERTY_N` — property N",
            "- `string` — the name is set\n- `null` — not set",
        ] {
            assert_eq!(bullets(list), None, "{list}");
        }
        assert_eq!(
            bullets("- `#shared#` — slots\n- `#collab#` — collab").map(|b| b.len()),
            Some(2)
        );
        // User field types are values; quoted values lose their quotes.
        let types = bullets("- `string` — string\n- `integer` — integer").unwrap();
        assert_eq!(types.len(), 2);
        let quoted = bullets("- `'P'` — personal\n- `'C'` — common\n- `\"\"` — none").unwrap();
        let values: Vec<&str> = quoted.iter().map(|b| b.value.as_str()).collect();
        assert_eq!(values, ["P", "C", ""]);
    }

    #[test]
    fn a_list_of_a_templates_placeholders_gives_no_values() {
        let desc = "By default, the template `{entityTypeName} #{id}`, where\n- `entityTypeName` — entity name\n- `id` — item identifier";
        assert_eq!(bullets(desc), None);
        let desc = "Type:\n- `A` — first\n- `B` — second, as in `{A}`";
        assert_eq!(bullets(desc).map(|b| b.len()), Some(2));
    }
}
