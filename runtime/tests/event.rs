//! Inbound event deliveries: form parsing, the token check, typed decoding, and hostile
//! bodies. Bodies are written by hand from the documented examples of `onCrmActivityAdd`,
//! `onCrmActivityUpdate` and `onCrmActivityDelete` (api-reference/crm/timeline/activities/
//! events) and of an outgoing webhook (local-integrations/local-webhooks).

use bitrix24_runtime::event::{
    self, AppStatus, AuthFailure, Delivery, Event, EventError, FormFault, MAX_BODY_BYTES, MAX_DEPTH,
};
use bitrix24_runtime::wire::{self, Decode};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

// Documented values (shared by the three activity events).
const ACCESS_TOKEN: &str = "s6p6eclrvim6da22ft9ch94ekreb52lv";
const REFRESH_TOKEN: &str = "4s386p3q0tr8dy89xvmt96234v3dljg8";
const APP_TOKEN: &str = "51856fefc120afa4b628cc82d3935cce";
const MEMBER_ID: &str = "a223c6b3710f85df22e9377d6c4f7553";
/// A token of the same length as `APP_TOKEN`, differing everywhere.
const WRONG_TOKEN: &str = "0123456789abcdef0123456789abcdef";
/// `APP_TOKEN` with its last byte changed.
const LAST_BYTE_OFF: &str = "51856fefc120afa4b628cc82d3935ccf";

/// The documented `auth` block, brackets and URLs percent-encoded the way PHP's
/// `http_build_query` sends them.
const DOC_AUTH: &str = "auth%5Baccess_token%5D=s6p6eclrvim6da22ft9ch94ekreb52lv\
    &auth%5Bexpires_in%5D=3600\
    &auth%5Bscope%5D=crm\
    &auth%5Bdomain%5D=some-domain.bitrix24.com\
    &auth%5Bserver_endpoint%5D=https%3A%2F%2Foauth.bitrix.info%2Frest%2F\
    &auth%5Bstatus%5D=L\
    &auth%5Bclient_endpoint%5D=https%3A%2F%2Fsome-domain.bitrix24.com%2Frest%2F\
    &auth%5Bmember_id%5D=a223c6b3710f85df22e9377d6c4f7553\
    &auth%5Brefresh_token%5D=4s386p3q0tr8dy89xvmt96234v3dljg8\
    &auth%5Bapplication_token%5D=51856fefc120afa4b628cc82d3935cce";

/// The documented delivery of `event` (`data[FIELDS][ID]=999`, `ts=1466439714`).
fn documented(event: &str) -> String {
    format!("event={event}&data%5BFIELDS%5D%5BID%5D=999&ts=1466439714&{DOC_AUTH}")
}

/// A minimal authenticated delivery (the outgoing-webhook `auth` keys) followed by `rest`.
fn minimal(event: &str, rest: &str) -> String {
    format!(
        "event={event}&ts=1466439714\
         &auth[domain]=some-domain.bitrix24.com\
         &auth[client_endpoint]=https://some-domain.bitrix24.com/rest/\
         &auth[server_endpoint]=https://oauth.bitrix.info/rest/\
         &auth[member_id]={MEMBER_ID}\
         &auth[application_token]={APP_TOKEN}{rest}"
    )
}

fn expected() -> SecretString {
    SecretString::from(APP_TOKEN)
}

// ---------------------------------------------------------------------------------------
// A hand-written payload type, as the generator writes them.

#[derive(Debug, PartialEq, Deserialize)]
struct ActivityEvent {
    #[serde(rename = "FIELDS")]
    fields: ActivityFields,
}

#[derive(Debug, PartialEq, Deserialize)]
struct ActivityFields {
    #[serde(rename = "ID", deserialize_with = "wire::decode")]
    id: i64,
}

impl Decode for ActivityEvent {
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <ActivityEvent as Deserialize>::deserialize(d)
    }
}

struct OnCrmActivityAdd;
impl Event for OnCrmActivityAdd {
    const NAME: &'static str = "onCrmActivityAdd";
    type Data = ActivityEvent;
}

struct OnCrmActivityUpdate;
impl Event for OnCrmActivityUpdate {
    const NAME: &'static str = "onCrmActivityUpdate";
    type Data = ActivityEvent;
}

