//! In-memory tables behind list methods: paging by `start`, `filter`, `order`, `select`.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value};

use super::MethodError;

/// Rows served by a list method of a [`FakePortal`](super::FakePortal), e.g.
/// `portal.table("crm.deal.list")`.
///
/// A cheap handle (clones share the rows), usable from tests and from handlers while the
/// portal runs: rows added or deleted between two pages move the later pages exactly as
/// on a real portal, which is what an export by `start` offsets gets wrong and an export
/// by `>ID` filter gets right.
///
/// Each row is a JSON object with a numeric ID (in the field `ID` unless
/// [`Table::set_id_field`] says otherwise, as a number or a numeric string). The list
/// method answers:
/// - `start` (default 0; `-1` = no `total`, no `next`, first page): a page of
///   [`Table::set_page_size`] rows (50) from that offset, `total` = rows matching the
///   filter, `next` = `start + 50` while rows remain;
/// - `filter`: an object whose keys may carry the documented prefixes `>=`, `>`, `<=`,
///   `<`, `=`, `!=` / `!`, `@` (in), `!@` (not in), `%` (substring, any case), `=%` / `%=`
///   (LIKE with `%` wildcards); no prefix is `=`; an array value with `=` / `!=` is
///   in / not in. Values compare as numbers when both sides are numeric (`"37"` and `37`
///   alike), else as strings. A filter that is not an object (or empty) is the documented
///   400 `Parameter 'filter' must be array.` (with an empty error code);
/// - `order`: an object `{field: "ASC" | "DESC"}` (several fields in order, ties by ID
///   ascending); the default is by ID ascending; a non-object is
///   `Parameter 'order' must be array.`;
/// - `select`: a list of field names (`*` = all, `UF_*` = all `UF_` fields); the ID field
///   is always returned.
///
/// Parameter names are matched ignoring case (`FILTER` = `filter`).
#[derive(Clone)]
pub struct Table {
    inner: Arc<Mutex<TableData>>,
}

struct TableData {
    rows: BTreeMap<i64, Map<String, Value>>,
    id_field: String,
    items_key: Option<String>,
    page_size: usize,
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.lock();
        f.debug_struct("Table")
            .field("rows", &d.rows.len())
            .field("id_field", &d.id_field)
            .field("items_key", &d.items_key)
            .field("page_size", &d.page_size)
            .finish()
    }
}

impl Default for Table {
    fn default() -> Self {
        Table::new()
    }
}

