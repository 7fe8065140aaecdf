//! Operating time of the commands inside a `batch` request: each command counts against
//! its own method's budget, so the tracker is fed per method from `result_time`.

use std::collections::HashMap;

use super::OperatingTracker;
use crate::batch::Entry;

/// The method of a command text `method?query`.
fn method_of(text: &str) -> &str {
    text.split_once('?').map_or(text, |(m, _)| m)
}

/// How many commands of each method `cmds` (`(key, "method?query")`) holds, in order of
/// first appearance.
pub(crate) fn calls_per_method(cmds: &[(String, String)]) -> Vec<(&str, u32)> {
    let mut out: Vec<(&str, u32)> = Vec::new();
    for (_, text) in cmds {
        let method = method_of(text);
        match out.iter_mut().find(|(m, _)| m.eq_ignore_ascii_case(method)) {
            Some((_, n)) => *n = n.saturating_add(1),
            None => out.push((method, 1)),
        }
    }
    out
}

/// Feeds the tracker with a batch answer: per method, the `result_time` of its commands
/// that ran, in command order (the tracker takes the largest reported total: real portals
/// report it on a method's first command only); a command that failed with
/// `OPERATION_TIME_LIMIT` blocks its method.
pub(crate) fn observe(
    tracker: &OperatingTracker,
    cmds: &[(String, String)],
    entries: &HashMap<String, Entry>,
) {
    for (method, _) in calls_per_method(cmds) {
        let mut times = Vec::new();
        let mut limited = false;
        for (key, text) in cmds {
            if !method_of(text).eq_ignore_ascii_case(method) {
                continue;
            }
            let Some(entry) = entries.get(key) else {
                continue;
            };
            match &entry.error {
                Some(e) if e.is("OPERATION_TIME_LIMIT") => limited = true,
                Some(_) => {}
                None if entry.result.is_some() => times.push(entry.time.as_ref()),
                None => {}
            }
        }
        if !times.is_empty() {
            tracker.observe_calls(method, &times);
        }
        if limited {
            tracker.blocked(method);
        }
    }
}