struct OnCrmActivityDelete;
impl Event for OnCrmActivityDelete {
    const NAME: &'static str = "onCrmActivityDelete";
    type Data = ActivityEvent;
}

/// A payload with a list sent as `[0]`, `[1]`, ... keys and booleans as `Y`/`N`.
#[derive(Debug, PartialEq, Deserialize)]
struct ListEvent {
    #[serde(rename = "IDS", deserialize_with = "wire::decode")]
    ids: Vec<i64>,
    #[serde(rename = "ACTIVE", deserialize_with = "wire::decode")]
    active: bool,
    #[serde(rename = "NAME", deserialize_with = "wire::decode")]
    name: String,
}

impl Decode for ListEvent {
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <ListEvent as Deserialize>::deserialize(d)
    }
}

struct OnList;
impl Event for OnList {
    const NAME: &'static str = "onList";
    type Data = ListEvent;
}

/// Every token value that must never show up in a `Debug` or `Display`.
const SECRETS: [&str; 5] = [
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    APP_TOKEN,
    WRONG_TOKEN,
    LAST_BYTE_OFF,
];

fn assert_no_secret(text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "secret {secret} leaked in: {text}");
    }
}

fn assert_error_hides_secrets(e: &EventError) {
    assert_no_secret(&e.to_string());
    assert_no_secret(&format!("{e:?}"));
    assert_no_secret(&format!("{e:#?}"));
}

// ---------------------------------------------------------------------------------------
// Documented examples

fn check_documented<E: Event<Data = ActivityEvent>>(name_as_sent: &str) {
    let d = event::parse::<E>(documented(name_as_sent).as_bytes(), &expected())
        .unwrap_or_else(|e| panic!("{name_as_sent}: {e}"));
    assert_eq!(d.event, name_as_sent);
    assert!(d.is(E::NAME));
    assert_eq!(
        d.data,
        ActivityEvent {
            fields: ActivityFields { id: 999 }
        }
    );
    assert_eq!(d.ts, 1_466_439_714);
    assert_eq!(d.event_handler_id, None);
    assert!(d.extra.is_empty(), "{:?}", d.extra);
    let a = &d.auth;
    assert_eq!(a.domain, "some-domain.bitrix24.com");
    assert_eq!(a.client_endpoint, "https://some-domain.bitrix24.com/rest/");
    assert_eq!(a.server_endpoint, "https://oauth.bitrix.info/rest/");
    assert_eq!(a.member_id, MEMBER_ID);
    assert_eq!(a.scope.as_deref(), Some("crm"));
    assert_eq!(a.status, Some(AppStatus::Local));
    assert_eq!(a.expires_in, Some(3600));
    assert_eq!(
        a.access_token().map(|t| t.expose_secret()),
        Some(ACCESS_TOKEN)
    );
    assert_eq!(
        a.refresh_token().map(|t| t.expose_secret()),
        Some(REFRESH_TOKEN)
    );
    assert_eq!(a.application_token().expose_secret(), APP_TOKEN);
    let debug = format!("{d:?} {d:#?}");
    assert_no_secret(&debug);
    assert!(debug.contains("[REDACTED]"), "{debug}");
}

#[test]
fn documented_examples_decode_typed() {
    check_documented::<OnCrmActivityAdd>("onCrmActivityAdd");
    check_documented::<OnCrmActivityUpdate>("onCrmActivityUpdate");
    check_documented::<OnCrmActivityDelete>("onCrmActivityDelete");
}

#[test]
fn upper_case_event_names_as_portals_send_them() {
    check_documented::<OnCrmActivityAdd>("ONCRMACTIVITYADD");
    check_documented::<OnCrmActivityUpdate>("ONCRMACTIVITYUPDATE");
    check_documented::<OnCrmActivityDelete>("ONCRMACTIVITYDELETE");
    check_documented::<OnCrmActivityAdd>("oncrmactivityadd");
}

