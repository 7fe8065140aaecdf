//! `batch`: up to 50 commands as `method?php-query` strings, run in order, with
//! `$result[key][field]` references to earlier answers.

use serde_json::{Map, Value, json};

use super::query::{parse_php_query, php_array};
use super::state::Shared;
use super::table::param;
use super::time::time_object;
use super::{Fault, MethodError};

/// Commands beyond this many end with `ERROR_BATCH_LENGTH_EXCEEDED`.
pub(crate) const MAX_COMMANDS: usize = 50;

/// The five per-command maps of a batch answer.
#[derive(Default)]
struct Results {
    result: Map<String, Value>,
    error: Map<String, Value>,
    total: Map<String, Value>,
    next: Map<String, Value>,
    time: Map<String, Value>,
}

impl Results {
    fn by_name(&self, name: &str) -> &Map<String, Value> {
        match name {
            "result_error" => &self.error,
            "result_total" => &self.total,
            "result_next" => &self.next,
            "result_time" => &self.time,
            _ => &self.result,
        }
    }
}

/// Runs a batch for `who`; returns the whole answer (`result` and `time`).
pub(crate) fn run(shared: &Shared, who: &str, params: &Value, start: f64) -> Value {
    let halt = param(params, "halt").is_some_and(truthy);
    let commands: Vec<(String, Value)> = match param(params, "cmd") {
        Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        Some(Value::Array(a)) => a
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v.clone()))
            .collect(),
        _ => Vec::new(),
    };
    let quirks = shared.lock().quirks;
    let mut out = Results::default();
    let mut spent = 0.0;
    let mut largest: Option<(f64, i64)> = None;
    let mut reported: Vec<String> = Vec::new();
    for (i, (key, command)) in commands.into_iter().enumerate() {
        let outcome = if i >= MAX_COMMANDS {
            Err(MethodError::new(
                400,
                "ERROR_BATCH_LENGTH_EXCEEDED",
                "Max batch length exceeded",
            ))
        } else {
            run_command(shared, who, &command, &out)
        };
        match outcome {
            Ok(mut success) => {
                spent += success.cost;
                largest = Some(largest.map_or(success.operating, |(op, at)| {
                    (op.max(success.operating.0), at.max(success.operating.1))
                }));
                let method = command_method(&command);
                if quirks.operating_on_first_command_only {
                    if reported.contains(&method) {
                        if let Some(op) = success.time.get_mut("operating") {
                            *op = json!(0);
                        }
                    } else {
                        reported.push(method);
                    }
                }
                out.result.insert(key.clone(), success.result);
                if let Some(total) = success.total {
                    out.total.insert(key.clone(), json!(total));
                }
                if let Some(next) = success.next {
                    out.next.insert(key.clone(), json!(next));
                }
                out.time.insert(key, success.time);
            }
            Err(e) => {
                out.error.insert(
                    key,
                    json!({"error": e.code, "error_description": e.description}),
                );
                if halt {
                    break;
                }
            }
        }
    }
    json!({
        "result": {
            "result": php_array(out.result),
            "result_error": php_array(out.error),
            "result_total": php_array(out.total),
            "result_next": php_array(out.next),
            "result_time": php_array(out.time),
        },
        "time": time_object(start, spent, largest.filter(|_| quirks.batch_operating), &quirks),
    })
}

/// The normalized method name of a command.
fn command_method(command: &Value) -> String {
    let text = command.as_str().unwrap_or("");
    super::server::normalize_method(text.split_once('?').map_or(text, |(m, _)| m))
}

fn run_command(
    shared: &Shared,
    who: &str,
    command: &Value,
    earlier: &Results,
) -> Result<super::state::Success, MethodError> {
    let command = match command {
        Value::String(s) => s.as_str(),
        _ => "",
    };
    let (method, query) = command.split_once('?').unwrap_or((command, ""));
    let method = super::server::normalize_method(method);
    if method == "batch" {
        return Err(MethodError::new(
            405,
            "ERROR_BATCH_METHOD_NOT_ALLOWED",
            "Method is not allowed for batch usage",
        ));
    }
    let mut params = parse_php_query(query);
    if let Value::Object(m) = &mut params {
        m.retain(|k, _| !k.eq_ignore_ascii_case("auth"));
    }
    resolve(&mut params, earlier);
    if let Some(fault) = shared.take_fault(&method, true, false) {
        if let Fault::ExpiredToken = fault {
            shared.lock().expire_access_tokens();
        }
        if let Some(e) = fault.api_error() {
            return Err(e);
        }
    }
    shared.call_method(who, &method, &params, false)
}

