//! The importer's and validator's copy of the date-time grammar
//! (`bitrix24_codegen::spec::datetime`) against the runtime's `DateTime`: for every
//! string of the spec's examples and every one-byte edit of a set of date-times, the copy
//! says "round-trips" exactly when the runtime reads the text and writes it back
//! unchanged, and "decodes" exactly when the runtime decodes it.

use bitrix24_codegen::spec::datetime;
use bitrix24_runtime::DateTime;
use bitrix24_runtime::wire::Decode;
use serde_json::Value;

fn agree(s: &str) {
    let runtime = s.parse::<DateTime>().ok();
    assert_eq!(
        datetime::round_trips(s),
        runtime.is_some(),
        "does the runtime read {s:?}?"
    );
    if let Some(t) = runtime {
        assert_eq!(t.to_string(), s, "written back as read");
    }
    assert_eq!(
        datetime::decodes(s),
        DateTime::decode(Value::String(s.to_owned())).is_ok(),
        "does the runtime decode {s:?}?"
    );
}

const SEEDS: &[&str] = &[
    "2025-07-14T08:47:19+02:00",
    "2025-07-14 08:47:19",
    "2024-02-29T23:59:60.123Z",
    "1900-02-28 00:00:00.000000001-0530",
    "0000-12-31T12:30:45",
    "29.02.2024 08:47:19",
    "07/14/2025 08:47:19 pm",
    "12/31/2024 12:00:00 AM",
];

const ALPHABET: &[u8] = b"0123456789-+:.TZ tz/apmAPM\xC2";

#[test]
fn every_one_byte_edit_of_date_times_agrees() {
    let mut checked = 0;
    for seed in SEEDS {
        agree(seed);
        let b = seed.as_bytes();
        for i in 0..=b.len() {
            let mut edits = Vec::new();
            if i < b.len() {
                let mut deleted = b.to_vec();
                deleted.remove(i);
                edits.push(deleted);
            }
            for &c in ALPHABET {
                if i < b.len() {
                    let mut replaced = b.to_vec();
                    replaced[i] = c;
                    edits.push(replaced);
                }
                let mut inserted = b.to_vec();
                inserted.insert(i, c);
                edits.push(inserted);
            }
            for e in edits {
                agree(&String::from_utf8_lossy(&e));
                checked += 1;
            }
        }
    }
    assert!(checked > 2_000, "{checked}");
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

#[test]
fn every_string_of_the_spec_examples_agrees() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    let mut files = Vec::new();
    let mut dirs = vec![root.join("methods"), root.join("events")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                files.push(p);
            }
        }
    }
    let mut found = Vec::new();
    for f in &files {
        let yaml: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(f).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let mut lists = Vec::new();
        if let Some(ex) = yaml.get("examples") {
            match ex {
                serde_yaml::Value::Mapping(m) => lists.extend(m.values()),
                other => lists.push(other),
            }
        }
        for list in lists {
            for e in list.as_sequence().into_iter().flatten() {
                if let Some(json) = e.get("json").and_then(|j| j.as_str())
                    && let Ok(v) = serde_json::from_str::<Value>(json)
                {
                    strings(&v, &mut found);
                }
            }
        }
    }
    let dated: Vec<&String> = found
        .iter()
        .filter(|s| s.bytes().filter(u8::is_ascii_digit).count() >= 8)
        .collect();
    assert!(dated.len() > 3_000, "{} strings with digits", dated.len());
    for s in dated {
        agree(s);
    }
}