#[test]
fn documented_example_parses_to_the_documented_json_tree() {
    let tree = event::parse_form(documented("onCrmActivityAdd").as_bytes()).unwrap();
    assert_eq!(
        tree,
        json!({
            "event": "onCrmActivityAdd",
            "data": {"FIELDS": {"ID": "999"}},
            "ts": "1466439714",
            "auth": {
                "access_token": ACCESS_TOKEN,
                "expires_in": "3600",
                "scope": "crm",
                "domain": "some-domain.bitrix24.com",
                "server_endpoint": "https://oauth.bitrix.info/rest/",
                "status": "L",
                "client_endpoint": "https://some-domain.bitrix24.com/rest/",
                "member_id": MEMBER_ID,
                "refresh_token": REFRESH_TOKEN,
                "application_token": APP_TOKEN
            }
        })
    );
}

#[test]
fn outgoing_webhook_delivery_without_tokens() {
    // local-integrations/local-webhooks.md: no OAuth tokens, no scope/status/expires_in.
    let body = "event=ONCRMDEALADD&event_handler_id=975&data[FIELDS][ID]=7405&ts=1766047124\
        &auth[domain]=portal.bitrix24.com\
        &auth[client_endpoint]=https://portal.bitrix24.com/rest/\
        &auth[server_endpoint]=https://oauth.bitrix24.tech/rest/\
        &auth[member_id]=d897063e1ce7c5eb9f04b9751eef5915\
        &auth[application_token]=jvh9y1ulvt2m6k5or90v9mg8nn32ozas";
    let token = SecretString::from("jvh9y1ulvt2m6k5or90v9mg8nn32ozas");
    let d = event::parse_any(body.as_bytes(), &token).unwrap();
    assert!(d.is("onCrmDealAdd"));
    assert_eq!(d.event_handler_id, Some(975));
    assert_eq!(d.ts, 1_766_047_124);
    assert!(d.auth.access_token().is_none() && d.auth.refresh_token().is_none());
    assert_eq!(
        (d.auth.scope.as_deref(), &d.auth.status, d.auth.expires_in),
        (None, &None, None)
    );
    assert_eq!(d.auth.member_id, "d897063e1ce7c5eb9f04b9751eef5915");
    let typed = d.decode_data::<ActivityEvent>().unwrap();
    assert_eq!(typed.data.fields.id, 7405);
    assert_eq!(typed.event, "ONCRMDEALADD");
    assert!(!format!("{typed:?}").contains("jvh9y1ulvt2m6k5or90v9mg8nn32ozas"));
}

#[test]
fn empty_optional_values_are_none_and_status_f_is_free() {
    let body = minimal(
        "ONCRMACTIVITYADD",
        "&auth[access_token]=&auth[refresh_token]=&auth[expires_in]=&auth[scope]=\
         &auth[status]=F&event_handler_id=&data[FIELDS][ID]=1",
    );
    let d = event::parse::<OnCrmActivityAdd>(body.as_bytes(), &expected()).unwrap();
    assert!(d.auth.access_token().is_none() && d.auth.refresh_token().is_none());
    assert_eq!(d.auth.expires_in, None);
    assert_eq!(d.auth.scope, None);
    assert_eq!(d.auth.status, Some(AppStatus::Free));
    assert_eq!(d.event_handler_id, None);
}

#[test]
fn parse_any_accepts_any_event_and_keeps_unknown_top_level_keys() {
    for name in [
        "ONCRMACTIVITYADD",
        "ONAPPINSTALL",
        "onSomethingNobodyDocumented",
    ] {
        let body = minimal(name, "&data[VERSION]=1&data[LANGUAGE_ID]=de&extra_key=x");
        let d = event::parse_any(body.as_bytes(), &expected()).unwrap();
        assert_eq!(d.event, name);
        assert_eq!(d.data, json!({"VERSION": "1", "LANGUAGE_ID": "de"}));
        assert_eq!(Value::Object(d.extra), json!({"extra_key": "x"}));
    }
    // No data[...] at all (PHP drops empty arrays): data is {}.
    let d = event::parse_any(minimal("ONAPPUNINSTALL", "").as_bytes(), &expected()).unwrap();
    assert_eq!(d.data, json!({}));
    let unit: Delivery<()> = d.clone().decode_data().unwrap();
    assert_eq!(unit.event, "ONAPPUNINSTALL");
    let list: Delivery<Vec<i64>> = d.decode_data().unwrap();
    assert!(list.data.is_empty());
}

