//! The HTTP side: accept loop, routing, parameters, auth, the rate limit and faults.

use std::fmt;
use std::sync::Arc;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Map, Value, json};
use tokio::net::TcpListener;

use super::query::parse_php_query;
use super::state::{Shared, no_auth};
use super::table::param;
use super::{AuthKind, FakePortal, Fault, MethodError, RequestRecord, batch};

/// Largest request body read (a batch of 50 commands with files stays far below).
const MAX_BODY: usize = 64 * 1024 * 1024;
/// Parameters whose values never reach the request log.
const SECRET_PARAMS: [&str; 5] = [
    "auth",
    "client_secret",
    "refresh_token",
    "code",
    "access_token",
];

/// The error that makes hyper close the connection without an answer.
#[derive(Debug)]
struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

/// Accepts connections until the task is aborted.
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let shared = shared.clone();
                async move { handle(&shared, req).await }
            });
            // Errors here are client disconnects and injected drops: nothing to report.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

type Answer = Response<Full<Bytes>>;

fn respond(status: u16, content_type: &str, body: Vec<u8>) -> Answer {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = content_type.parse() {
        response.headers_mut().insert(CONTENT_TYPE, v);
    }
    response
}

fn json_answer(status: u16, value: &Value) -> Answer {
    respond(
        status,
        "application/json; charset=utf-8",
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

fn error_answer(e: &MethodError) -> Answer {
    json_answer(
        e.status,
        &json!({"error": e.code, "error_description": e.description}),
    )
}

const HTML_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
const HTML_200: &str = "<!DOCTYPE html>\n<html><head><title>Bitrix24</title></head><body><p>The portal is being updated. Please try again later.</p></body></html>\n";

/// `crm.deal.list.json` → `crm.deal.list` (the format suffix), lowercased: method names
/// are not case-sensitive.
pub(crate) fn normalize_method(method: &str) -> String {
    let method = method.trim();
    let method = method.strip_suffix(".json").unwrap_or(method);
    method.to_ascii_lowercase()
}

/// What the path names.
enum Route {
    Webhook {
        user_id: Option<u64>,
        code: String,
        method: String,
        rest_v3: bool,
    },
    OAuth {
        method: String,
        rest_v3: bool,
    },
    Token,
    Unknown,
}

fn route(path: &str) -> Route {
    if matches!(path, "/oauth/token/" | "/oauth/token") {
        return Route::Token;
    }
    let Some(rest) = path.strip_prefix("/rest/") else {
        return Route::Unknown;
    };
    // REST 3.0: `/rest/api/...`, the rest of the address as in the classic API.
    let (rest_v3, rest) = match rest.strip_prefix("api/") {
        Some(v3) => (true, v3),
        None => (false, rest),
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [method] if !method.is_empty() => Route::OAuth {
            method: normalize_method(method),
            rest_v3,
        },
        [user, code, method] => Route::Webhook {
            user_id: user.parse().ok(),
            code: (*code).to_owned(),
            method: normalize_method(method),
            rest_v3,
        },
        _ => Route::Unknown,
    }
}

/// Query parameters merged with the body's (JSON object or form); body keys win.
fn parameters(query: Option<&str>, content_type: &str, body: &[u8]) -> Result<Value, MethodError> {
    let mut params = match query {
        Some(q) => parse_php_query(q),
        None => Value::Object(Map::new()),
    };
    let from_body = if content_type.contains("application/x-www-form-urlencoded") {
        parse_php_query(&String::from_utf8_lossy(body))
    } else if body.iter().all(u8::is_ascii_whitespace) {
        Value::Object(Map::new())
    } else {
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(m)) => Value::Object(m),
            Ok(Value::Null) => Value::Object(Map::new()),
            // PHP decodes a JSON array into an array keyed 0, 1, ...: the positional
            // parameters of the legacy `task.*` methods (`[{"ID": "desc"}, {...}]`).
            Ok(Value::Array(items)) => Value::Object(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (i.to_string(), v))
                    .collect(),
            ),
            Ok(_) => {
                return Err(MethodError::new(
                    400,
                    "ERROR_ARGUMENT",
                    "The request body must be a JSON object.",
                ));
            }
            Err(e) => {
                return Err(MethodError::new(
                    400,
                    "ERROR_ARGUMENT",
                    format!("The request body is not valid JSON: {e}"),
                ));
            }
        }
    };
    if let (Value::Object(all), Value::Object(body)) = (&mut params, from_body) {
        all.extend(body);
    }
    Ok(params)
}

