//! The one table mapping the docs' type tokens onto the spec's type grammar.
//!
//! Every row says why. A token not in the table becomes `any` and is reported, so the
//! table can be extended; `T[]` maps element-wise, `A | B` unions become `any`
//! (the docs' token is kept in `doc_type`).

/// `(docs token, spec type, why)`. A token starting with `*` is a suffix pattern
/// (`*.id` matches `sale_order.id`). Lookup is exact first, then case-insensitive.
pub const DOC_TYPES: &[(&str, &str, &str)] = &[
    // The grammar's own scalars, as the docs spell them.
    ("string", "string", "UTF-8 text"),
    ("integer", "integer", "whole number"),
    ("double", "double", "floating-point number"),
    (
        "boolean",
        "boolean",
        "truth value; the wire format (Y/N, 1/0) is set per field",
    ),
    (
        "char",
        "char",
        "a one-character code, usually `Y`/`N` (those become boolean + wire yn)",
    ),
    ("date", "date", "calendar date"),
    ("datetime", "datetime", "date and time, ISO 8601"),
    ("timestamp", "timestamp", "Unix time in seconds"),
    ("file", "file", "an uploaded file"),
    (
        "object",
        "object",
        "a JSON object whose keys the row does not list",
    ),
    ("any", "any", "the docs say any JSON value"),
    // Spelling variants and typos.
    ("int", "integer", "short spelling of integer"),
    ("bool", "boolean", "short spelling of boolean"),
    (
        "datatime",
        "datetime",
        "typo of datetime (bizproc.task.list WORKFLOW_STARTED)",
    ),
    ("text", "string", "data-types.md: multi-line string value"),
    ("str", "string", "short spelling of string"),
    ("number", "double", "a JSON number"),
    ("float", "double", "a floating-point number"),
    // Containers whose element type the token does not say.
    (
        "array",
        "any[]",
        "data-types.md: a set of elements; the element type is in prose at best (patches refine it)",
    ),
    (
        "null",
        "any",
        "the result is always `null`; `any` accepts it",
    ),
    (
        "time",
        "object",
        "data-types.md#time: the request timing object (start, finish, duration, ...)",
    ),
    // Links to objects and directories (api-reference/data-types.md, crm/data-types.md).
    (
        "user",
        "integer",
        "data-types.md: integer identifier of a Bitrix24 user",
    ),
    (
        "crm_status",
        "string",
        "crm/data-types.md: string identifier of a CRM directory element (`NEW`)",
    ),
    (
        "crm_lead",
        "integer",
        "crm/data-types.md: integer identifier of a lead",
    ),
    (
        "crm_deal",
        "integer",
        "crm/data-types.md: integer identifier of a deal",
    ),
    (
        "crm_contact",
        "integer",
        "crm/data-types.md: integer identifier of a contact",
    ),
    (
        "crm_company",
        "integer",
        "crm/data-types.md: integer identifier of a company",
    ),
    (
        "crm_quote",
        "integer",
        "crm/data-types.md: integer identifier of an estimate",
    ),
    (
        "crm_category",
        "integer",
        "crm/data-types.md: integer identifier of a funnel",
    ),
    (
        "crm_entity",
        "integer",
        "crm/data-types.md: integer identifier of an element of some CRM object",
    ),
    (
        "crm_item_product_row",
        "integer",
        "crm/data-types.md: integer identifier of a product row",
    ),
    (
        "crm_currency",
        "string",
        "fields of this type (CURRENCY_ID) hold the currency code (`USD`), not the currency object",
    ),
    (
        "crm_multifield",
        "object[]",
        "multifields (PHONE, EMAIL, WEB, IM, LINK) hold a list of {ID, TYPE_ID, VALUE, VALUE_TYPE} objects",
    ),
    (
        "crm_orderentity",
        "object",
        "crm/data-types.md: object binding an order to a CRM object",
    ),
    (
        "crm_activity_communication",
        "object[]",
        "COMMUNICATIONS: a list of communication objects (crm.activity.communication.fields)",
    ),
    (
        "crm_activity_binding",
        "object[]",
        "BINDINGS: a list of {OWNER_TYPE_ID, OWNER_ID} objects",
    ),
    (
        "crm_enum_activitytype",
        "integer",
        "an ID from crm.enum.activitytype",
    ),
    (
        "crm_enum_activitystatus",
        "integer",
        "an ID from crm.enum.activitystatus",
    ),
    (
        "crm_enum_activitypriority",
        "integer",
        "an ID from crm.enum.activitypriority",
    ),
    (
        "crm_enum_activitynotifytype",
        "integer",
        "an ID from crm.enum.activitynotifytype",
    ),
    (
        "crm_enum_activitydirection",
        "integer",
        "an ID from crm.enum.activitydirection",
    ),
    (
        "crm_enum_contenttype",
        "integer",
        "an ID from crm.enum.contenttype",
    ),
    (
        "crm.enum.activitytype",
        "integer",
        "an ID from the method of that name",
    ),
    (
        "crm.enum.activitystatus",
        "integer",
        "an ID from the method of that name",
    ),
    (
        "crm.enum.activitypriority",
        "integer",
        "an ID from the method of that name",
    ),
    (
        "crm.enum.activitynotifytype",
        "integer",
        "an ID from the method of that name",
    ),
    (
        "crm.enum.activitydirection",
        "integer",
        "an ID from the method of that name",
    ),
    (
        "crm.enum.contenttype",
        "integer",
        "an ID from the method of that name",
    ),
    (
        "enumeration",
        "integer",
        "a list-type user field: the ID of the chosen item",
    ),
    (
        "diskfile",
        "any",
        "Drive files: descriptors when writing, [{id, url}] when reading",
    ),
    (
        "attached_diskfile",
        "file",
        "a file uploaded with the request ([name, base64])",
    ),
    (
        "lead",
        "object",
        "a lead object (fields described on the page)",
    ),
    (
        "deal",
        "object",
        "a deal object (fields described in crm.deal.get)",
    ),
    (
        "item",
        "object",
        "a CRM item object (fields described in crm-object-fields)",
    ),
    (
        "type",
        "object",
        "a SPA type object (crm/data-types.md#type)",
    ),
    (
        "LayoutDto",
        "object",
        "the configurable-activity layout structure (structure/layout.md)",
    ),
    (
        "RestAppLayoutDto",
        "object",
        "the layout-blocks structure (structure/rest-app-layout-dto.md)",
    ),
    (
        "relation",
        "object",
        "crm/data-types.md#relation: an object describing a linked CRM element",
    ),
    (
        "rest_field_description",
        "object",
        "a field description object (type, isRequired, ...)",
    ),
    (
        "lang_map",
        "map<string>",
        "crm/data-types.md: language id → value",
    ),
    (
        "*.id",
        "integer",
        "`<object>.id`: the integer ID of another object (sale_order.id, crm_dynamic_type.id)",
    ),
];