#[test]
fn lists_booleans_and_encoded_text_decode_leniently() {
    let body = minimal(
        "onList",
        "&data[IDS][0]=3&data[IDS][1]=1&data[IDS][2]=2&data[ACTIVE]=Y\
         &data[NAME]=caf%C3%A9+%26+bar%3D%2B",
    );
    let d = event::parse::<OnList>(body.as_bytes(), &expected()).unwrap();
    assert_eq!(
        d.data,
        ListEvent {
            ids: vec![3, 1, 2],
            active: true,
            name: "café & bar=+".to_owned(),
        }
    );
}

// ---------------------------------------------------------------------------------------
// The form parser

#[test]
fn parse_form_builds_php_trees() {
    let p = |s: &str| event::parse_form(s.as_bytes()).unwrap();
    assert_eq!(p(""), json!({}));
    assert_eq!(p("a[b][c]=v"), json!({"a": {"b": {"c": "v"}}}));
    assert_eq!(p("a[]=x&a[]=y"), json!({"a": ["x", "y"]}));
    assert_eq!(p("a[0]=x&a[1]=y"), json!({"a": {"0": "x", "1": "y"}}));
    assert_eq!(
        p("a[][b]=1&a[][b]=2"),
        json!({"a": [{"b": "1"}, {"b": "2"}]})
    );
    assert_eq!(p("a[x][]=1&a[x][]=2"), json!({"a": {"x": ["1", "2"]}}));
    assert_eq!(
        p("a&b=&c=1=2&&d=+"),
        json!({"a": "", "b": "", "c": "1=2", "d": " "})
    );
    assert_eq!(p("a%5Bb%5D=%25zz"), json!({"a": {"b": "%zz"}}));
    assert_eq!(p("k+1=v"), json!({"k 1": "v"}));
    // Body order is kept (serde_json's preserve_order).
    let keys: Vec<String> = p("z=1&a=2&m=3")
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(keys, ["z", "a", "m"]);
    // Exactly MAX_DEPTH levels is fine.
    let deep = format!("a{}=v", "[k]".repeat(MAX_DEPTH));
    let mut v = &p(&deep)["a"];
    for _ in 0..MAX_DEPTH {
        v = &v["k"];
    }
    assert_eq!(v, "v");
    // Numeric keys decode into a Vec through wire::Decode.
    let list: Vec<String> = Decode::decode(p("a[0]=x&a[1]=y")["a"].clone()).unwrap();
    assert_eq!(list, ["x", "y"]);
}

/// Parses `body`, expecting a `Malformed` error; returns it with its message.
fn malformed(body: &[u8]) -> (FormFault, String, usize, usize, String) {
    match event::parse_form(body) {
        Err(
            ref e @ EventError::Malformed {
                ref fault,
                ref key,
                pair,
                offset,
            },
        ) => {
            assert_error_hides_secrets(e);
            (fault.clone(), key.clone(), pair, offset, e.to_string())
        }
        other => panic!(
            "{:?}: expected Malformed, got {other:?}",
            String::from_utf8_lossy(body)
        ),
    }
}