/// `params` with every secret value replaced by `"***"` (at any depth): values of the
/// secret parameters, secret parameters inside a query string (a `batch` command
/// `crm.deal.list?auth=...`), and any of the portal's `known` secrets (webhook code,
/// client secret, issued tokens and codes) wherever they appear in a text.
fn masked(params: &Value, known: &[String]) -> Value {
    match params {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let v = if is_secret_param(k) {
                        json!("***")
                    } else {
                        masked(v, known)
                    };
                    (mask_text(k, known), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|v| masked(v, known)).collect()),
        Value::String(text) => Value::String(mask_text(&mask_query(text), known)),
        other => other.clone(),
    }
}

/// A parameter name (`auth`, `auth[access_token]`, ...) whose value is a secret.
fn is_secret_param(name: &str) -> bool {
    let base = name.split('[').next().unwrap_or(name);
    SECRET_PARAMS.iter().any(|s| base.eq_ignore_ascii_case(s))
        || SECRET_PARAMS
            .iter()
            .any(|s| name.to_ascii_lowercase().contains(&format!("[{s}]")))
}

/// `method?query` with the values of secret parameters in the query replaced by `***`.
fn mask_query(text: &str) -> String {
    let Some((head, query)) = text.split_once('?') else {
        return text.to_owned();
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _))
                if is_secret_param(
                    &percent_encoding::percent_decode_str(k).decode_utf8_lossy(),
                ) =>
            {
                format!("{k}=***")
            }
            _ => pair.to_owned(),
        })
        .collect();
    format!("{head}?{}", pairs.join("&"))
}

/// `text` with each of the `known` secrets replaced by `***`.
fn mask_text(text: &str, known: &[String]) -> String {
    crate::client::mask_secrets(text, known.iter().map(String::as_str))
}

/// What the log shows of a path that names no known route: its first segment after
/// `/rest/` (a user ID), the rest hidden (it may hold a webhook code).
fn logged_path(path: &str) -> String {
    match path.strip_prefix("/rest/") {
        Some(rest) => {
            let mut parts = rest.split('/');
            let first = parts.next().unwrap_or_default();
            let first = if first.bytes().all(|b| b.is_ascii_digit()) {
                first
            } else {
                "***"
            };
            let hidden = parts.count();
            format!("/rest/{first}{}", "/***".repeat(hidden))
        }
        None => "/***".to_owned(),
    }
}

