//! The portal's state behind one mutex (never held across an `.await` or a handler call).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::time::Instant;

use super::limits::{Bucket, Operating, PortalRateLimit};
use super::table::{Table, param};
use super::time::{Clock, time_object};
use super::{Fault, MethodError, Quirks, RequestRecord, TokenPair};

/// A handler registered with [`FakePortal::on`](super::FakePortal::on).
pub(crate) type Handler = Arc<dyn Fn(&Value) -> Result<Value, MethodError> + Send + Sync>;

/// Settings fixed at start.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) user_id: u64,
    pub(crate) webhook_code: String,
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) member_id: String,
    pub(crate) scope: String,
    pub(crate) access_lifetime: Duration,
    pub(crate) refresh_lifetime: Duration,
}

/// A queued fault.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    pub(crate) fault: Fault,
    pub(crate) method: Option<String>,
    pub(crate) remaining: usize,
}

/// What a method name is answered by.
enum Target {
    Handler(Handler),
    Table(Table),
    Example(Value),
}

/// A successful method call.
pub(crate) struct Success {
    pub(crate) result: Value,
    pub(crate) total: Option<u64>,
    pub(crate) next: Option<u64>,
    pub(crate) time: Value,
    pub(crate) cost: f64,
    /// The method's running total after this call and its `operating_reset_at`.
    pub(crate) operating: (f64, i64),
}

pub(crate) struct State {
    pub(crate) config: Config,
    pub(crate) base_url: String,
    pub(crate) clock: Clock,
    pub(crate) bucket: Bucket,
    pub(crate) operating: Operating,
    pub(crate) operating_limit: f64,
    pub(crate) default_cost: f64,
    pub(crate) costs: HashMap<String, f64>,
    pub(crate) quirks: Quirks,
    pub(crate) handlers: HashMap<String, Handler>,
    pub(crate) tables: HashMap<String, Table>,
    pub(crate) examples: HashMap<String, Value>,
    pub(crate) required: HashMap<String, (Vec<String>, MethodError)>,
    pub(crate) faults: VecDeque<Queued>,
    pub(crate) log: Vec<RequestRecord>,
    pub(crate) calls: BTreeMap<String, usize>,
    pub(crate) requests: usize,
    pub(crate) refreshes: usize,
    /// Calls refused for their operating time.
    pub(crate) refusals: usize,
    pub(crate) access_tokens: HashMap<String, Instant>,
    pub(crate) refresh_tokens: HashMap<String, Instant>,
    pub(crate) codes: HashMap<String, Instant>,
    pub(crate) used_codes: HashSet<String>,
    pub(crate) token_counter: u64,
    /// REST 3.0 answers kept per (caller, method, `Idempotency-Key`), with the parameters
    /// they answered.
    pub(crate) replays: HashMap<(String, String, String), (Value, Value)>,
}

/// The state, shared by the server and the [`FakePortal`](super::FakePortal) handle.
pub(crate) struct Shared {
    state: Mutex<State>,
}