/// A token mapped onto the grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    /// The spec type expression.
    pub ty: String,
    /// `false` when the token (or part of it) is not in [`DOC_TYPES`].
    pub known: bool,
}

/// Maps a docs type token (`string`, `crm_status`, `integer[]`, `string | object`).
pub fn map(token: &str) -> Mapped {
    let token = token.trim();
    if token.contains('|') {
        let known = token.split('|').all(|t| map(t).known);
        return Mapped {
            ty: "any".into(),
            known,
        };
    }
    if let Some(base) = token.strip_suffix("[]") {
        let m = map(base);
        // A token that already names a list (`crm_multifield`: the list of a contact's
        // phones) written `crm_multifield[]` is that list, not a list of lists.
        // `array[]` stays a list of arrays.
        let list_token = m.ty.ends_with("[]") && !base.eq_ignore_ascii_case("array");
        return Mapped {
            ty: if list_token {
                m.ty
            } else {
                format!("{}[]", parenthesise(&m.ty))
            },
            known: m.known,
        };
    }
    if let Some((_, ty, _)) = DOC_TYPES.iter().find(|(t, _, _)| *t == token) {
        return Mapped {
            ty: (*ty).to_string(),
            known: true,
        };
    }
    let lower = token.to_lowercase();
    if let Some((_, ty, _)) = DOC_TYPES
        .iter()
        .find(|(t, _, _)| !t.starts_with('*') && t.to_lowercase() == lower)
    {
        return Mapped {
            ty: (*ty).to_string(),
            known: true,
        };
    }
    for (pat, ty, _) in DOC_TYPES {
        if let Some(suffix) = pat.strip_prefix('*')
            && token.len() > suffix.len()
            && token.ends_with(suffix)
        {
            return Mapped {
                ty: (*ty).to_string(),
                known: true,
            };
        }
    }
    Mapped {
        ty: "any".into(),
        known: false,
    }
}

fn parenthesise(ty: &str) -> String {
    if ty.contains('|') {
        format!("({ty})")
    } else {
        ty.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::types::TypeExpr;

    #[test]
    fn table_rows_are_valid_types() {
        for (token, ty, why) in DOC_TYPES {
            assert!(TypeExpr::parse(ty).is_ok(), "{token} → {ty}");
            assert!(!why.is_empty());
        }
    }

    #[test]
    fn tokens() {
        assert_eq!(map("datatime").ty, "datetime");
        assert_eq!(map("integer[]").ty, "integer[]");
        assert_eq!(map("crm_dynamic_type.id[]").ty, "integer[]");
        assert_eq!(map("sale_order.id").ty, "integer");
        assert_eq!(
            map("string | object"),
            Mapped {
                ty: "any".into(),
                known: true
            }
        );
        assert_eq!(map("array").ty, "any[]");
        assert_eq!(map("array[]").ty, "any[][]");
        assert_eq!(map("crm_multifield").ty, "object[]");
        assert_eq!(map("crm_multifield[]").ty, "object[]");
        assert_eq!(map("Bool").ty, "boolean");
        assert_eq!(
            map("mystery"),
            Mapped {
                ty: "any".into(),
                known: false
            }
        );
    }
}