async fn handle(shared: &Shared, req: Request<Incoming>) -> Result<Answer, Dropped> {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_owned();
    let query = parts.uri.query().map(str::to_owned);
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(error_answer(&MethodError::new(
                400,
                "ERROR_ARGUMENT",
                "The request body could not be read.",
            )));
        }
    };
    let idempotency_key = parts
        .headers
        .get("idempotency-key")
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let route = route(&path);
    let rest_v3 = matches!(
        route,
        Route::Webhook { rest_v3: true, .. } | Route::OAuth { rest_v3: true, .. }
    );
    let (method, auth) = match &route {
        Route::Webhook {
            user_id, method, ..
        } => (
            method.clone(),
            AuthKind::Webhook {
                user_id: user_id.unwrap_or(0),
            },
        ),
        Route::OAuth { method, .. } => (method.clone(), AuthKind::OAuth),
        Route::Token => (
            FakePortal::TOKEN_ENDPOINT.to_owned(),
            AuthKind::TokenEndpoint,
        ),
        Route::Unknown => (logged_path(&path), AuthKind::None),
    };
    let parsed = parameters(query.as_deref(), &content_type, &body);
    let auth = match (&auth, &parsed) {
        (AuthKind::OAuth, Ok(p)) if param(p, "auth").is_none() => AuthKind::None,
        _ => auth,
    };
    let mut record = RequestRecord {
        method: method.clone(),
        params: parsed
            .as_ref()
            .map(|p| masked(p, &shared.lock().known_secrets()))
            .unwrap_or(Value::Null),
        auth,
        status: None,
        fault: None,
        rest_v3,
        replayed: false,
    };
    if !matches!(route, Route::Token | Route::Unknown) {
        shared.lock().requests += 1;
    }

    let fault = match route {
        Route::Unknown => None,
        Route::Token => shared.take_fault(&method, false, true),
        _ => shared.take_fault(&method, false, false),
    };
    record.fault = fault.clone();
    let mut truncate = false;
    let mut lose = false;
    if let Some(fault) = fault {
        match fault {
            Fault::DropConnection => {
                shared.record(record);
                return Err(Dropped);
            }
            Fault::Slow(d) => tokio::time::sleep(d).await,
            Fault::TruncatedJson => truncate = true,
            Fault::LostAnswer => lose = true,
            Fault::BadGatewayHtml => {
                record.status = Some(502);
                shared.record(record);
                return Ok(respond(502, "text/html", HTML_502.as_bytes().to_vec()));
            }
            Fault::HtmlOk => {
                record.status = Some(200);
                shared.record(record);
                return Ok(respond(
                    200,
                    "text/html; charset=utf-8",
                    HTML_200.as_bytes().to_vec(),
                ));
            }
            other => {
                if let Fault::ExpiredToken = other {
                    shared.lock().expire_access_tokens();
                }
                if let Some(e) = other.api_error() {
                    record.status = Some(e.status);
                    shared.record(record);
                    return Ok(error_answer(&e));
                }
            }
        }
    }

    // An authenticated call, at its address: the status, the body, and whether it was a
    // REST 3.0 replay.
    let call = |who: &str, method: &str, params: &Value| {
        if rest_v3 {
            rest_v3_call(shared, who, method, params, idempotency_key.as_deref())
        } else {
            let (status, value) = rest_call(shared, who, method, params, false);
            (status, value, false)
        }
    };
    let (status, value) = match (route, parsed) {
        (Route::Unknown, _) => {
            record.status = Some(404);
            shared.record(record);
            return Ok(respond(
                404,
                "text/html",
                b"<html><body><h1>404 Not Found</h1></body></html>".to_vec(),
            ));
        }
        (_, Err(e)) => (
            e.status,
            json!({"error": e.code, "error_description": e.description}),
        ),
        (Route::Token, Ok(params)) => shared.lock().token_endpoint(&params),
        (
            Route::Webhook {
                user_id,
                code,
                method,
                ..
            },
            Ok(params),
        ) => {
            let who = {
                let s = shared.lock();
                (user_id == Some(s.config.user_id) && code == s.config.webhook_code)
                    .then(|| format!("webhook:{}", s.config.user_id))
            };
            match who {
                Some(who) => {
                    let (status, value, replayed) = call(&who, &method, &params);
                    record.replayed = replayed;
                    (status, value)
                }
                None => error_pair(&no_auth()),
            }
        }
        (Route::OAuth { method, .. }, Ok(params)) => {
            let check = {
                let s = shared.lock();
                match param(&params, "auth").and_then(Value::as_str) {
                    Some(token) => s
                        .check_access_token(token)
                        .map(|()| format!("app:{}", s.config.client_id)),
                    None => Err(no_auth()),
                }
            };
            match check {
                Ok(who) => {
                    let mut params = params;
                    if let Value::Object(m) = &mut params {
                        m.retain(|k, _| !k.eq_ignore_ascii_case("auth"));
                    }
                    let (status, value, replayed) = call(&who, &method, &params);
                    record.replayed = replayed;
                    (status, value)
                }
                Err(e) => error_pair(&e),
            }
        }
    };
    record.status = Some(status);
    let replayed = record.replayed;
    shared.record(record);
    if lose {
        return Err(Dropped);
    }
    // REST 3.0 errors are an object: `{"error": {"code", "message"}}`.
    let value = if rest_v3 { v3_error(value) } else { value };
    let mut bytes = serde_json::to_vec(&value).unwrap_or_default();
    if truncate {
        bytes.truncate(bytes.len() / 2);
    }
    let mut answer = respond(status, "application/json; charset=utf-8", bytes.clone());
    if let Ok(v) = bytes.len().to_string().parse() {
        answer.headers_mut().insert(CONTENT_LENGTH, v);
    }
    if rest_v3 && let Some(key) = idempotency_key.and_then(|k| k.parse().ok()) {
        answer.headers_mut().insert("idempotency-key", key);
        if replayed {
            answer.headers_mut().insert(
                "idempotent-replayed",
                hyper::header::HeaderValue::from_static("true"),
            );
        }
    }
    Ok(answer)
}

