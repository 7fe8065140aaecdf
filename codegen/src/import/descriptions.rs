//! Results that describe fields instead of holding values: `*.fields` methods answer a
//! field description per field (`{"ID": {"type": "integer", "isRequired": false}}`, the
//! docs' `crm_rest_field_description`), under one key or not, and `disk.*.getFields`
//! answer descriptions of their own shape (`{"ID": {"TYPE": "integer", ...}}`). The
//! documented fields of the result are then typed as the description, their own type kept
//! in `doc_type`.

use crate::spec::model::Field;

use super::doc_types;
use super::page::Page;

/// Where the docs define the field descriptions `*.fields` methods return.
pub const FIELD_DESCRIPTION: (&str, &str) = (
    "api-reference/crm/data-types.md",
    "crm_rest_field_description",
);

impl Page<'_> {
    /// Types the result `result_ty` as field descriptions when the response example shows
    /// them (see the module docs).
    pub(super) fn fit_descriptions(
        &mut self,
        result_ty: &mut String,
        example_result: Option<&serde_json::Value>,
        page: &str,
    ) {
        if let Some(r) = example_result
            && is_descriptor_map(r)
        {
            self.field_descriptions(&mut *result_ty, page);
        } else if let Some(values) = example_result.and_then(upper_descriptor_values) {
            self.upper_field_descriptions(&*result_ty, &values, page);
        } else if let Some(key) = example_result.and_then(wrapped_descriptor_map) {
            // `{"catalog": {"id": {"type": ...}, ...}}`: the field descriptions sit under
            // one key, the result's only field.
            let at = self
                .types
                .iter()
                .position(|t| t.name == *result_ty)
                .and_then(|s| {
                    let fields = self.types[s].fields.as_ref()?;
                    let i = fields.iter().position(|f| f.name == key)?;
                    Some((s, i, fields[i].ty.clone()))
                });
            if let Some((s, i, mut ty)) = at {
                self.field_descriptions(&mut ty, page);
                if let Some(f) = self.types[s].fields.as_mut().and_then(|f| f.get_mut(i)) {
                    f.ty = ty;
                }
            } else {
                // The table lists the entity's fields and the key is not one of them: the
                // wrapper is modelled later (`round_trip::settle`), around this type.
                self.field_descriptions(&mut *result_ty, page);
            }
        }
    }

    /// `*.fields` methods answer a field description per field: the documented fields of
    /// the type `result_ty` names (the entity's, with the entity's types; the result's, or
    /// that of the one key the descriptions sit under) each become a `FieldDescription`,
    /// the documented type kept in `doc_type`; an undescribed `object` becomes
    /// `map<FieldDescription>`.
    fn field_descriptions(&mut self, result_ty: &mut String, page: &str) {
        let (file, anchor) = FIELD_DESCRIPTION;
        self.load_foreign(file);
        let Some(idx) = self
            .nested
            .iter()
            .position(|n| n.page == file && n.anchor.as_deref() == Some(anchor))
        else {
            self.diag(
                page,
                0,
                "result",
                format!("the result holds field descriptions, but {file}#{anchor} is missing"),
            );
            return;
        };
        let target = result_ty.clone();
        // The result is typed as the description table itself (`crm_rest_field_description`
        // in the result row), or a list of them: it is a map of them, one per field.
        let is_description_table = self.nested[idx].type_name.as_deref()
            == Some(target.strip_suffix("[]").unwrap_or(&target));
        if target == "object" || is_description_table {
            let name =
                self.type_for_table_named(idx, Some("FieldDescription"), "FieldDescription", "");
            *result_ty = format!("map<{name}>");
            return;
        }
        let Some(slot) = self
            .types
            .iter()
            .position(|t| t.name == target && t.fields.is_some())
        else {
            return;
        };
        let scalar_fields = self.types[slot]
            .fields
            .as_ref()
            .is_some_and(|f| f.iter().any(is_described));
        if !scalar_fields {
            return;
        }
        let name = self.type_for_table_named(idx, Some("FieldDescription"), "FieldDescription", "");
        self.describe_fields(slot, &name, page, &target);
    }

    /// `disk.*.getFields` answer `{"ID": {"TYPE": "integer", "USE_IN_FILTER": true}}`: field
    /// descriptions of their own shape, which the prose lists. The fields of `result_ty`
    /// that the example describes become a `FieldInfo` read from the example.
    fn upper_field_descriptions(
        &mut self,
        result_ty: &str,
        values: &[&serde_json::Value],
        page: &str,
    ) {
        let Some(slot) = self
            .types
            .iter()
            .position(|t| t.name == result_ty && t.fields.is_some())
        else {
            return;
        };
        let mut new = Vec::new();
        let Some(name) = super::shapes::infer_object("FieldInfo", values, &self.types, &mut new, 0)
        else {
            return;
        };
        self.types.extend(new);
        self.describe_fields(slot, &name, page, result_ty);
    }

    /// Types the documented fields of the type at `slot` as the description type `name`.
    fn describe_fields(&mut self, slot: usize, name: &str, page: &str, target: &str) {
        if let Some(fields) = self.types.get_mut(slot).and_then(|t| t.fields.as_mut()) {
            for f in fields.iter_mut().filter(|f| is_described(f)) {
                f.doc_type = Some(f.doc_type.clone().unwrap_or_else(|| f.ty.clone()));
                f.ty = name.to_string();
                f.wire = None;
                // The star says the entity's field is required, not that the method
                // describes it every time.
                f.required = false;
            }
        }
        self.note(
            page,
            0,
            "result",
            format!("the response example answers a field description per field: the fields of `{target}` are typed `{name}`"),
        );
    }
}

