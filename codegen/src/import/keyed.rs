//! Tables keyed by a placeholder: a table whose only row is named `<siteId>`, `{BOT_ID}`
//! (also written `/{BOT_ID/}`), `chat<chatId>` or `<node selector>@<position>` documents
//! the values of an object keyed by IDs or selectors, not a field: the object is a
//! `map<T>` of that row's type. A placeholder row beside named rows is left as it is.

use crate::spec::model::TypeDef;
use crate::spec::types::TypeExpr;

/// How many nested placeholder tables are followed (`{ID}` → `<selector>` → ...).
const MAX_NESTING: usize = 8;

/// Whether a row's name is a placeholder for keys rather than a key.
pub fn is_placeholder_key(name: &str) -> bool {
    let between = |open: char, close: char| {
        name.find(open)
            .is_some_and(|i| name[i + open.len_utf8()..].contains(close))
    };
    between('<', '>') || between('{', '}')
}

/// Whether a description shows the value's format as a JSON object whose only key is a
/// placeholder (`{"<selector>": {"classList": [], ...}}`, `landing.block.updateStyles`):
/// the value is keyed by what the placeholder stands for.
pub fn format_is_keyed(desc_md: &str) -> bool {
    // Most descriptions have no code block: no parse for them.
    desc_md.contains("```")
        && super::yfm::parse(desc_md).blocks.iter().any(|b| {
            let super::yfm::Block::Fence(f) = b else {
                return false;
            };
            serde_json::from_str::<serde_json::Value>(&f.body)
                .ok()
                .and_then(|v| v.as_object().cloned())
                .is_some_and(|o| o.len() == 1 && o.keys().all(|k| is_placeholder_key(k)))
        })
}

/// Whether a description shows the value as an object of numbered placeholder keys whose
/// values are objects: "An object in the format `{"lang_1": "value_1", ... "lang_N":
/// "value_N"}`, where `lang_N` is the language identifier, and `value` is an object of type
/// crm_currency_localization" (`crm.currency.*`): no table names the keys, so the value is
/// a map of those objects. Keys written `field_1` are the fields an entity's table names
/// (the `*.getFields` answers, typed field by field), and the same format whose values are
/// the fields' values (a `fields` parameter) says nothing of objects: neither is a map.
pub fn numbered_keys_hold_objects(desc_md: &str) -> bool {
    let lower = desc_md.to_lowercase();
    let objects = ["`value` is an object", "`value_n` is an object"]
        .iter()
        .any(|p| lower.contains(p));
    objects
        && super::text::code_spans(desc_md).iter().any(|s| {
            s.starts_with("{\"")
                && !s.starts_with("{\"field_")
                && s.contains("_1\":")
                && s.contains("_N\":")
        })
}

/// Rewrites every use of an object type keyed by a placeholder, in `roots` (parameter,
/// result or data types) and in the fields of `types`, as `map<T>`; returns notes. The
/// replaced types are left unused, for pruning.
pub fn placeholder_maps<'a>(
    roots: impl IntoIterator<Item = &'a mut String>,
    types: &mut [TypeDef],
) -> Vec<String> {
    let keyed: Vec<(String, String)> = types
        .iter()
        .filter_map(|t| match t.fields.as_deref() {
            Some([only]) if is_placeholder_key(&only.name) => {
                Some((t.name.clone(), format!("map<{}>", only.ty)))
            }
            _ => None,
        })
        .collect();
    if keyed.is_empty() {
        return Vec::new();
    }
    let rewrite = |ty: &mut String| {
        for _ in 0..MAX_NESTING {
            let next = TypeExpr::map_named_text(ty, &|n| {
                keyed
                    .iter()
                    .find(|(k, _)| k == n)
                    .map_or_else(|| n.to_string(), |(_, map)| map.clone())
            });
            if next == *ty {
                break;
            }
            *ty = next;
        }
    };
    for ty in roots {
        rewrite(ty);
    }
    for t in types.iter_mut() {
        for f in t.fields.iter_mut().flatten() {
            rewrite(&mut f.ty);
        }
    }
    keyed
        .iter()
        .map(|(name, map)| {
            format!("type {name} documents one placeholder key: its uses are `{map}`")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::model::Field;

    fn object(name: &str, fields: &[(&str, &str)]) -> TypeDef {
        let mut t: TypeDef = serde_yaml::from_str(&format!("name: {name}\nfields: []\n")).unwrap();
        t.fields = Some(
            fields
                .iter()
                .map(|(n, ty)| {
                    serde_yaml::from_str::<Field>(&format!("{{name: '{n}', type: '{ty}'}}"))
                        .unwrap()
                })
                .collect(),
        );
        t
    }

    #[test]
    fn a_format_keyed_by_a_placeholder_is_a_map() {
        let keyed =
            "Object format:\n\n```json\n{\n    \"<selector>\": {\"style\": {}}\n}\n```\n\nwhere:";
        assert!(format_is_keyed(keyed));
        let named = "Format:\n\n```json\n{\"classList\": [], \"style\": {}}\n```";
        assert!(!format_is_keyed(named));
        assert!(!format_is_keyed("A `{\"<selector>\": ...}` in prose"));
    }

    #[test]
    fn numbered_keys_of_objects_are_a_map() {
        let lang = "An object in the format `{\"lang_1\": \"value_1\", ... \"lang_N\": \"value_N\"}`, \
                    where `lang_N` is the language identifier, and `value` is an object of type \
                    [crm_currency_localization](../data-types.md#crm_currency_localization).";
        assert!(numbered_keys_hold_objects(lang));
        // The values are the fields' values: a `fields` object, not a map.
        let fields = "Object format: `{\"field_1\": \"value_1\", ... \"field_N\": \"value_N\"}`, \
                      where `field_N` is the field name and `value_N` is its value.";
        assert!(!numbered_keys_hold_objects(fields));
        assert!(!numbered_keys_hold_objects(
            "`value` is an object of type X"
        ));
        // Keys that are an entity's fields: typed field by field (`*.getFields`).
        let described = "Object in the format `{\"field_1\": \"value_1\", ... \"field_N\": \"value_N\"}`, \
                         where `field` is the identifier of the field, and `value` is an object \
                         of type rest_field_description";
        assert!(!numbered_keys_hold_objects(described));
    }

    #[test]
    fn a_table_of_one_placeholder_row_is_a_map() {
        let mut types = vec![
            object("Bot", &[("/{BOT_ID/}", "BotItem")]),
            object("BotItem", &[("access_token", "string")]),
            object("Rights", &[("<siteId>", "Selectors[]")]),
            object("Selectors", &[("<selector>", "string")]),
            object("Chat", &[("id", "integer"), ("chat<chatId>", "string")]),
        ];
        let mut data = "Bot".to_string();
        let mut result = "Rights | null".to_string();
        let notes = placeholder_maps([&mut data, &mut result], &mut types);
        assert_eq!(data, "map<BotItem>");
        assert_eq!(result, "map<map<string>[]> | null");
        assert_eq!(notes.len(), 3, "{notes:?}");
        // Beside a named row, a placeholder row stays (a family of keys).
        assert_eq!(types[4].fields.as_ref().unwrap().len(), 2);
        assert!(!is_placeholder_key("access_token"));
        assert!(is_placeholder_key("<node selector>@<position>"));
    }
}