#[test]
fn malformed_bodies_are_located_errors() {
    let (fault, key, pair, offset, msg) = malformed(b"a=1&a=2");
    assert_eq!(
        (fault, key.as_str(), pair, offset),
        (FormFault::DuplicateKey, "a", 1, 4)
    );
    assert_eq!(
        msg,
        r#"malformed event body: duplicated key in key "a" (pair 1, byte 4)"#
    );

    let (fault, key, pair, offset, msg) = malformed(b"x=0&a=1&a[b]=2");
    assert_eq!(
        (fault, key.as_str(), pair, offset),
        (FormFault::ValueAndMap, "a[b]", 2, 8)
    );
    assert_eq!(
        msg,
        r#"malformed event body: key used both as a value and as a map in key "a[b]" (pair 2, byte 8)"#
    );

    let (fault, key, ..) = malformed(b"a[b]=2&a=1");
    assert_eq!((fault, key.as_str()), (FormFault::ValueAndMap, "a"));
    let (fault, ..) = malformed(b"a[b][c]=2&a[b]=1");
    assert_eq!(fault, FormFault::ValueAndMap);
    let (fault, ..) = malformed(b"a[]=x&a[b]=y");
    assert_eq!(fault, FormFault::ListAndMap);
    let (fault, ..) = malformed(b"a[b]=y&a[]=x");
    assert_eq!(fault, FormFault::ListAndMap);
    let (fault, ..) = malformed(b"a[b][c]=1&a[b][c]=2");
    assert_eq!(fault, FormFault::DuplicateKey);

    let (fault, key, pair, offset, msg) = malformed(b"ok=1&a[b=1");
    assert_eq!(
        (fault, key.as_str(), pair, offset),
        (FormFault::Brackets("unclosed `[`"), "a…", 1, 5)
    );
    assert_eq!(
        msg,
        r#"malformed event body: malformed brackets (unclosed `[`) in key "a…" (pair 1, byte 5)"#
    );
    // A malformed key is quoted up to where it went wrong: a pair that lost its `=`
    // must not show the token that follows.
    let (fault, key, _, _, msg) =
        malformed(b"event=ONAPPINSTALL&auth[application_token]s3cr3tt0k3n");
    assert_eq!(
        (fault, key.as_str()),
        (
            FormFault::Brackets("text after `]`"),
            "auth[application_token]…"
        )
    );
    assert!(!msg.contains("s3cr3tt0k3n"), "{msg}");
    let (fault, key, ..) = malformed(b"a]b=1");
    assert_eq!(
        (fault, key.as_str()),
        (FormFault::Brackets("`]` without a matching `[`"), "…")
    );
    let (fault, key, ..) = malformed(b"[x]=1");
    assert_eq!(
        (fault, key.as_str()),
        (FormFault::Brackets("no name before `[`"), "…")
    );
    let (fault, ..) = malformed(b"a[b]c=1");
    assert_eq!(fault, FormFault::Brackets("text after `]`"));
    let (fault, ..) = malformed(b"a[b]]=1");
    assert_eq!(fault, FormFault::Brackets("`]` without a matching `[`"));
    let (fault, ..) = malformed(b"a[[b]]=1");
    assert_eq!(fault, FormFault::Brackets("`[` inside brackets"));
    // Encoded brackets are brackets.
    let (fault, ..) = malformed(b"a%5Bb=1");
    assert_eq!(fault, FormFault::Brackets("unclosed `[`"));

    let (fault, key, pair, offset, msg) = malformed(b"a=1&&=2");
    assert_eq!(
        (fault, key.as_str(), pair, offset),
        (FormFault::EmptyKey, "", 2, 5)
    );
    assert_eq!(
        msg,
        r#"malformed event body: empty key in key "" (pair 2, byte 5)"#
    );

    let too_deep = format!("a{}=v", "[k]".repeat(MAX_DEPTH + 1));
    let (fault, _, _, _, msg) = malformed(too_deep.as_bytes());
    assert_eq!(fault, FormFault::TooDeep { depth: 17 });
    assert!(
        msg.contains("nesting 17 levels deep, over the limit of 16"),
        "{msg}"
    );

    let (fault, key, pair, offset, msg) = malformed(b"a=1&b=%FF%FE");
    assert_eq!(
        (fault, key.as_str(), pair, offset),
        (FormFault::InvalidUtf8Value, "b", 1, 4)
    );
    assert_eq!(
        msg,
        r#"malformed event body: value not valid UTF-8 after percent-decoding in key "b" (pair 1, byte 4)"#
    );
    let (fault, key, ..) = malformed(b"k%FF=1");
    assert_eq!(
        (fault, key.as_str()),
        (FormFault::InvalidUtf8Key, "k\u{FFFD}")
    );
    let (fault, ..) = malformed(b"k=\xC3");
    assert_eq!(fault, FormFault::InvalidUtf8Value);
    // An encoded replacement character is valid text, not an error.
    assert_eq!(
        event::parse_form(b"k=%EF%BF%BD").unwrap(),
        json!({"k": "\u{FFFD}"})
    );

    // Long keys are cut in messages.
    let long = format!("{}[=1", "k".repeat(500));
    let (_, key, ..) = malformed(long.as_bytes());
    assert_eq!(key.chars().count(), 101);
    assert!(key.ends_with('…'));
}

