//! Inbound events through the generated `bitrix24::events::Event::parse`: the recorded
//! delivery of `onCrmActivityAdd` (`examples/on-crm-activity-add.form`, built from the
//! documented example), unknown events, wrong tokens, data of the wrong type, and hostile
//! bodies. (The runtime's own tests cover the form parser; the generated
//! `tests/examples_events.rs` round-trips every documented delivery.)

use bitrix24::events::{
    AuthFailure, Event, EventError, OnCrmActivityAdd, OnCrmActivityAddData, SecretString,
    TypedEvent,
};
use bitrix24_runtime::wire::Undocumented;

const RECORDED: &str = include_str!("examples/on-crm-activity-add.form");
const TOKEN: &str = "51856fefc120afa4b628cc82d3935cce";

fn token() -> SecretString {
    SecretString::from(TOKEN)
}

fn recorded() -> String {
    RECORDED.trim_end().to_owned()
}

/// The recorded body with its event name replaced.
fn with_event(name: &str) -> String {
    recorded().replacen("event=ONCRMACTIVITYADD", &format!("event={name}"), 1)
}

#[test]
fn recorded_delivery_is_typed() {
    let event = Event::parse(recorded().as_bytes(), &token()).expect("parses");
    assert_eq!(event.name(), "ONCRMACTIVITYADD");
    assert_eq!(event.documented_name(), Some("onCrmActivityAdd"));
    assert_eq!(event.ts(), 1_466_439_714);
    assert_eq!(event.auth().domain, "some-domain.bitrix24.com");
    assert_eq!(event.event_handler_id(), None);
    assert_eq!(event.undocumented_paths(), Vec::<String>::new());
    let Event::OnCrmActivityAdd(delivery) = event else {
        panic!("not onCrmActivityAdd: {event:?}");
    };
    let fields = delivery.data.fields.expect("FIELDS");
    assert_eq!(fields.id, Some(999));
    // Secrets stay out of `Debug`.
    let debug = format!("{:?}", delivery.auth);
    assert!(!debug.contains(TOKEN), "{debug}");
}

#[test]
fn the_three_seed_events_get_their_variants_in_any_case() {
    for (sent, documented) in [
        ("onCrmActivityAdd", "onCrmActivityAdd"),
        ("ONCRMACTIVITYUPDATE", "onCrmActivityUpdate"),
        ("oncrmactivitydelete", "onCrmActivityDelete"),
    ] {
        let event = Event::parse(with_event(sent).as_bytes(), &token()).expect("parses");
        assert_eq!(event.documented_name(), Some(documented), "{sent}");
        let id = match &event {
            Event::OnCrmActivityAdd(d) => d.data.fields.as_ref().and_then(|f| f.id),
            Event::OnCrmActivityUpdate(d) => d.data.fields.as_ref().and_then(|f| f.id),
            Event::OnCrmActivityDelete(d) => d.data.fields.as_ref().and_then(|f| f.id),
            other => panic!("{sent}: {other:?}"),
        };
        assert_eq!(id, Some(999), "{sent}");
    }
    for name in [
        "onCrmActivityAdd",
        "onCrmActivityDelete",
        "onCrmActivityUpdate",
    ] {
        assert!(Event::DOCUMENTED.contains(&name), "{name}");
    }
    let distinct: std::collections::BTreeSet<_> = Event::DOCUMENTED.iter().collect();
    assert_eq!(
        distinct.len(),
        Event::DOCUMENTED.len(),
        "names are listed once"
    );
}

#[test]
fn one_known_event_through_the_marker_type() {
    assert_eq!(OnCrmActivityAdd::NAME, "onCrmActivityAdd");
    assert_eq!(
        <OnCrmActivityAdd as TypedEvent>::NAME,
        OnCrmActivityAdd::NAME
    );
    let delivery = bitrix24::events::parse::<OnCrmActivityAdd>(recorded().as_bytes(), &token())
        .expect("parses");
    let data: OnCrmActivityAddData = delivery.data;
    assert_eq!(data.fields.and_then(|f| f.id), Some(999));
    let e = bitrix24::events::parse::<OnCrmActivityAdd>(
        with_event("ONCRMACTIVITYDELETE").as_bytes(),
        &token(),
    )
    .unwrap_err();
    assert!(matches!(e, EventError::UnexpectedEvent { .. }), "{e}");
}