impl Shared {
    pub(crate) fn new(state: State) -> Self {
        Shared {
            state: Mutex::new(state),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs one method call (an HTTP request or a `batch` command) for `who` (the app or
    /// webhook the operating time is counted for): operating-time check, required
    /// parameters, dispatch, operating-time accounting.
    /// Runs one call: operating time, required parameters, then the handler, table or
    /// example registered for `method`. A REST 3.0 call (`rest_v3`) takes what is
    /// registered under `v3.<method>` (the spec's name of a REST 3.0 method) first, then
    /// under `<method>`.
    pub(crate) fn call_method(
        &self,
        who: &str,
        method: &str,
        params: &Value,
        rest_v3: bool,
    ) -> Result<Success, MethodError> {
        let v3_key = rest_v3.then(|| format!("v3.{method}"));
        let key = |registered: &dyn Fn(&str) -> bool| -> String {
            match &v3_key {
                Some(k) if registered(k) => k.clone(),
                _ => method.to_owned(),
            }
        };
        let target = {
            let mut s = self.lock();
            *s.calls.entry(method.to_owned()).or_default() += 1;
            let now = s.clock.now();
            let limit = s.operating_limit;
            // A call runs while the total is at most the budget (1 µs margin for the
            // rounding of summed costs such as 400 × 1.2 s).
            if s.operating.total(who, method, now) > limit + 1e-6 {
                s.refusals += 1;
                return Err(MethodError::new(
                    429,
                    "OPERATION_TIME_LIMIT",
                    "Method is blocked due to operation time limit.",
                ));
            }
            let k = key(&|k| s.required.contains_key(k));
            if let Some((names, error)) = s.required.get(&k) {
                let missing: Vec<&str> = names
                    .iter()
                    .filter(|n| is_missing(param(params, n)))
                    .map(String::as_str)
                    .collect();
                if !missing.is_empty() {
                    let mut error = error.clone();
                    if error.description.is_empty() {
                        error.description = missing
                            .iter()
                            .map(|n| format!("{n} is not found"))
                            .collect::<Vec<_>>()
                            .join(", ");
                    }
                    return Err(error);
                }
            }
            let k = key(&|k| {
                s.handlers.contains_key(k) || s.tables.contains_key(k) || s.examples.contains_key(k)
            });
            if let Some(h) = s.handlers.get(&k) {
                Target::Handler(h.clone())
            } else if let Some(t) = s.tables.get(&k) {
                Target::Table(t.clone())
            } else if let Some(e) = s.examples.get(&k) {
                Target::Example(e.clone())
            } else {
                return Err(MethodError::new(
                    404,
                    "ERROR_METHOD_NOT_FOUND",
                    "Method not found!",
                ));
            }
        };
        let outcome = match target {
            Target::Handler(h) => h(params).map(|r| (r, None, None)),
            Target::Table(t) => {
                let next_at_total = self.lock().quirks.next_at_total;
                t.list_with(params, next_at_total)
            }
            Target::Example(e) => Ok(example_answer(e)),
        };
        let mut s = self.lock();
        let now = s.clock.now();
        let cost = s.costs.get(method).copied().unwrap_or(s.default_cost);
        let (operating, reset_at) = s.operating.record(who, method, now, cost);
        let (result, total, next) = outcome?;
        let start = s.clock.unix(now);
        let reset_unix = s.clock.unix(reset_at).floor() as i64;
        Ok(Success {
            result,
            total,
            next,
            time: time_object(start, cost, Some((operating, reset_unix)), &s.quirks),
            cost,
            operating: (operating, reset_unix),
        })
    }

    /// Takes the first queued fault for a request to `method` (`None` = any method);
    /// `inner` = a `batch` command, which only API-error faults named for its method hit.
    pub(crate) fn take_fault(
        &self,
        method: &str,
        inner: bool,
        token_endpoint: bool,
    ) -> Option<Fault> {
        let mut s = self.lock();
        let i = s.faults.iter().position(|q| {
            let method_ok = match &q.method {
                Some(m) => m.eq_ignore_ascii_case(method),
                None => !inner && !token_endpoint,
            };
            method_ok && (!inner || q.fault.is_api_error())
        })?;
        let q = s.faults.get_mut(i)?;
        q.remaining = q.remaining.saturating_sub(1);
        let fault = q.fault.clone();
        if q.remaining == 0 {
            s.faults.remove(i);
        }
        Some(fault)
    }

    /// Appends to the request log.
    pub(crate) fn record(&self, record: RequestRecord) {
        self.lock().log.push(record);
    }
}

impl State {
    /// A fresh token pair, remembered as valid.
    pub(crate) fn issue_tokens(&mut self) -> TokenPair {
        let now = self.clock.now();
        let access = self.new_token("a");
        let refresh = self.new_token("r");
        self.access_tokens
            .insert(access.clone(), later(now, self.config.access_lifetime));
        self.refresh_tokens
            .insert(refresh.clone(), later(now, self.config.refresh_lifetime));
        TokenPair {
            access_token: access,
            refresh_token: refresh,
            expires_in: self.config.access_lifetime.as_secs(),
        }
    }

    /// A one-time authorization code, valid 30 seconds.
    pub(crate) fn issue_code(&mut self) -> String {
        let code = self.new_token("c");
        let until = self.clock.now() + Duration::from_secs(30);
        self.codes.insert(code.clone(), until);
        code
    }

    /// 32 lowercase hex characters, unique within the portal.
    fn new_token(&mut self, kind: &str) -> String {
        self.token_counter += 1;
        let mut x = self
            .token_counter
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(kind.len() as u64 ^ u64::from(kind.as_bytes()[0]));
        let mut out = String::with_capacity(32);
        for _ in 0..2 {
            // splitmix64
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            out.push_str(&format!("{z:016x}"));
        }
        out
    }

    /// Expires every access token issued so far.
    pub(crate) fn expire_access_tokens(&mut self) {
        let now = self.clock.now();
        for until in self.access_tokens.values_mut() {
            *until = now;
        }
    }

    /// Checks an OAuth access token: `Ok` when valid now.
    pub(crate) fn check_access_token(&self, token: &str) -> Result<(), MethodError> {
        match self.access_tokens.get(token) {
            Some(until) if self.clock.now() < *until => Ok(()),
            Some(_) => Err(MethodError::new(
                401,
                "expired_token",
                "The access token provided has expired.",
            )),
            None => Err(no_auth()),
        }
    }

    /// The token endpoint: `grant_type=refresh_token` or `authorization_code`.
    pub(crate) fn token_endpoint(&mut self, params: &Value) -> (u16, Value) {
        let get = |k: &str| {
            param(params, k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let oauth_error = |status: u16, code: &str, description: &str| {
            (
                status,
                json!({"error": code, "error_description": description}),
            )
        };
        let grant = get("grant_type");
        if grant != "refresh_token" && grant != "authorization_code" {
            return oauth_error(400, "invalid_request", "Unsupported or missing grant_type");
        }
        if get("client_id") != self.config.client_id
            || get("client_secret") != self.config.client_secret
        {
            return oauth_error(401, "invalid_client", "Invalid client");
        }
        let now = self.clock.now();
        if grant == "refresh_token" {
            let token = get("refresh_token");
            // Refresh tokens are single use: the new pair replaces the old one.
            match self.refresh_tokens.remove(&token) {
                Some(until) if now < until => {}
                _ => return oauth_error(400, "invalid_grant", "Invalid refresh token"),
            }
            self.refreshes += 1;
        } else {
            let code = get("code");
            let fresh = self.codes.remove(&code).is_some_and(|until| now < until);
            if !fresh || !self.used_codes.insert(code) {
                return oauth_error(400, "invalid_grant", "Invalid authorization code");
            }
        }
        let pair = self.issue_tokens();
        let expires = self.clock.unix(now).floor() as i64 + pair.expires_in as i64;
        let host = self.base_url.trim_start_matches("http://").to_owned();
        (
            200,
            json!({
                "access_token": pair.access_token,
                "client_endpoint": format!("{}/rest/", self.base_url),
                "domain": host,
                "expires": expires,
                "expires_in": pair.expires_in,
                "member_id": self.config.member_id,
                "refresh_token": pair.refresh_token,
                "scope": self.config.scope,
                "server_endpoint": format!("{}/rest/", self.base_url),
                "status": "L",
                "user_id": self.config.user_id,
            }),
        )
    }

    /// The rate limit now.
    /// Every secret the portal knows, to keep out of the request log.
    pub(crate) fn known_secrets(&self) -> Vec<String> {
        let mut known = vec![
            self.config.webhook_code.clone(),
            self.config.client_secret.clone(),
        ];
        known.extend(self.access_tokens.keys().cloned());
        known.extend(self.refresh_tokens.keys().cloned());
        known.extend(self.codes.keys().cloned());
        known
    }

    pub(crate) fn set_rate_limit(&mut self, limit: PortalRateLimit) {
        self.bucket = Bucket::new(limit);
    }
}

/// `now + d`, or about a century on when that overflows.
fn later(now: Instant, d: Duration) -> Instant {
    now.checked_add(d)
        .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
        .unwrap_or(now)
}

/// 401 `NO_AUTH_FOUND`: no credentials, or not valid ones.
pub(crate) fn no_auth() -> MethodError {
    MethodError::new(401, "NO_AUTH_FOUND", "Wrong authorization data")
}

/// A required parameter counts as missing when absent, `null` or an empty string.
fn is_missing(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

/// The `result` (and `total`, `next`) of a documented response example: the envelope's,
/// or the whole value when it is not an envelope.
fn example_answer(example: Value) -> (Value, Option<u64>, Option<u64>) {
    match example {
        Value::Object(mut map) if map.contains_key("result") => {
            let number = |m: &mut Map<String, Value>, k: &str| {
                m.remove(k).and_then(|v| match v {
                    Value::Number(n) => n.as_u64(),
                    Value::String(s) => s.parse().ok(),
                    _ => None,
                })
            };
            let total = number(&mut map, "total");
            let next = number(&mut map, "next");
            (map.remove("result").unwrap_or(Value::Null), total, next)
        }
        other => (other, None, None),
    }
}
