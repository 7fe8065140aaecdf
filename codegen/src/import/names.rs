//! Names of the named types a page produces: from headings (`### PROPERTY Object` →
//! `Property`), from field names (`ENTITY_TYPE` → `EntityType`), or from the request
//! (`GetResult`). Names are unique within the method and never the request's own name.

use std::collections::BTreeSet;

use crate::naming;

/// Words that say what kind of thing a heading describes rather than what it is.
const FILLER: &[&str] = &[
    "object",
    "objects",
    "structure",
    "structures",
    "parameter",
    "param",
    "description",
    "descriptions",
    "overview",
    "of",
    "the",
    "a",
    "an",
    "for",
    "fields",
    "field",
    "array",
    "type",
    "types",
    "data",
    "returned",
    "with",
    "in",
    "about",
    "value",
    "values",
    "format",
    "list",
    "element",
    "elements",
    "item",
    "items",
];

/// The type name a heading gives, `None` when it only says "fields of the result".
pub fn from_heading(heading: &str) -> Option<String> {
    let plain = super::text::plain(heading);
    let words: Vec<String> = plain
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|w| !w.is_empty())
        .filter(|w| !FILLER.contains(&w.to_lowercase().as_str()))
        .map(str::to_string)
        .collect();
    if words.is_empty() || (words.len() == 1 && words[0].eq_ignore_ascii_case("result")) {
        return None;
    }
    // Keep camelCase words as they are (`automatedSolution`); join the rest.
    let joined = words.join("_");
    let name = naming::type_name(&joined);
    (!name.is_empty()).then_some(name)
}

/// The names taken within one method.
#[derive(Debug, Clone)]
pub struct Names {
    used: BTreeSet<String>,
    request: String,
}

impl Names {
    /// Names for `method` (its request name is reserved).
    pub fn new(method: &str) -> Names {
        Names {
            used: BTreeSet::new(),
            request: naming::request(method),
        }
    }

    /// The request's type name (`Add`).
    pub fn request(&self) -> &str {
        &self.request
    }

    /// Takes `name` out of use (a type the generator adds, e.g. an event's `...Data`).
    pub fn reserve(&mut self, name: &str) {
        self.used.insert(name.to_string());
    }

    /// Whether `name` is free.
    pub fn free(&self, name: &str) -> bool {
        !self.used.contains(name) && name != self.request
    }

    /// Claims `base`, or `<prefix><base>`, or `<base><suffix>` when taken.
    pub fn claim(&mut self, base: &str, prefix: &str) -> String {
        let base = naming::type_name(base);
        let mut candidates = vec![base.clone()];
        if !prefix.is_empty() {
            candidates.push(format!("{}{base}", naming::type_name(prefix)));
        }
        for suffix in ["Item", "Info", "Entry", "Details", "Data", "Record"] {
            candidates.push(format!("{base}{suffix}"));
        }
        let name = candidates
            .into_iter()
            .find(|c| self.free(c))
            .unwrap_or_else(|| {
                let mut n = 2;
                loop {
                    let c = format!("{base}No{n}");
                    if self.free(&c) {
                        break c;
                    }
                    n += 1;
                }
            });
        self.used.insert(name.clone());
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings() {
        assert_eq!(from_heading("PROPERTY Object").as_deref(), Some("Property"));
        assert_eq!(from_heading("Object PROPERTY").as_deref(), Some("Property"));
        assert_eq!(from_heading("Parameter fields"), None);
        assert_eq!(from_heading("FIELDS Parameter"), None);
        assert_eq!(from_heading("Fields of the result array"), None);
        assert_eq!(from_heading("Field Descriptions for result"), None);
        assert_eq!(from_heading("Task Fields").as_deref(), Some("Task"));
        assert_eq!(from_heading("Type lead").as_deref(), Some("Lead"));
        assert_eq!(
            from_heading("Overview of System Activity Fields").as_deref(),
            Some("SystemActivity")
        );
        assert_eq!(
            from_heading("**Object** `automatedSolution`:").as_deref(),
            Some("AutomatedSolution")
        );
        assert_eq!(
            from_heading("PARAMETERS Object").as_deref(),
            Some("Parameters")
        );
        assert_eq!(from_heading("Parameter params").as_deref(), Some("Params"));
    }

    #[test]
    fn unique_and_not_the_request() {
        let mut n = Names::new("crm.enum.fields");
        assert_eq!(n.claim("fields", ""), "FieldsItem");
        assert_eq!(n.claim("STATUS", "Task"), "Status");
        assert_eq!(n.claim("STATUS", "Task"), "TaskStatus");
        assert_eq!(n.claim("STATUS", "Task"), "StatusItem");
    }
}