fn error_pair(e: &MethodError) -> (u16, Value) {
    (
        e.status,
        json!({"error": e.code, "error_description": e.description}),
    )
}

/// A REST 3.0 call (`/rest/api/`): no `batch`; with an `Idempotency-Key`, a successful
/// answer is kept and given again (not run again) to a repeat with the same key and the
/// same parameters, per caller and method; the same key with other parameters is refused.
/// Returns the status, the body and whether it was a replay.
fn rest_v3_call(
    shared: &Shared,
    who: &str,
    method: &str,
    params: &Value,
    key: Option<&str>,
) -> (u16, Value, bool) {
    let refused = |status, code: &str, message: &str| {
        let (status, value) = error_pair(&MethodError::new(status, code, message));
        (status, value, false)
    };
    if method == "batch" {
        return refused(
            404,
            "ERROR_METHOD_NOT_FOUND",
            "Method not found: batch is not available in REST 3.0",
        );
    }
    let Some(key) = key else {
        let (status, value) = rest_call(shared, who, method, params, true);
        return (status, value, false);
    };
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return refused(
            400,
            "BITRIX_REST_V3_EXCEPTION_INVALIDIDEMPOTENCYKEYEXCEPTION",
            "The idempotency key must be 1 to 255 printable ASCII characters",
        );
    }
    let slot = (who.to_owned(), method.to_owned(), key.to_owned());
    if let Some((kept, answer)) = shared.lock().replays.get(&slot) {
        if kept == params {
            return (200, answer.clone(), true);
        }
        return refused(
            422,
            "BITRIX_REST_V3_EXCEPTION_IDEMPOTENCYKEYREUSEDEXCEPTION",
            "The idempotency key was already used with a different request body",
        );
    }
    let (status, value) = rest_call(shared, who, method, params, true);
    if status == 200 {
        shared
            .lock()
            .replays
            .insert(slot, (params.clone(), value.clone()));
    }
    (status, value, false)
}

/// A classic error body (`{"error": code, "error_description": text}`) in the REST 3.0
/// shape (`{"error": {"code": code, "message": text}}`); anything else as it is.
fn v3_error(value: Value) -> Value {
    match value {
        Value::Object(mut m) if m.get("error").is_some_and(Value::is_string) => {
            let code = m.remove("error").unwrap_or_default();
            let message = m.remove("error_description").unwrap_or(json!(""));
            json!({"error": {"code": code, "message": message}})
        }
        other => other,
    }
}

/// An authenticated REST call: the rate limit, then `batch` or one method.
fn rest_call(
    shared: &Shared,
    who: &str,
    method: &str,
    params: &Value,
    rest_v3: bool,
) -> (u16, Value) {
    let start = {
        let mut s = shared.lock();
        let now = s.clock.now();
        if !s.bucket.admit(now) {
            return error_pair(&MethodError::new(
                503,
                "QUERY_LIMIT_EXCEEDED",
                "Too many requests",
            ));
        }
        s.clock.unix(now)
    };
    if method == "batch" {
        return (200, batch::run(shared, who, params, start));
    }
    match shared.call_method(who, method, params, rest_v3) {
        Ok(success) => {
            let mut envelope = Map::new();
            envelope.insert("result".into(), success.result);
            if let Some(total) = success.total {
                envelope.insert("total".into(), json!(total));
            }
            if let Some(next) = success.next {
                envelope.insert("next".into(), json!(next));
            }
            envelope.insert("time".into(), success.time);
            (200, Value::Object(envelope))
        }
        Err(e) => error_pair(&e),
    }
}