#[test]
fn unknown_event_is_kept_untyped() {
    let body = with_event("ONSOMETHINGNEW").replace(
        "data%5BFIELDS%5D%5BID%5D=999",
        "data%5BFIELDS_AFTER%5D%5BID%5D=5",
    );
    let event = Event::parse(body.as_bytes(), &token()).expect("parses");
    assert_eq!(event.documented_name(), None);
    assert_eq!(event.name(), "ONSOMETHINGNEW");
    assert_eq!(event.undocumented_paths(), ["$"]);
    let Event::Unknown(delivery) = event else {
        panic!("not Unknown: {event:?}");
    };
    assert_eq!(delivery.data["FIELDS_AFTER"]["ID"], "5");
}

#[test]
fn wrong_or_missing_token_is_rejected_before_anything_else() {
    // Even a delivery whose data would not decode is rejected for its token first.
    let bad_data = recorded().replace("ID%5D=999", "ID%5D=abc");
    for body in [recorded(), bad_data] {
        let e = Event::parse(
            body.as_bytes(),
            &SecretString::from("0123456789abcdef0123456789abcdef"),
        )
        .unwrap_err();
        assert!(
            matches!(e, EventError::Unauthenticated(AuthFailure::Mismatch)),
            "{e:?}"
        );
        assert!(!e.to_string().contains(TOKEN), "{e}");
    }
    let without = recorded().replace(&format!("&auth%5Bapplication_token%5D={TOKEN}"), "");
    let e = Event::parse(without.as_bytes(), &token()).unwrap_err();
    assert!(
        matches!(e, EventError::Unauthenticated(AuthFailure::Missing)),
        "{e:?}"
    );
}

#[test]
fn data_of_the_wrong_type_names_the_field() {
    let body = recorded().replace("ID%5D=999", "ID%5D=abc");
    let e = Event::parse(body.as_bytes(), &token()).unwrap_err();
    let EventError::Data { path, .. } = &e else {
        panic!("not a data error: {e:?}");
    };
    assert_eq!(path, "data[FIELDS][ID]");
    assert!(
        e.to_string().starts_with(
            r#"could not decode the data of event "ONCRMACTIVITYADD": data[FIELDS][ID]: invalid value: string "abc", expected an integer (i64)"#
        ),
        "{e}"
    );
    // `FIELDS` as a plain value instead of a map.
    let body = recorded().replace("data%5BFIELDS%5D%5BID%5D=999", "data%5BFIELDS%5D=7");
    let e = Event::parse(body.as_bytes(), &token()).unwrap_err();
    assert!(
        e.to_string()
            .contains(": data[FIELDS]: invalid type: string \"7\""),
        "{e}"
    );
}

#[test]
fn undocumented_data_is_reported_not_refused() {
    let body = recorded().replace(
        "data%5BFIELDS%5D%5BID%5D=999",
        "data%5BFIELDS%5D%5BID%5D=999&data%5BFIELDS%5D%5BOWNER_ID%5D=5&data%5BEXTRA%5D=1",
    );
    let event = Event::parse(body.as_bytes(), &token()).expect("parses");
    assert_eq!(event.undocumented_paths(), ["$.FIELDS.OWNER_ID", "$.EXTRA"]);
}

#[test]
fn hostile_bodies_give_errors_not_panics() {
    let body = recorded();
    let bytes = body.as_bytes();
    // Every prefix, and every single-byte corruption of a short prefix.
    for end in 0..=bytes.len() {
        let _ = Event::parse(&bytes[..end], &token());
    }
    for i in 0..bytes.len().min(200) {
        for b in [b'[', b']', b'%', b'&', b'=', 0xff] {
            let mut v = bytes.to_vec();
            v[i] = b;
            let _ = Event::parse(&v, &token());
        }
    }
    let deep = format!("{}&data{}=1", body, "%5Ba%5D".repeat(40));
    assert!(matches!(
        Event::parse(deep.as_bytes(), &token()),
        Err(EventError::Malformed { .. })
    ));
}