impl Table {
    /// An empty table: ID field `ID`, rows directly in `result`, pages of 50.
    pub fn new() -> Self {
        Table {
            inner: Arc::new(Mutex::new(TableData {
                rows: BTreeMap::new(),
                id_field: "ID".to_owned(),
                items_key: None,
                page_size: 50,
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, TableData> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Names the field holding the row ID (`ID` by default; `id` for `crm.item.list`).
    pub fn set_id_field(&self, field: &str) -> &Self {
        let mut d = self.lock();
        d.id_field = field.to_owned();
        let rows = std::mem::take(&mut d.rows);
        let field = d.id_field.clone();
        d.rows = rows
            .into_values()
            .enumerate()
            .map(|(i, row)| (row_id(&row, &field).unwrap_or(i as i64 + 1), row))
            .collect();
        self
    }

    /// Puts the page inside `result` under `key` (`{"result": {"items": [...]}}`, as
    /// `crm.item.list` answers) instead of `result` itself.
    pub fn set_items_key(&self, key: &str) -> &Self {
        self.lock().items_key = Some(key.to_owned());
        self
    }

    /// Rows per page (50 by default, as every list method of the cloud).
    pub fn set_page_size(&self, size: usize) -> &Self {
        self.lock().page_size = size.max(1);
        self
    }

    /// Adds a row and returns its ID.
    ///
    /// A row without an ID gets one more than the largest ID so far (written as a
    /// string, as the portal writes IDs); a row with the ID of an existing row replaces
    /// it. A value that is not a JSON object is stored as a row holding only its ID.
    pub fn insert(&self, row: Value) -> i64 {
        let mut d = self.lock();
        let mut row = match row {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        let id = match row_id(&row, &d.id_field) {
            Some(id) => id,
            None => {
                let id = d
                    .rows
                    .last_key_value()
                    .map_or(1, |(k, _)| k.saturating_add(1));
                row.insert(d.id_field.clone(), Value::String(id.to_string()));
                id
            }
        };
        d.rows.insert(id, row);
        id
    }

    /// Adds rows in order (see [`Table::insert`]); returns their IDs.
    pub fn insert_many(&self, rows: impl IntoIterator<Item = Value>) -> Vec<i64> {
        rows.into_iter().map(|r| self.insert(r)).collect()
    }

    /// Deletes the row with this ID; false if there was none.
    pub fn delete(&self, id: i64) -> bool {
        self.lock().rows.remove(&id).is_some()
    }

    /// Sets `fields` on the row with this ID (other fields kept); false if there is none
    /// or `fields` is not an object.
    pub fn update(&self, id: i64, fields: Value) -> bool {
        let mut d = self.lock();
        match (d.rows.get_mut(&id), fields) {
            (Some(row), Value::Object(fields)) => {
                row.extend(fields);
                true
            }
            _ => false,
        }
    }

    /// The row with this ID.
    pub fn get(&self, id: i64) -> Option<Value> {
        self.lock().rows.get(&id).cloned().map(Value::Object)
    }

    /// All rows, by ID ascending.
    pub fn rows(&self) -> Vec<Value> {
        self.lock()
            .rows
            .values()
            .cloned()
            .map(Value::Object)
            .collect()
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.lock().rows.len()
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.lock().rows.is_empty()
    }

    /// Deletes every row.
    pub fn clear(&self) {
        self.lock().rows.clear();
    }

    /// Answers one list call: `(result, total, next)`.
    #[cfg(test)]
    pub(crate) fn list(
        &self,
        params: &Value,
    ) -> Result<(Value, Option<u64>, Option<u64>), MethodError> {
        self.list_with(params, false)
    }

    /// [`Table::list`]; `next_at_total`: a full page that reaches the total still
    /// carries `next` (as a recorded real page did: `total: 50, next: 50`).
    pub(crate) fn list_with(
        &self,
        params: &Value,
        next_at_total: bool,
    ) -> Result<(Value, Option<u64>, Option<u64>), MethodError> {
        let d = self.lock();
        let filter = object_param(params, "filter", "Parameter 'filter' must be array.")?;
        let order = object_param(params, "order", "Parameter 'order' must be array.")?;
        let select = select_param(params);
        let start = param(params, "start").map_or(0, |v| match v {
            Value::Number(n) => n.as_i64().unwrap_or(0),
            Value::String(s) => s.trim().parse::<i64>().unwrap_or(0),
            _ => 0,
        });
        let keep = |row: &&Map<String, Value>| filter.iter().all(|(k, v)| matches(row, k, v));
        let mut rows: Vec<&Map<String, Value>> = if by_id(&order, &d.id_field) {
            // Rows are kept by ID ascending, so this order needs no sorting; rows below a
            // `>ID` / `>=ID` bound fail the filter anyway, and without a count (`start=-1`)
            // one page is enough. Same answer as the general path, without scanning and
            // sorting the whole table on every page of an export by ID.
            let from = lower_bound(&filter, &d.id_field).unwrap_or(i64::MIN);
            let matching = d.rows.range(from..).map(|(_, row)| row).filter(keep);
            if start == -1 {
                matching.take(d.page_size).collect()
            } else {
                matching.collect()
            }
        } else {
            d.rows.values().filter(keep).collect()
        };
        if !by_id(&order, &d.id_field) && !order.is_empty() {
            rows.sort_by(|a, b| {
                for (field, dir) in &order {
                    let desc = dir.as_str().is_some_and(|s| s.eq_ignore_ascii_case("desc"));
                    let o = compare(
                        a.get(field).unwrap_or(&Value::Null),
                        b.get(field).unwrap_or(&Value::Null),
                    );
                    let o = if desc { o.reverse() } else { o };
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            });
        }
        let total = rows.len();
        let (offset, count) = if start == -1 {
            (0, false)
        } else {
            (usize::try_from(start.max(0)).unwrap_or(usize::MAX), true)
        };
        let page: Vec<Value> = rows
            .iter()
            .skip(offset)
            .take(d.page_size)
            .map(|row| Value::Object(project(row, select.as_deref(), &d.id_field)))
            .collect();
        let end = offset.saturating_add(d.page_size);
        let next =
            (count && (end < total || (next_at_total && end == total))).then_some(end as u64);
        let result = match &d.items_key {
            Some(key) => {
                let mut m = Map::new();
                m.insert(key.clone(), Value::Array(page));
                Value::Object(m)
            }
            None => Value::Array(page),
        };
        Ok((result, count.then_some(total as u64), next))
    }
}

/// True when `order` is empty or sorts by the ID field ascending only: the table's own
/// order.
fn by_id(order: &Map<String, Value>, id_field: &str) -> bool {
    let mut fields = order.iter();
    match (fields.next(), fields.next()) {
        (None, _) => true,
        (Some((field, dir)), None) => {
            field == id_field && !dir.as_str().is_some_and(|s| s.eq_ignore_ascii_case("desc"))
        }
        _ => false,
    }
}

/// The smallest ID a `>ID` or `>=ID` filter with an integer value lets through.
fn lower_bound(filter: &Map<String, Value>, id_field: &str) -> Option<i64> {
    let int = |v: &Value| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    filter
        .iter()
        .filter_map(|(k, v)| {
            if k.strip_prefix(">=") == Some(id_field) {
                int(v)
            } else if k.strip_prefix('>') == Some(id_field) {
                int(v).map(|v| v.saturating_add(1))
            } else {
                None
            }
        })
        .max()
}

/// The parameter `name`, ignoring case.
pub(crate) fn param<'a>(params: &'a Value, name: &str) -> Option<&'a Value> {
    params
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn object_param(
    params: &Value,
    name: &str,
    message: &str,
) -> Result<Map<String, Value>, MethodError> {
    match param(params, name) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => Ok(m.clone()),
        // PHP's empty array is `[]` (and an empty form value is "").
        Some(Value::Array(a)) if a.is_empty() => Ok(Map::new()),
        Some(Value::String(s)) if s.is_empty() => Ok(Map::new()),
        Some(_) => Err(MethodError::new(400, "", message)),
    }
}

fn select_param(params: &Value) -> Option<Vec<String>> {
    let fields: Vec<String> = match param(params, "select")? {
        Value::Array(a) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Value::Object(m) => m
            .values()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => return None,
    };
    (!fields.is_empty() && !fields.iter().any(|f| f == "*")).then_some(fields)
}

fn project(
    row: &Map<String, Value>,
    select: Option<&[String]>,
    id_field: &str,
) -> Map<String, Value> {
    let Some(select) = select else {
        return row.clone();
    };
    let all_uf = select.iter().any(|f| f == "UF_*");
    row.iter()
        .filter(|(k, _)| {
            *k == id_field || select.iter().any(|f| f == *k) || (all_uf && k.starts_with("UF_"))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The numeric ID of a row, from a number or a numeric string.
pub(crate) fn row_id(row: &Map<String, Value>, id_field: &str) -> Option<i64> {
    match row.get(id_field)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Filter prefixes, longest first.
const OPERATORS: [&str; 12] = [
    ">=", "<=", "!=", "!@", "=%", "%=", ">", "<", "=", "!", "@", "%",
];

fn matches(row: &Map<String, Value>, key: &str, want: &Value) -> bool {
    let (op, field) = OPERATORS
        .iter()
        .find_map(|op| key.strip_prefix(op).map(|f| (*op, f)))
        .unwrap_or(("=", key));
    let have = row.get(field).unwrap_or(&Value::Null);
    let list = |v: &Value| -> Vec<Value> {
        match v {
            Value::Array(a) => a.clone(),
            Value::Object(m) => m.values().cloned().collect(),
            other => vec![other.clone()],
        }
    };
    let any_equal = |v: &Value| list(v).iter().any(|w| compare(have, w) == Ordering::Equal);
    match op {
        ">=" => compare(have, want) != Ordering::Less && !have.is_null(),
        "<=" => compare(have, want) != Ordering::Greater && !have.is_null(),
        ">" => compare(have, want) == Ordering::Greater && !have.is_null(),
        "<" => compare(have, want) == Ordering::Less && !have.is_null(),
        "=" | "@" => any_equal(want),
        "!=" | "!" | "!@" => !any_equal(want),
        "%" => text(have)
            .to_lowercase()
            .contains(&text(want).to_lowercase()),
        _ => like(&text(have).to_lowercase(), &text(want).to_lowercase()),
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// SQL LIKE with `%` only.
fn like(have: &str, pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.split('%').collect();
    let [first, middle @ .., last] = parts.as_slice() else {
        return have == pattern;
    };
    if parts.len() == 1 {
        return have == pattern;
    }
    let Some(mut rest) = have.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok().filter(|_| !s.trim().is_empty()),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

/// Numbers (and numeric strings) numerically, anything else as text; null first.
fn compare(a: &Value, b: &Value) -> Ordering {
    match (a, b) {
        (Value::Null, Value::Null) => Ordering::Equal,
        (Value::Null, _) => Ordering::Less,
        (_, Value::Null) => Ordering::Greater,
        _ => match (number(a), number(b)) {
            (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            _ => text(a).cmp(&text(b)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table() -> Table {
        let t = Table::new();
        t.insert_many(
            (1..=120)
                .map(|i| json!({"ID": i.to_string(), "TITLE": format!("Deal {i}"), "N": i % 7})),
        );
        t
    }

    #[test]
    fn pages() {
        let t = table();
        let (r, total, next) = t.list(&json!({})).unwrap();
        assert_eq!(
            (r.as_array().unwrap().len(), total, next),
            (50, Some(120), Some(50))
        );
        let (r, total, next) = t.list(&json!({"start": "100"})).unwrap();
        assert_eq!(
            (r.as_array().unwrap().len(), total, next),
            (20, Some(120), None)
        );
        let (r, total, next) = t
            .list(&json!({"start": -1, "order": {"ID": "DESC"}}))
            .unwrap();
        assert_eq!(
            (r[0]["ID"].clone(), total, next),
            (json!("120"), None, None)
        );
    }

    #[test]
    fn filters_and_select() {
        let t = table();
        let (r, total, _) = t
            .list(&json!({"FILTER": {">ID": 100, "<=ID": "105", "!N": 0}, "select": ["TITLE"]}))
            .unwrap();
        assert_eq!(total, Some(4));
        assert_eq!(r[0], json!({"ID": "101", "TITLE": "Deal 101"}));
        let (_, total, _) = t.list(&json!({"filter": {"@ID": [1, 2, 300]}})).unwrap();
        assert_eq!(total, Some(2));
        let (_, total, _) = t.list(&json!({"filter": {"%TITLE": "deal 11"}})).unwrap();
        assert_eq!(total, Some(11));
        let (_, total, _) = t.list(&json!({"filter": {"=%TITLE": "%l 11_"}})).unwrap();
        assert_eq!(total, Some(0));
        let (_, total, _) = t.list(&json!({"filter": {"=%TITLE": "%l 11%"}})).unwrap();
        assert_eq!(total, Some(11));
        assert_eq!(
            t.list(&json!({"filter": "x"})).unwrap_err().description,
            "Parameter 'filter' must be array."
        );
    }

    #[test]
    fn id_order_fast_path_answers_as_the_general_path() {
        let t = table();
        t.delete(37);
        // IDs are unique, so a second sort field takes the general path (filter all,
        // sort) without changing the order.
        for (filter, start) in [
            (json!({">ID": 36}), -1),
            (json!({">ID": "36"}), 0),
            (json!({">=ID": 37, "!N": 3}), 50),
            (json!({">ID": "", "<ID": 90}), -1),
            (json!({}), 100),
        ] {
            let fast = t.list(&json!({"filter": filter, "order": {"ID": "asc"}, "start": start}));
            let slow = t.list(
                &json!({"filter": filter, "order": {"ID": "ASC", "N": "ASC"}, "start": start}),
            );
            assert_eq!(fast.unwrap(), slow.unwrap(), "{filter} {start}");
        }
    }

    #[test]
    fn ids_are_assigned_and_items_nested() {
        let t = Table::new();
        t.set_id_field("id").set_items_key("items");
        assert_eq!(t.insert(json!({"title": "a"})), 1);
        assert_eq!(t.insert(json!({"id": 7})), 7);
        assert_eq!(t.insert(json!({})), 8);
        assert!(t.delete(1));
        let (r, total, _) = t.list(&json!({})).unwrap();
        assert_eq!(r, json!({"items": [{"id": 7}, {"id": "8"}]}));
        assert_eq!(total, Some(2));
        assert!(t.update(7, json!({"title": "b"})));
        assert_eq!(t.get(7), Some(json!({"id": 7, "title": "b"})));
    }
}