#[test]
fn bodies_over_one_mib_are_refused_before_parsing() {
    let mut body = vec![b'a'; MAX_BODY_BYTES];
    body[0] = b'x';
    body[1] = b'=';
    assert!(event::parse_form(&body).is_ok());
    body.push(b'a');
    let e = event::parse_form(&body).unwrap_err();
    assert!(matches!(
        e,
        EventError::TooLarge {
            len: 1_048_577,
            limit: 1_048_576
        }
    ));
    assert_eq!(
        e.to_string(),
        "event body is 1048577 bytes, over the limit of 1048576 bytes"
    );
    let e = event::parse_any(&body, &expected()).unwrap_err();
    assert!(matches!(e, EventError::TooLarge { .. }));
}

// ---------------------------------------------------------------------------------------
// The token check

fn unauthenticated(body: &str, expected: &SecretString) -> (AuthFailure, String) {
    match event::parse::<OnCrmActivityAdd>(body.as_bytes(), expected) {
        Err(ref e @ EventError::Unauthenticated(why)) => {
            assert_error_hides_secrets(e);
            assert_eq!(
                format!("{:?}", event::parse_any(body.as_bytes(), expected).err()),
                format!("{:?}", Some(e)),
                "parse_any must fail the same way"
            );
            (why, e.to_string())
        }
        other => panic!("{body}: expected Unauthenticated, got {other:?}"),
    }
}

#[test]
fn wrong_missing_or_near_tokens_are_unauthenticated() {
    let body = documented("ONCRMACTIVITYADD");
    let cases = [
        WRONG_TOKEN,
        LAST_BYTE_OFF,
        "51856fefc120afa4b628cc82d3935cc",   // a prefix: shorter
        "51856fefc120afa4b628cc82d3935cce0", // longer
        "51856FEFC120AFA4B628CC82D3935CCE",  // case differs
        "",
    ];
    for token in cases {
        let (why, msg) = unauthenticated(&body, &SecretString::from(token));
        assert_eq!(why, AuthFailure::Mismatch, "{token:?}");
        assert_eq!(
            msg,
            "unauthenticated event delivery: `auth[application_token]` does not match the \
             expected application token"
        );
    }
    // The body carries the wrong token, we expect the right one.
    let forged = body.replace(APP_TOKEN, LAST_BYTE_OFF);
    assert_eq!(
        unauthenticated(&forged, &expected()).0,
        AuthFailure::Mismatch
    );
}

#[test]
fn missing_or_unusable_token_is_unauthenticated() {
    let without = documented("ONCRMACTIVITYADD")
        .replace(&format!("&auth%5Bapplication_token%5D={APP_TOKEN}"), "");
    assert!(!without.contains("application_token"));
    let (why, msg) = unauthenticated(&without, &expected());
    assert_eq!(why, AuthFailure::Missing);
    assert_eq!(
        msg,
        "unauthenticated event delivery: `auth[application_token]` is missing or empty"
    );
    // Empty token, even when the expected one is (mis)configured empty.
    let empty = minimal("ONCRMACTIVITYADD", "").replace(APP_TOKEN, "");
    assert_eq!(unauthenticated(&empty, &expected()).0, AuthFailure::Missing);
    assert_eq!(
        unauthenticated(&empty, &SecretString::from("")).0,
        AuthFailure::Missing
    );
    // Token as a map, auth as a text, no auth at all.
    let as_map = minimal("ONCRMACTIVITYADD", "")
        .replace("auth[application_token]=", "auth[application_token][0]=");
    assert_eq!(
        unauthenticated(&as_map, &expected()).0,
        AuthFailure::Missing
    );
    assert_eq!(
        unauthenticated("event=ONCRMACTIVITYADD&ts=1&auth=x", &expected()).0,
        AuthFailure::Missing
    );
    assert_eq!(
        unauthenticated("event=ONCRMACTIVITYADD&ts=1", &expected()).0,
        AuthFailure::Missing
    );
}