/// Replaces `$result[key][field]...` references (also `$result_error`, `$result_total`,
/// `$result_next`, `$result_time`) in every string of `params`, with what the portal's
/// textual substitution into the query string would give after parsing: a scalar as its
/// PHP text (`5` → `"5"`, `true` → `"1"`, `false` and `null` → `""`); a string that is
/// exactly one reference to an array or object becomes that structure with its leaves as
/// text (the portal expands it into the query); inside a longer string an array is
/// written as JSON. A reference to nothing becomes `""`.
fn resolve(params: &mut Value, earlier: &Results) {
    match params {
        Value::String(s) if s.contains('$') => {
            if let Some((value, len)) = reference(s, 0, earlier)
                && len == s.len()
            {
                *params = php_text(value.unwrap_or(Value::Null));
                return;
            }
            let mut out = String::new();
            let mut i = 0;
            while i < s.len() {
                if s[i..].starts_with('$')
                    && let Some((value, len)) = reference(s, i, earlier)
                {
                    out.push_str(&match php_text(value.unwrap_or(Value::Null)) {
                        Value::String(t) => t,
                        other => other.to_string(),
                    });
                    i += len;
                    continue;
                }
                let ch_len = s[i..].chars().next().map_or(1, char::len_utf8);
                out.push_str(&s[i..i + ch_len]);
                i += ch_len;
            }
            *s = out;
        }
        Value::Array(items) => items.iter_mut().for_each(|v| resolve(v, earlier)),
        Value::Object(map) => map.values_mut().for_each(|v| resolve(v, earlier)),
        _ => {}
    }
}

/// Scalars as PHP writes them into a string; arrays and objects with their leaves so.
fn php_text(v: Value) -> Value {
    match v {
        Value::Null | Value::Bool(false) => Value::String(String::new()),
        Value::Bool(true) => Value::String("1".to_owned()),
        Value::Number(n) => Value::String(n.to_string()),
        Value::String(s) => Value::String(s),
        Value::Array(a) => Value::Array(a.into_iter().map(php_text).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, php_text(v))).collect()),
    }
}

/// A reference starting at byte `at` of `s`: (the value, if any; its length in bytes).
fn reference(s: &str, at: usize, earlier: &Results) -> Option<(Option<Value>, usize)> {
    let rest = s.get(at..)?.strip_prefix('$')?;
    let name = [
        "result_error",
        "result_total",
        "result_next",
        "result_time",
        "result",
    ]
    .into_iter()
    .find(|n| rest.starts_with(n) && rest[n.len()..].starts_with('['))?;
    let mut tail = &rest[name.len()..];
    let mut path = Vec::new();
    while let Some(inner) = tail.strip_prefix('[') {
        let end = inner.find(']')?;
        path.push(&inner[..end]);
        tail = &inner[end + 1..];
    }
    let (key, fields) = path.split_first()?;
    let mut value = earlier.by_name(name).get(*key);
    for field in fields {
        value = value.and_then(|v| match v {
            Value::Object(m) => m.get(*field),
            Value::Array(a) => field.parse::<usize>().ok().and_then(|i| a.get(i)),
            _ => None,
        });
    }
    Some((value.cloned(), 1 + rest.len() - tail.len()))
}

/// `halt`: `1`, `true`, `"1"`, `"true"`, `"Y"`.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
        Value::String(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "y" | "yes"
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        let mut r = Results::default();
        r.result
            .insert("u".into(), json!({"ID": "1", "DEP": [7, 8]}));
        r.result.insert("l".into(), json!([{"ID": "42"}]));
        r.total.insert("l".into(), json!(120));
        let mut p = json!({
            "a": "$result[u][DEP]", "b": "$result[u][DEP][1]", "c": "id=$result[l][0][ID]!",
            "d": ["$result_total[l]"], "e": "$result[missing][x]", "f": "$notaref[x] $result",
            "g": "é$result[u][ID]é"
        });
        resolve(&mut p, &r);
        assert_eq!(
            p,
            json!({
                "a": ["7", "8"], "b": "8", "c": "id=42!", "d": ["120"], "e": "", "f": "$notaref[x] $result",
                "g": "é1é"
            })
        );
    }
}