/// `{"ID": {"type": "integer", "isRequired": false, ...}, ...}`: every value describes a
/// field, with `isRequired` or with keys of `crm_rest_field_description` only
/// (`{"type": "int", "title": "ID", "isReadOnly": true}`, `{"type": "string"}`).
fn is_descriptor_map(v: &serde_json::Value) -> bool {
    const KEYS: [&str; 8] = [
        "type",
        "isRequired",
        "isReadOnly",
        "isImmutable",
        "isMultiple",
        "isDynamic",
        "title",
        "upperName",
    ];
    let describes = |f: &serde_json::Value| {
        f.get("type").is_some_and(serde_json::Value::is_string)
            && (f.get("isRequired").is_some()
                || f.as_object()
                    .is_some_and(|o| o.keys().all(|k| KEYS.contains(&k.as_str()))))
    };
    v.as_object()
        .is_some_and(|o| !o.is_empty() && o.values().all(describes))
}

/// Whether a `*.fields` result describes this field: a documented field, not a nested
/// object of the result (a file in a result is an `object`, `make_field`, and a field).
fn is_described(f: &Field) -> bool {
    f.ty != "object"
        || f.doc_type
            .as_deref()
            .is_some_and(|d| doc_types::map(d).ty.trim_end_matches("[]") == "file")
}

/// The descriptions of a result whose every value is an object with a `TYPE`, some of
/// them naming a docs type (`{"ID": {"TYPE": "integer", "USE_IN_FILTER": true}}`), none
/// the key itself (`{"mainpage": {"TYPE": "mainpage", ...}}` is a map of records).
fn upper_descriptor_values(v: &serde_json::Value) -> Option<Vec<&serde_json::Value>> {
    let o = v.as_object()?;
    let typed = o
        .iter()
        .all(|(k, f)| f.get("TYPE").is_some_and(|t| t.as_str() != Some(k)));
    let names_a_type = o
        .values()
        .filter_map(|f| f.get("TYPE")?.as_str())
        .any(|t| doc_types::map(t).known);
    (typed && names_a_type).then(|| o.values().collect())
}

/// The key of a result that holds field descriptions under one key
/// (`{"catalog": {"id": {"type": "integer", "isRequired": false}}}`).
fn wrapped_descriptor_map(v: &serde_json::Value) -> Option<String> {
    let o = v.as_object()?;
    let (key, inner) = o.iter().next()?;
    (o.len() == 1 && is_descriptor_map(inner)).then(|| key.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_descriptions_are_told_from_values() {
        use serde_json::json;
        assert!(is_descriptor_map(
            &json!({"ID": {"type": "integer", "isRequired": false, "items": []}})
        ));
        assert!(is_descriptor_map(
            &json!({"ID": {"type": "int", "title": "ID", "isReadOnly": true}, "X": {"type": "string"}})
        ));
        // An entity whose fields happen to include `type`.
        assert!(!is_descriptor_map(
            &json!({"1": {"type": "call", "title": "Call", "id": 1}})
        ));
        assert!(!is_descriptor_map(&json!({"ID": {"type": 5}})));
        assert_eq!(
            wrapped_descriptor_map(&json!({"fields": {"groupId": {"type": "integer"}}})).as_deref(),
            Some("fields")
        );
    }
}