#[test]
fn duplicated_application_token_is_malformed_even_if_both_match() {
    for extra in [
        format!("&auth[application_token]={APP_TOKEN}"),
        format!("&auth%5Bapplication_token%5D={WRONG_TOKEN}"),
        format!("&auth[application_token]={WRONG_TOKEN}"),
    ] {
        let body = documented("ONCRMACTIVITYADD") + &extra;
        for e in [
            event::parse::<OnCrmActivityAdd>(body.as_bytes(), &expected()).unwrap_err(),
            event::parse_any(body.as_bytes(), &expected()).unwrap_err(),
            event::parse_form(body.as_bytes()).unwrap_err(),
        ] {
            assert_error_hides_secrets(&e);
            match &e {
                EventError::Malformed {
                    fault: FormFault::DuplicateKey,
                    key,
                    pair: 13,
                    ..
                } => assert_eq!(key, "auth[application_token]"),
                other => panic!("{other:?}"),
            }
            assert!(
                e.to_string().starts_with(
                    r#"malformed event body: duplicated key in key "auth[application_token]" (pair 13, byte "#
                ),
                "{e}"
            );
        }
    }
}

#[test]
fn token_is_checked_before_data_is_decoded() {
    let bad_data = minimal("ONCRMACTIVITYADD", "&data[FIELDS][ID]=abc");
    // Wrong token: never reaches data.
    let (why, _) = unauthenticated(&bad_data, &SecretString::from(WRONG_TOKEN));
    assert_eq!(why, AuthFailure::Mismatch);
    // Right token: the data error, with serde's message.
    let e = event::parse::<OnCrmActivityAdd>(bad_data.as_bytes(), &expected()).unwrap_err();
    assert_error_hides_secrets(&e);
    assert!(matches!(e, EventError::Data { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with(
            r#"could not decode the data of event "ONCRMACTIVITYADD": data[FIELDS][ID]: invalid value: string "abc", expected an integer (i64)"#
        ),
        "{e}"
    );
    assert!(std::error::Error::source(&e).is_some());

    let no_fields = minimal("ONCRMACTIVITYADD", "&data[OTHER]=1");
    let e = event::parse::<OnCrmActivityAdd>(no_fields.as_bytes(), &expected()).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"could not decode the data of event "ONCRMACTIVITYADD": data: missing field `FIELDS`"#
    );
    // The same through parse_any + decode_data.
    let any = event::parse_any(no_fields.as_bytes(), &expected()).unwrap();
    let e = any.decode_data::<ActivityEvent>().unwrap_err();
    assert!(matches!(e, EventError::Data { .. }));
    assert_error_hides_secrets(&e);
}

#[test]
fn unexpected_event_is_refused_by_typed_parse() {
    let body = documented("ONCRMACTIVITYDELETE");
    let e = event::parse::<OnCrmActivityAdd>(body.as_bytes(), &expected()).unwrap_err();
    assert_error_hides_secrets(&e);
    match &e {
        EventError::UnexpectedEvent { expected, found } => {
            assert_eq!(
                (*expected, found.as_str()),
                ("onCrmActivityAdd", "ONCRMACTIVITYDELETE")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.to_string(),
        r#"unexpected event "ONCRMACTIVITYDELETE", expected "onCrmActivityAdd" (compared ignoring ASCII case)"#
    );
    // The name is checked first, before the token.
    let e = event::parse::<OnCrmActivityAdd>(body.as_bytes(), &SecretString::from(WRONG_TOKEN))
        .unwrap_err();
    assert!(matches!(e, EventError::UnexpectedEvent { .. }));
    // A prefix or suffix of the name is another name.
    for name in ["ONCRMACTIVITYAD", "ONCRMACTIVITYADDX", ""] {
        let e =
            event::parse::<OnCrmActivityAdd>(documented(name).as_bytes(), &expected()).unwrap_err();
        assert!(
            matches!(e, EventError::UnexpectedEvent { .. }),
            "{name}: {e:?}"
        );
    }
}

#[test]
fn missing_and_invalid_fields_are_named() {
    let check = |body: &str, want: &str| {
        let e = event::parse_any(body.as_bytes(), &expected()).unwrap_err();
        assert_error_hides_secrets(&e);
        assert_eq!(e.to_string(), want, "{body}");
        e
    };
    let e = check(
        &minimal("X", "").replace("event=X&", ""),
        "event delivery has no `event`",
    );
    assert!(matches!(e, EventError::MissingField { field: "event" }));
    let e = check(
        &minimal("X", "").replace("ts=1466439714&", ""),
        "event delivery has no `ts`",
    );
    assert!(matches!(e, EventError::MissingField { field: "ts" }));
    check(
        &minimal("X", "").replace("ts=1466439714", "ts="),
        "event delivery has no `ts`",
    );
    check(
        &minimal("X", "").replace("&auth[domain]=some-domain.bitrix24.com", ""),
        "event delivery has no `auth[domain]`",
    );
    check(
        &minimal("X", "").replace(&format!("&auth[member_id]={MEMBER_ID}"), ""),
        "event delivery has no `auth[member_id]`",
    );
    let e = check(
        &minimal("X", "").replace("ts=1466439714", "ts=yesterday"),
        r#"invalid `ts` in the event delivery: invalid value: string "yesterday", expected an integer (i64) as a JSON number or a string holding one"#,
    );
    assert!(matches!(e, EventError::InvalidField { field: "ts", .. }));
    check(
        &minimal("X", "&event_handler_id[]=1"),
        "invalid `event_handler_id` in the event delivery: expected an integer, found a list",
    );
    check(
        &minimal("X", "&auth[expires_in]=soon"),
        r#"invalid `auth[expires_in]` in the event delivery: invalid value: string "soon", expected an integer (i64) as a JSON number or a string holding one"#,
    );
    check(
        &minimal("X", "").replace("event=X", "event[a]=X"),
        "invalid `event` in the event delivery: expected a text, found a map",
    );
    // A secret field of the wrong shape: named, value not quoted.
    check(
        &minimal("X", &format!("&auth[access_token][x]={ACCESS_TOKEN}")),
        "invalid `auth[access_token]` in the event delivery: expected a text, found a map",
    );
}

// ---------------------------------------------------------------------------------------
// Hostile input never panics

/// A small deterministic LCG (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn exercise(body: &[u8]) -> Result<(), EventError> {
    let _ = event::parse_form(body);
    let _ = event::parse::<OnCrmActivityAdd>(body, &expected());
    let _ = event::parse::<OnList>(body, &expected());
    let any = event::parse_any(body, &expected())?;
    // Anything that passes must carry the expected token.
    assert_eq!(any.auth.application_token().expose_secret(), APP_TOKEN);
    let _ = any.decode_data::<ActivityEvent>();
    Ok(())
}

#[test]
fn random_bodies_never_panic() {
    const ALPHABET: &[u8] = b"[]=&%+abAB09_-.\xFF\xC3\xA9 ";
    let mut rng = Lcg(0x5EED_B174_0024);
    for _ in 0..4000 {
        let len = rng.below(96);
        let body: Vec<u8> = (0..len)
            .map(|_| match rng.below(4) {
                0 => rng.next() as u8,
                _ => ALPHABET[rng.below(ALPHABET.len())],
            })
            .collect();
        let _ = exercise(&body);
    }
}

#[test]
fn mutated_documented_bodies_never_panic() {
    let original = documented("ONCRMACTIVITYADD").into_bytes();
    let mut rng = Lcg(42);
    let mut passed = 0;
    for _ in 0..3000 {
        let mut body = original.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(body.len());
            match rng.below(3) {
                0 => body[at] = b"[]=&%+\xFFx"[rng.below(8)],
                1 => {
                    body.remove(at);
                }
                _ => body.insert(at, rng.next() as u8),
            }
        }
        if exercise(&body).is_ok() {
            passed += 1;
        }
    }
    // Some mutations (in values of non-essential fields) still parse.
    assert!(passed > 0);
}

/// Found by `tests/fuzz.rs` (target `event_delivery_parser`): a malformed key that starts
/// with the token was quoted with it. Every text of an event error masks the expected
/// token.
#[test]
fn no_error_quotes_the_expected_token() {
    for body in [
        format!("{APP_TOKEN}[x=1"),
        format!("event=ONCRMACTIVITYADD&{APP_TOKEN}]=1"),
        format!("event={APP_TOKEN}&auth[application_token]={APP_TOKEN}&ts=x"),
        format!("event[{APP_TOKEN}]=1"),
    ] {
        let e = event::parse_any(body.as_bytes(), &expected()).unwrap_err();
        assert!(!e.to_string().contains(APP_TOKEN), "{e}");
        let e = event::parse::<OnCrmActivityAdd>(body.as_bytes(), &expected()).unwrap_err();
        assert!(!format!("{e} {e:?}").contains(APP_TOKEN), "{e}");
    }
}
